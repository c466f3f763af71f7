"""What the figures share: colours, the layout, an empty figure, training
curves, and a classifier's evaluation (confusion matrix, per-class report).
Orange is class 0 / negative and blue class 1 / positive, as in TensorFlow
Playground; these and the extra classes (Okabe-Ito) stay distinguishable with
the common colour-vision deficiencies. A builder given nothing to draw shows
`labels["empty"]` (a dash without it).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.colors
import plotly.graph_objects as go

# Tables may have up to 20 classes: after the first five, plotly's Dark24.
CLASS_COLOURS = ("#E69F00", "#0072B2", "#009E73", "#CC79A7", "#D55E00",
                 *plotly.colors.qualitative.Dark24[:15])
DIVERGING = [[0.0, "#E69F00"], [0.5, "#F7F7F7"], [1.0, "#0072B2"]]
# White -> blue: readable by all common colour-vision deficiencies, and dark
# cells stay distinguishable from the pale ones in greyscale print.
SEQUENTIAL = [[0.0, "#FFFFFF"], [0.15, "#DCEAF5"], [1.0, "#0072B2"]]
TRAIN_COLOUR, TEST_COLOUR = "#0072B2", "#D55E00"
FONT = dict(family="Source Sans Pro, sans-serif", size=13)


def apply_layout(fig: go.Figure, title: str, height: int) -> go.Figure:
    fig.update_layout(
        title=dict(text=title, x=0.0, xanchor="left", font=dict(size=15)),
        height=height, margin=dict(l=10, r=10, t=40, b=10), font=FONT,
        legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1.0),
        hovermode="x unified", plot_bgcolor="white",
    )
    fig.update_xaxes(showgrid=True, gridcolor="#EEEEEE", zeroline=False)
    fig.update_yaxes(showgrid=True, gridcolor="#EEEEEE", zeroline=False)
    return fig


def empty_figure(title: str, labels: dict[str, str], height: int = 200) -> go.Figure:
    """A figure with nothing to draw: the title and an explanatory note."""
    fig = go.Figure()
    apply_layout(fig, title, height)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.add_annotation(
        text=labels.get("empty", "—"), x=0.5, y=0.5, xref="paper", yref="paper",
        showarrow=False, font=dict(size=14, color="#666666"),
    )
    return fig


def curves_figure(
    frame: pd.DataFrame, columns: dict[str, str], title: str, y_title: str,
    x_title: str, height: int = 260, y_range: tuple[float, float] | None = None,
) -> go.Figure:
    """Line per column of `frame` against its epoch; columns maps column -> legend name."""
    fig = go.Figure()
    for (column, name), colour in zip(columns.items(), (TRAIN_COLOUR, TEST_COLOUR)):
        fig.add_trace(go.Scatter(
            x=frame["epoch"], y=frame[column], name=name, mode="lines",
            line=dict(color=colour, width=2), hovertemplate="%{y:.4f}",
        ))
    apply_layout(fig, title, height)
    fig.update_xaxes(title_text=x_title, rangemode="tozero")
    fig.update_yaxes(title_text=y_title, range=y_range)
    return fig


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
    fig = go.Figure(go.Heatmap(
        z=share, x=ticks, y=ticks, text=cm.tolist(), texttemplate="%{text}",
        textfont=dict(size=13 if k <= 5 else 11), customdata=custom,
        colorscale=SEQUENTIAL, zmin=0.0, zmax=1.0, xgap=1, ygap=1,
        colorbar=dict(title=dict(text=labels["share"], side="right"), tickformat=".0%",
                      thickness=12, len=0.8),
        hovertemplate=f"{labels['true']}: %{{customdata[0]}}<br>"
        f"{labels['predicted']}: %{{customdata[1]}}<br>"
        f"{labels['count']}: %{{text}}<br>{labels['share']}: %{{z:.1%}}<extra></extra>",
    ))
    longest = max(len(n) for n in names)
    apply_layout(fig, labels["title"], height=max(300, 150 + 40 * k + 5 * min(longest, 16)))
    fig.update_layout(hovermode="closest", plot_bgcolor="white")
    fig.update_xaxes(
        title_text=labels["predicted"], tickvals=ticks, ticktext=names, showgrid=False,
        tickangle=-40 if k * longest > 40 else 0, automargin=True,
    )
    fig.update_yaxes(
        title_text=labels["true"], tickvals=ticks, ticktext=names, showgrid=False,
        autorange="reversed", automargin=True,
    )
    return fig


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
