"""Figures for image classifiers: grids of small images (misclassified
examples, first-layer filters, feature maps), one image, and a prediction's
class probabilities. Given nothing to draw, each shows `labels["empty"]`.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from playground.charts.common import FONT, empty_figure, layout

HIGHLIGHT, MUTED = "#0072B2", "#B8B8B8"
TITLE_CHAR_PX = 6.5  # about how wide one character of an 11 px image title is
TITLE_LINE_PX = 14  # height of one line of an image title
ARROW = "\u2192 "  # titles "true \u2192 predicted (p%)" break after the arrow first


def _wrap(title: str, chars: int) -> str:
    """Break a title into lines of at most about `chars` characters so titles of
    neighbours don't collide: at "\\n" always, after an arrow when too long,
    then at spaces."""
    lines = []
    for line in str(title).split("\n"):
        if len(line) > chars and ARROW in line:
            head, tail = line.split(ARROW, 1)
            parts = [head + ARROW.strip(), tail]
        else:
            parts = [line]
        for part in parts:
            lines += textwrap.wrap(part, chars, break_long_words=False) or [""]
    return "<br>".join(lines)


def _range(images: np.ndarray, zmid: float | None) -> tuple[float, float]:
    finite = images[np.isfinite(images)]
    if finite.size == 0:
        return 0.0, 1.0
    lo, hi = float(finite.min()), float(finite.max())
    if zmid is not None:
        half = max(abs(lo - zmid), abs(hi - zmid)) or 1.0
        return zmid - half, zmid + half
    return (lo, hi) if hi > lo else (lo - 0.5, hi + 0.5)


def image_grid_figure(
    images: np.ndarray, titles: Sequence[str], cols: int, labels: dict[str, str],
    colorscale: str | list = "gray_r", zmid: float | None = None,
    shared_scale: bool = True, showscale: bool = False, width: int = 700,
) -> go.Figure:
    """Small multiples of (N, H, W) images, one short title over each, row-major.

    For weights and feature maps pass colorscale=DIVERGING and zmid=0.0: the
    colour range is then symmetric around zmid, so white means zero. With
    shared_scale every image uses one colour range (compare magnitudes across
    images; showscale draws its colour bar); without it each image is
    stretched to its own range and no colour bar is drawn.
    width: the width the figure is expected to get (the container's), which
    sets where titles wrap and the rows' height; the figure fills its container.
    labels: "title", "value" (hover) and "empty" (shown when N == 0).
    """
    images = np.asarray(images, dtype=np.float64)
    if images.size == 0 or images.ndim != 3 or len(images) == 0:
        return empty_figure(labels["title"], labels)
    n, h, w = images.shape
    if len(titles) != n:
        raise ValueError(f"{n} images but {len(titles)} titles")
    cols = max(1, min(int(cols), n))
    rows = -(-n // cols)
    chars = max(6, int(width / cols / TITLE_CHAR_PX) - 1)
    row_height = int(min(120, max(50, width / cols - 12)))  # px of image; titles go on top
    wrapped = [_wrap(t, chars) for t in titles]
    title_px = TITLE_LINE_PX * max(t.count("<br>") + 1 for t in wrapped) + 6
    top = 36 + title_px  # the figure's title, then the first row's image titles
    plot_h = rows * (row_height + title_px) - title_px
    height = top + plot_h + 10
    h_gap, v_gap = min(0.04, 0.2 / cols), title_px / plot_h  # paper fractions
    cell_w, cell_h = (1 - h_gap * (cols - 1)) / cols, (1 - v_gap * (rows - 1)) / rows
    lo, hi = _range(images, zmid)
    # Axes laid out by hand in one dict: make_subplots and update_*axes validate
    # every axis one by one and take ~1 s for 32 images, this ~0.1 s.
    axes = layout(labels["title"], height)
    traces, notes = [], []
    for i, image in enumerate(images):
        x0, y1 = (i % cols) * (cell_w + h_gap), 1 - (i // cols) * (cell_h + v_gap)
        x_name, y_name = ("x", "y") if i == 0 else (f"x{i + 1}", f"y{i + 1}")
        axes["xaxis" + x_name[1:]] = dict(
            domain=[x0, x0 + cell_w], anchor=y_name, scaleanchor=y_name, visible=False,
            constrain="domain", range=[-0.5, w - 0.5],
        )
        axes["yaxis" + y_name[1:]] = dict(  # a narrow cell keeps its image under its title
            domain=[max(0.0, y1 - cell_h), y1], anchor=x_name, visible=False,
            constrain="domain", constraintoward="top", range=[h - 0.5, -0.5],
        )
        notes.append(dict(
            text=wrapped[i], x=x0 + cell_w / 2, y=y1, xref="paper", yref="paper",
            xanchor="center", yanchor="bottom", showarrow=False,
            font=dict(size=11, family=FONT["family"]),
        ))
        trace = dict(
            type="heatmap", z=image, xaxis=x_name, yaxis=y_name,
            hovertemplate=f"{titles[i]}<br>(%{{y}}, %{{x}})<br>{labels['value']}: "
            "%{z:.3f}<extra></extra>",
        )
        if shared_scale:
            trace.update(coloraxis="coloraxis")
        else:  # each image its own range: one colour bar could not explain them all
            zmin, zmax = _range(image[None], zmid)
            trace.update(zmin=zmin, zmax=zmax, colorscale=colorscale, showscale=False)
        traces.append(trace)
    axes.update(hovermode="closest", margin=dict(l=10, r=10, t=top, b=10), annotations=notes)
    if shared_scale:
        axes["coloraxis"] = dict(
            colorscale=colorscale, cmin=lo, cmax=hi, showscale=showscale,
            colorbar=dict(thickness=10, len=0.6, title=dict(text=labels["value"])),
        )
    axes["title"].update(yref="container", y=1.0, yanchor="top", pad=dict(t=10))
    return go.Figure(data=traces, layout=axes)


def image_figure(image: np.ndarray, title: str, height: int = 260) -> go.Figure:
    """One image with square pixels, row 0 at the top (e.g. what the network sees)."""
    image = np.asarray(image, dtype=np.float64)
    if image.ndim != 2 or image.size == 0:
        return empty_figure(title, {})
    h, w = image.shape
    lo, hi = _range(image[None], None)
    return go.Figure(data=[dict(
        type="heatmap", z=image, zmin=lo, zmax=hi, colorscale="gray_r", showscale=False,
        hovertemplate="(%{y}, %{x}): %{z:.3f}<extra></extra>",
    )], layout=layout(
        title, height, dict(visible=False, range=[-0.5, w - 0.5], constrain="domain"),
        dict(visible=False, range=[h - 0.5, -0.5], scaleanchor="x", constrain="domain"),
        hovermode="closest",
    ))


def probability_figure(
    probs: np.ndarray, classes: Sequence[str], labels: dict[str, str],
) -> go.Figure:
    """Horizontal bars of class probabilities, class 0 at the top, the most
    likely class in blue and the rest grey, the percentage written on each bar.

    labels: "title", "probability" (and "empty").
    """
    probs = np.asarray(probs, dtype=np.float64).ravel()
    if probs.size == 0:
        return empty_figure(labels["title"], labels)
    if len(classes) != probs.size:
        raise ValueError(f"{probs.size} probabilities but {len(classes)} classes")
    names = [str(c) for c in classes]
    best = int(np.nanargmax(probs)) if np.isfinite(probs).any() else -1
    colours = [HIGHLIGHT if i == best else MUTED for i in range(probs.size)]
    return go.Figure(data=[dict(
        type="bar", x=probs, y=list(range(probs.size)), orientation="h",
        marker=dict(color=colours), text=[f"{p:.1%}" for p in probs], textposition="outside",
        cliponaxis=False, customdata=names,
        hovertemplate=f"%{{customdata}}<br>{labels['probability']}: %{{x:.2%}}<extra></extra>",
    )], layout=layout(
        labels["title"], max(160, 70 + 24 * probs.size),
        dict(title=dict(text=labels["probability"]), range=[0, 1.15], tickformat=".0%",
             tickvals=[0, 0.25, 0.5, 0.75, 1.0]),
        dict(tickvals=list(range(probs.size)), autorange="reversed", showgrid=False,
             ticktext=[f"<b>{n}</b>" if i == best else n for i, n in enumerate(names)],
             automargin=True, ticklabelstandoff=6),
        hovermode="closest", bargap=0.25, showlegend=False,
    ))
