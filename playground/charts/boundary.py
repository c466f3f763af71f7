"""The decision-boundary figure: the model's output over the plane with the
data on top. Plain arrays in, a Plotly figure out; no models, no Streamlit.

The surface goes to the browser as one small PNG (an image trace, as the
network drawing's tiles do), coloured here exactly as Plotly coloured the
heatmap it replaces: a 100 x 100 float heatmap was ~55 KB of JSON on every
redraw, the PNG is a few KB. Hovering shows the data points' values; the
surface itself has no hover.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

import numpy as np
import plotly.graph_objects as go
from plotly.colors import hex_to_rgb

from playground.charts.common import (
    CLASS_COLOURS,
    DIVERGING,
    TOP_MARGIN,
    class_colours,
    layout,
    png_data_uri,
)

if TYPE_CHECKING:  # the type only: charts import no torch
    from playground.dense.probe import Grid

SURFACE_OPACITY = 0.75  # a two-class or regression surface, over the white plot
OUTLINE = "#222222"  # around test points
KEY_FILL = "#AAAAAA"  # the key's dot for training points: no class colour
KEY_CHAR_PX, KEY_PAD = 7, 30  # the key's width: per character of its longest name, plus the dot


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


def surface_trace(grid: Grid, problem: str, discretize: bool) -> dict:
    """The model's output over the plane as one image trace: a small PNG,
    coloured by class (multi-class) or on the diverging scale."""
    values = np.asarray(grid.values, dtype=np.float32)
    if values.ndim == 3:  # multi-class probabilities
        rgb, opacity = _class_image(values, discretize), 1.0
    else:
        if discretize:
            values = np.sign(values) if problem != "regression" else np.round(values * 4) / 4
        rgb, opacity = diverging_image(values), SURFACE_OPACITY
    step = float(grid.xs[1] - grid.xs[0])
    return dict(type="image", source=png_data_uri(rgb), x0=float(grid.xs[0]), dx=step,
                y0=float(grid.ys[0]), dy=step, opacity=opacity, hoverinfo="skip")


def boundary_figure(
    grid: Grid, points: list[tuple[np.ndarray, np.ndarray, str]], problem: str,
    discretize: bool, labels: dict[str, str], height: int = 460,
) -> go.Figure:
    """The model's output over the plane with the data on top.

    points: (xy (N, 2), y (N,), kind) with kind "train" or "test"; test points
    are drawn with a dark outline so the two sets can be told apart.
    labels: "title", "x", "y", "value", "class", "train", "test"; optional
    "classes" (the classes' names, else "<class> k").
    The legend names each class by its colour, and says how test points look.
    """
    traces = [surface_trace(grid, problem, discretize)]
    scale_shown = False
    if problem != "regression":  # the classes drawn
        k = max([2, *(int(np.max(y)) + 1 for _, y, _ in points if len(y))])
    for xy, y, kind in points:
        if len(xy) == 0:
            continue
        if problem == "regression":
            # The colour bar the surface used to carry: the points share its scale.
            marker = dict(color=np.asarray(y, dtype=np.float32), colorscale=DIVERGING,
                          cmin=-1, cmax=1, showscale=not scale_shown,
                          colorbar=dict(title=dict(text=labels["value"]), thickness=12,
                                        len=0.8))
            scale_shown = True
        else:
            marker = class_colours(y, k)
        marker.update(_marker(kind))
        value = labels["value"] if problem == "regression" else labels["class"]
        traces.append(dict(
            type="scatter", x=np.asarray(xy[:, 0], dtype=np.float32),
            y=np.asarray(xy[:, 1], dtype=np.float32), mode="markers", marker=marker,
            name=labels[kind], showlegend=False, customdata=np.asarray(y),
            hovertemplate=f"{labels[kind]}<br>x1=%{{x:.2f}}<br>x2=%{{y:.2f}}<br>{value}"
            "=%{customdata}<extra></extra>",
        ))
    test = any(kind == "test" and len(xy) for xy, _, kind in points)
    key, key_width = _key(labels, None if problem == "regression" else k, test)
    extent = float(grid.xs[-1])
    return go.Figure(data=traces, layout=layout(
        labels["title"], height,
        # The square plot keeps to the right of a wide chart, next to its key.
        dict(title=dict(text=labels["x"]), range=[-extent, extent], constrain="domain",
             constraintoward="right"),
        dict(title=dict(text=labels["y"]), range=[-extent, extent], scaleanchor="x",
             constrain="domain", autorange=False),
        hovermode="closest", annotations=[key] if key else [],
        margin=dict(l=10, r=10 + key_width, t=TOP_MARGIN, b=10),
    ))


def _marker(kind: str) -> dict:
    """Size and outline of a point: test points have a dark outline."""
    outline = "white" if kind == "train" else OUTLINE
    return dict(size=7, line=dict(color=outline, width=1.2 if kind == "train" else 1.6))


def _key(labels: dict[str, str], k: int | None, test: bool) -> tuple[dict | None, int]:
    """The legend, beside the plot where the toolbar never reaches: a dot of
    each class's colour with its name (`k` classes; None for regression,
    whose colour bar stands there) and, when test points are drawn, how they
    look. An annotation, not legend entries: each point set is one trace
    coloured by class, and a legend entry that hides nothing when clicked
    would only confuse. Returns (the annotation or None, its width in px)."""
    names = list(labels.get("classes") or ())
    names += [f"{labels['class']} {c}" for c in range(len(names), k or 0)]
    lines = [(CLASS_COLOURS[c % len(CLASS_COLOURS)], "●", names[c]) for c in range(k or 0)]
    if test:
        lines += [(KEY_FILL, "●", labels["train"]), (OUTLINE, "◉", labels["test"])]
    if not lines or k is None:  # regression: its colour bar is on the right
        return (_above(lines) if lines else None), 0
    text = "<br>".join(f'<span style="color:{c}">{dot}</span> {escape(n)}' for c, dot, n in lines)
    width = KEY_PAD + KEY_CHAR_PX * max(len(n) for _, _, n in lines)
    return dict(text=text, xref="paper", yref="paper", x=1.0, y=1.0, xanchor="left",
                yanchor="top", xshift=8, align="left", showarrow=False), width


def _above(lines) -> dict:
    """The key in one row above the plot's right end (beside a colour bar)."""
    text = "   ".join(f'<span style="color:{c}">{dot}</span> {escape(n)}' for c, dot, n in lines)
    return dict(text=text, xref="paper", yref="paper", x=1.0, y=1.0, xanchor="right",
                yanchor="bottom", showarrow=False)
