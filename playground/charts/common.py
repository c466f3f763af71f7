"""What the figures share: colours, the layout, an empty figure, training
curves, and a classifier's evaluation (confusion matrix, per-class report).
Orange is class 0 / negative and blue class 1 / positive, as in TensorFlow
Playground; these and the extra classes (Okabe-Ito) stay distinguishable with
the common colour-vision deficiencies. A builder given nothing to draw shows
`labels["empty"]` (a dash without it).
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.colors
import plotly.graph_objects as go
from PIL import Image

from playground.charts.decimate import LIVE_POINTS, compact, decimate

# Tables may have up to 20 classes: after the first five, plotly's Dark24.
CLASS_COLOURS = ("#E69F00", "#0072B2", "#009E73", "#CC79A7", "#D55E00",
                 *plotly.colors.qualitative.Dark24[:15])
DIVERGING = [[0.0, "#E69F00"], [0.5, "#F7F7F7"], [1.0, "#0072B2"]]
# White -> blue: readable by all common colour-vision deficiencies, and dark
# cells stay distinguishable from the pale ones in greyscale print.
SEQUENTIAL = [[0.0, "#FFFFFF"], [0.15, "#DCEAF5"], [1.0, "#0072B2"]]
TRAIN_COLOUR, TEST_COLOUR = "#0072B2", "#D55E00"
FONT = dict(family="Source Sans Pro, sans-serif", size=13)
# From this many epochs on, curves use a log-scale epoch axis: on a linear one
# the first hundred epochs, where most of the learning shows, are a few pixels.
LOG_EPOCHS = 1000


def class_colours(classes: np.ndarray, k: int) -> dict:
    """Marker colours for class indices (N,) of k classes: class i gets
    CLASS_COLOURS[i] through a stepped colour scale. Numbers send and
    validate far faster than one colour string per point (10,000 points:
    2 ms instead of 150)."""
    k = max(1, min(int(k), len(CLASS_COLOURS)))
    return dict(color=np.asarray(classes, dtype=np.int8), cmin=-0.5, cmax=k - 0.5,
                colorscale=[[(i + j) / k, c] for i, c in enumerate(CLASS_COLOURS[:k])
                            for j in (0, 1)])


def png_data_uri(rgb: np.ndarray) -> str:
    """(H, W, 3) uint8 -> "data:image/png;base64,..." (row 0 first in the file).
    An image trace draws row 0 at its y0: the bottom, on an axis going up."""
    png = io.BytesIO()
    Image.fromarray(rgb).save(png, format="png", compress_level=1)  # fast: redrawn often
    return "data:image/png;base64," + base64.b64encode(png.getvalue()).decode("ascii")


GRID = dict(showgrid=True, gridcolor="#EEEEEE", zeroline=False)
# The top margin holds two rows: the title (on the left; Plotly's toolbar
# shows on the right of this row while the pointer is over the chart), then
# the legend, right-aligned just above the plot, below the toolbar's 30 px
# so that the toolbar never covers it.
TITLE_PAD, TOP_MARGIN = 8, 58
LEGEND_ABOVE = dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1.0)


def layout(title: str, height: int, xaxis: dict | None = None, yaxis: dict | None = None,
           **extra) -> dict:
    """The shared layout of a one-plot figure as a plain dict, axes included
    (`extra` adds or replaces top-level keys).

    Figures are built as go.Figure(data=[dicts], layout=this), so Plotly
    validates everything once. Its update_layout and update_*axes calls
    validate again on each call: a small figure cost ~10 ms instead of ~1 ms,
    on every redraw."""
    return {
        "title": dict(text=title, x=0.0, xanchor="left", y=1.0, yanchor="top", yref="container",
                      pad=dict(t=TITLE_PAD), font=dict(size=15)),
        "height": height, "margin": dict(l=10, r=10, t=TOP_MARGIN, b=10), "font": FONT,
        "legend": LEGEND_ABOVE,
        "hovermode": "x unified", "plot_bgcolor": "white",
        "xaxis": {**GRID, **(xaxis or {})}, "yaxis": {**GRID, **(yaxis or {})}, **extra,
    }


def empty_figure(title: str, labels: dict[str, str], height: int = 200) -> go.Figure:
    """A figure with nothing to draw: the title and an explanatory note."""
    return go.Figure(layout=layout(
        title, height, dict(visible=False), dict(visible=False), annotations=[dict(
            text=labels.get("empty", "—"), x=0.5, y=0.5, xref="paper", yref="paper",
            showarrow=False, font=dict(size=14, color="#666666"),
        )],
    ))


def curves_figure(
    frame, columns: dict[str, str], title: str, y_title: str,
    x_title: str, height: int = 260, y_range: tuple[float, float] | None = None,
    max_points: int | None = LIVE_POINTS, log_x: bool = False,
    log_x_title: str | None = None,
) -> go.Figure:
    """Line per column of `frame` (a DataFrame or a dict of arrays) against its
    "epoch"; columns maps column -> legend name. Each line is cut to at most
    max_points by min/max per bucket (None: every point), so it costs the same
    at epoch 100 and at epoch 100,000 and hovering still shows real values.

    log_x: a log-scale epoch axis (titled `log_x_title`, if given), on which
    the first epochs' drop stays as wide as all the later epochs (see
    `log_epochs`). Epoch 0, which a log axis cannot show, is left out."""
    epoch = np.asarray(frame["epoch"], dtype=np.float64)
    traces = []
    for (column, name), colour in zip(columns.items(), (TRAIN_COLOUR, TEST_COLOUR)):
        x, y = decimate(epoch, np.asarray(frame[column], dtype=np.float64), max_points, log_x)
        traces.append(dict(
            type="scatter", x=compact(x), y=y.astype(np.float32), name=name, mode="lines",
            line=dict(color=colour, width=2), hovertemplate="%{y:.4f}",
        ))
    x_axis = (dict(title=dict(text=log_x_title or x_title), type="log") if log_x
              else dict(title=dict(text=x_title), rangemode="tozero"))
    return go.Figure(data=traces, layout=layout(
        title, height, x_axis, dict(title=dict(text=y_title), range=y_range)))


def log_epochs(epoch) -> bool:
    """Whether curves over these epochs (N,) want a log-scale axis: from
    LOG_EPOCHS epochs on."""
    return len(epoch) > 0 and float(epoch[-1]) >= LOG_EPOCHS


def confusion_figure(
    cm: np.ndarray, classes: Sequence[str], labels: dict[str, str],
) -> go.Figure:
    """Counts in every cell, rows = true class (class 0 at the top), columns =
    predicted. Cells are coloured by their share of the row, so a small class's
    mistakes show as clearly as a big one's.
    labels: "title", "true", "predicted", "count", "share" (and "empty")."""
    cm = np.asarray(cm, dtype=np.int64)
    k = len(classes)
    if k == 0 or cm.size == 0:
        return empty_figure(labels["title"], labels)
    if cm.shape != (k, k):
        raise ValueError(f"cm of shape {cm.shape} does not match {k} classes")
    names = [str(c) for c in classes]
    rows = cm.sum(axis=1, keepdims=True)
    share = np.divide(cm, rows, out=np.zeros(cm.shape), where=rows != 0)
    custom = np.array([[(true, pred) for pred in names] for true in names], dtype=object)
    ticks = list(range(k))
    longest = max(len(n) for n in names)
    axis = dict(tickvals=ticks, ticktext=names, showgrid=False, automargin=True)
    return go.Figure(data=[dict(
        type="heatmap", z=share, x=ticks, y=ticks, text=cm.tolist(), texttemplate="%{text}",
        textfont=dict(size=13 if k <= 5 else 11), customdata=custom,
        colorscale=SEQUENTIAL, zmin=0.0, zmax=1.0, xgap=1, ygap=1,
        colorbar=dict(title=dict(text=labels["share"], side="right"), tickformat=".0%",
                      thickness=12, len=0.8),
        hovertemplate=f"{labels['true']}: %{{customdata[0]}}<br>"
        f"{labels['predicted']}: %{{customdata[1]}}<br>"
        f"{labels['count']}: %{{text}}<br>{labels['share']}: %{{z:.1%}}<extra></extra>",
    )], layout=layout(
        labels["title"], max(300, 150 + 40 * k + 5 * min(longest, 16)),
        dict(title=dict(text=labels["predicted"]), tickangle=-40 if k * longest > 40 else 0,
             **axis),
        dict(title=dict(text=labels["true"]), autorange="reversed", **axis),
        hovermode="closest",
    ))


def report_table(report_df: pd.DataFrame, labels: dict[str, str],
                 decimals: int | None = 3) -> pd.DataFrame:
    """metrics.per_class_report's frame, scores rounded to `decimals` (None:
    as they are) and the columns renamed with labels "class", "precision",
    "recall", "f1", "support"."""
    table = report_df.copy()
    if decimals is not None:
        scores = ["precision", "recall", "f1"]
        table[scores] = table[scores].astype(float).round(decimals)
    return table.rename(columns={c: labels.get(c, c) for c in table.columns})
