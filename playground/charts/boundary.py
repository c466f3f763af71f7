"""The decision-boundary figure: the model's output over the plane with the
data on top. Plain arrays in, a Plotly figure out; no models, no Streamlit."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import plotly.graph_objects as go
from plotly.colors import hex_to_rgb

from playground.charts.common import CLASS_COLOURS, DIVERGING, apply_layout

if TYPE_CHECKING:  # the type only: charts import no torch
    from playground.dense.probe import Grid


def _class_image(probs: np.ndarray, discretize: bool) -> np.ndarray:
    """(R, R, K) probabilities -> (R, R, 3) uint8: each class's colour, paled
    toward white where the model is unsure."""
    colours = np.array([hex_to_rgb(c) for c in CLASS_COLOURS[: probs.shape[2]]], dtype=np.float32)
    if discretize:
        probs = np.eye(probs.shape[2], dtype=np.float32)[probs.argmax(axis=2)]
    mixed = probs @ colours  # (R, R, 3)
    confidence = probs.max(axis=2, keepdims=True)  # (R, R, 1) in [1/K, 1]
    k = probs.shape[2]
    alpha = 0.25 + 0.6 * (confidence - 1 / k) / (1 - 1 / k)
    return (255 * (1 - alpha) + mixed * alpha).clip(0, 255).astype(np.uint8)


def boundary_figure(
    grid: Grid, points: list[tuple[np.ndarray, np.ndarray, str]], problem: str,
    discretize: bool, labels: dict[str, str], height: int = 460,
) -> go.Figure:
    """The model's output over the plane with the data on top.

    points: (xy (N, 2), y (N,), kind) with kind "train" or "test"; test points
    are drawn with a dark outline so the two sets can be told apart.
    labels: "title", "x", "y", "value", "class" (with {k}), "train", "test".
    """
    fig = go.Figure()
    values = grid.values
    if values.ndim == 3:  # multi-class probabilities
        step = float(grid.xs[1] - grid.xs[0])
        fig.add_trace(go.Image(
            z=_class_image(values, discretize), x0=float(grid.xs[0]), dx=step,
            y0=float(grid.ys[0]), dy=step, hoverinfo="skip",
        ))
    else:
        z = values
        if discretize:
            z = np.sign(z) if problem != "regression" else np.round(z * 4) / 4
        fig.add_trace(go.Heatmap(
            x=grid.xs, y=grid.ys, z=z, zmin=-1, zmax=1, colorscale=DIVERGING,
            opacity=0.75, showscale=problem == "regression",
            colorbar=dict(title=labels["value"], thickness=12, len=0.8),
            hovertemplate="x1=%{x:.2f}<br>x2=%{y:.2f}<br>"
            + labels["value"] + "=%{z:.3f}<extra></extra>",
        ))
    for xy, y, kind in points:
        if len(xy) == 0:
            continue
        outline = "white" if kind == "train" else "#222222"
        if problem == "regression":
            marker = dict(color=y, colorscale=DIVERGING, cmin=-1, cmax=1)
        else:
            marker = dict(color=[CLASS_COLOURS[int(c)] for c in y])
        marker.update(size=7, line=dict(color=outline, width=1.2 if kind == "train" else 1.6))
        fig.add_trace(go.Scatter(
            x=xy[:, 0], y=xy[:, 1], mode="markers", marker=marker, name=labels[kind],
            showlegend=False, customdata=y,
            hovertemplate=f"{labels[kind]}<br>x1=%{{x:.2f}}<br>x2=%{{y:.2f}}<br>"
            + (labels["value"] if problem == "regression" else labels["class"])
            + "=%{customdata}<extra></extra>",
        ))
    extent = float(grid.xs[-1])
    apply_layout(fig, labels["title"], height)
    fig.update_layout(hovermode="closest")
    fig.update_xaxes(title_text=labels["x"], range=[-extent, extent], constrain="domain")
    fig.update_yaxes(
        title_text=labels["y"], range=[-extent, extent], scaleanchor="x", constrain="domain",
        autorange=False,
    )
    return fig
