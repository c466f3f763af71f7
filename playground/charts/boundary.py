"""The decision-boundary figure: the model's output over the plane with the
data on top. Plain arrays in, a Plotly figure out; no models, no Streamlit.

The surface goes to the browser as one small PNG (an image trace, as the
network drawing's tiles do), coloured here exactly as Plotly coloured the
heatmap it replaces: a 100 x 100 float heatmap was ~55 KB of JSON on every
redraw, the PNG is a few KB. Hovering shows the data points' values; the
surface itself has no hover.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import plotly.graph_objects as go
from plotly.colors import hex_to_rgb

from playground.charts.common import (
    CLASS_COLOURS,
    DIVERGING,
    class_colours,
    layout,
    png_data_uri,
)

if TYPE_CHECKING:  # the type only: charts import no torch
    from playground.dense.probe import Grid

SURFACE_OPACITY = 0.75  # a two-class or regression surface, over the white plot


def _class_image(probs: np.ndarray, discretize: bool) -> np.ndarray:
    """(R, R, K) probabilities -> (R, R, 3) uint8: each class's colour, paled
    toward white where the model is unsure."""
    colours = np.array([hex_to_rgb(c) for c in CLASS_COLOURS[: probs.shape[2]]], dtype=np.float32)
    probs = np.nan_to_num(probs, nan=1.0 / probs.shape[2])  # a diverged model: white
    if discretize:
        probs = np.eye(probs.shape[2], dtype=np.float32)[probs.argmax(axis=2)]
    mixed = probs @ colours  # (R, R, 3)
    confidence = probs.max(axis=2, keepdims=True)  # (R, R, 1) in [1/K, 1]
    k = probs.shape[2]
    alpha = 0.25 + 0.6 * (confidence - 1 / k) / (1 - 1 / k)
    return (255 * (1 - alpha) + mixed * alpha).clip(0, 255).astype(np.uint8)


def diverging_image(z: np.ndarray) -> np.ndarray:
    """(R, R) values in [-1, 1] -> (R, R, 3) uint8 on the DIVERGING scale, as
    Plotly's heatmap colours them with zmin=-1, zmax=1 (linear in RGB between
    the stops; values beyond are clipped). NaN is drawn white."""
    stops = np.array([s for s, _ in DIVERGING])
    rgb = np.array([hex_to_rgb(c) for _, c in DIVERGING], dtype=np.float64)  # (S, 3)
    t = np.clip((np.nan_to_num(z, nan=0.0) + 1) / 2, 0.0, 1.0)
    out = np.stack([np.interp(t, stops, rgb[:, i]) for i in range(3)], axis=-1)
    out[np.isnan(z)] = 255
    return np.rint(out).astype(np.uint8)


def boundary_figure(
    grid: Grid, points: list[tuple[np.ndarray, np.ndarray, str]], problem: str,
    discretize: bool, labels: dict[str, str], height: int = 460,
) -> go.Figure:
    """The model's output over the plane with the data on top.

    points: (xy (N, 2), y (N,), kind) with kind "train" or "test"; test points
    are drawn with a dark outline so the two sets can be told apart.
    labels: "title", "x", "y", "value", "class" (with {k}), "train", "test".
    """
    values = np.asarray(grid.values, dtype=np.float32)
    if values.ndim == 3:  # multi-class probabilities
        rgb, opacity = _class_image(values, discretize), 1.0
    else:
        if discretize:
            values = np.sign(values) if problem != "regression" else np.round(values * 4) / 4
        rgb, opacity = diverging_image(values), SURFACE_OPACITY
    step = float(grid.xs[1] - grid.xs[0])
    traces = [dict(
        type="image", source=png_data_uri(rgb), x0=float(grid.xs[0]), dx=step,
        y0=float(grid.ys[0]), dy=step, opacity=opacity, hoverinfo="skip",
    )]
    scale_shown = False
    if problem != "regression":  # the classes drawn
        k = max([2, *(int(np.max(y)) + 1 for _, y, _ in points if len(y))])
    for xy, y, kind in points:
        if len(xy) == 0:
            continue
        outline = "white" if kind == "train" else "#222222"
        if problem == "regression":
            # The colour bar the surface used to carry: the points share its scale.
            marker = dict(color=np.asarray(y, dtype=np.float32), colorscale=DIVERGING,
                          cmin=-1, cmax=1, showscale=not scale_shown,
                          colorbar=dict(title=dict(text=labels["value"]), thickness=12,
                                        len=0.8))
            scale_shown = True
        else:
            marker = class_colours(y, k)
        marker.update(size=7, line=dict(color=outline, width=1.2 if kind == "train" else 1.6))
        traces.append(dict(
            type="scatter", x=np.asarray(xy[:, 0], dtype=np.float32),
            y=np.asarray(xy[:, 1], dtype=np.float32), mode="markers", marker=marker,
            name=labels[kind], showlegend=False, customdata=np.asarray(y),
            hovertemplate=f"{labels[kind]}<br>x1=%{{x:.2f}}<br>x2=%{{y:.2f}}<br>"
            + (labels["value"] if problem == "regression" else labels["class"])
            + "=%{customdata}<extra></extra>",
        ))
    extent = float(grid.xs[-1])
    return go.Figure(data=traces, layout=layout(
        labels["title"], height,
        dict(title=dict(text=labels["x"]), range=[-extent, extent], constrain="domain"),
        dict(title=dict(text=labels["y"]), range=[-extent, extent], scaleanchor="x",
             constrain="domain", autorange=False),
        hovermode="closest",
    ))
