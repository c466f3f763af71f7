"""Figures of runs side by side: the curves of every run overlaid (one colour
per run, the legend naming what differs), their boundaries as small
multiples in one figure (a small PNG each, as charts/boundary.py draws a
surface), a sweep's final and best scores against the setting, and the
results table. Plain arrays and DataFrames in, Plotly figures out."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from playground.charts.boundary import surface_trace
from playground.charts.common import class_colours, layout
from playground.charts.decimate import LIVE_POINTS, compact, decimate

if TYPE_CHECKING:  # the type only: charts import no torch
    from playground.dense.probe import Grid

# Eight runs, eight colours that stay apart for the common colour-vision
# deficiencies (Okabe-Ito, then two greys of a different lightness).
RUN_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#000000",
               "#999999")
TILE_COLUMNS = 4  # small multiples per row
TILE_HEIGHT = 210  # px per row of small multiples
TITLE_CHARS = 30  # a tile's title beyond this is cut: it would run into the next tile


def run_colour(i: int) -> str:
    return RUN_COLOURS[i % len(RUN_COLOURS)]


def compare_curves(frames: list[pd.DataFrame], names: list[str], metric: str,
                   labels: dict[str, str], max_points: int | None = LIVE_POINTS,
                   y_range: tuple[float, float] | None = None, height: int = 300) -> go.Figure:
    """`metric` ("loss" or "acc") of every run against the epoch: the test
    curve solid, the training curve dashed in the same colour, grouped in
    the legend under the run's name. Hovering shows every run's values at
    that epoch ("x unified"). labels: "title", "y", "x", "train", "test"."""
    traces = []
    for i, (frame, name) in enumerate(zip(frames, names)):
        epoch = np.asarray(frame["epoch"], dtype=np.float64)
        for part, dash in (("test", "solid"), ("train", "dot")):
            column = f"{part}_{metric}"
            x, y = decimate(epoch, np.asarray(frame[column], dtype=np.float64), max_points)
            traces.append(dict(
                type="scatter", x=compact(x), y=y.astype(np.float32), mode="lines",
                name=f"{name} · {labels[part]}", legendgroup=str(i),
                showlegend=part == "test", line=dict(color=run_colour(i), width=2, dash=dash),
                hovertemplate="%{y:.4f}",
            ))
    # Below the plot, a row per few runs: beside it, long names would squeeze the plot.
    legend = dict(orientation="h", yanchor="top", y=-0.25, xanchor="left", x=0.0)
    rows = -(-len(names) // 2)
    return go.Figure(data=traces, layout=layout(
        labels["title"], height + 22 * rows, dict(title=dict(text=labels["x"]),
                                                  rangemode="tozero"),
        dict(title=dict(text=labels["y"]), range=y_range), legend=legend,
        margin=dict(l=10, r=10, t=40, b=10)))


def boundary_tiles(grids: list[Grid | None], datasets: list, names: list[str], problem: str,
                   discretize: bool, labels: dict[str, str]) -> go.Figure:
    """Every run's boundary as a small multiple with its training points,
    TILE_COLUMNS to a row, titled with the run's name (a tile with no grid
    yet stays empty). labels: "title", "empty"."""
    k = len(names)
    cols = min(TILE_COLUMNS, max(k, 1))
    rows = max(1, -(-k // cols))
    gap_x, gap_y = 0.03, 0.12 / rows
    w, h = (1 - gap_x * (cols - 1)) / cols, (1 - gap_y * (rows - 1)) / rows
    traces, axes, notes = [], {}, []
    for i, (grid, data, name) in enumerate(zip(grids, datasets, names)):
        r, c = divmod(i, cols)
        n = "" if i == 0 else str(i + 1)
        x0, y1 = c * (w + gap_x), 1 - r * (h + gap_y)
        axis = dict(domain=[x0, x0 + w], visible=False, fixedrange=True)
        axes[f"xaxis{n}"] = axis
        axes[f"yaxis{n}"] = dict(domain=[y1 - h, y1], visible=False, fixedrange=True,
                                 scaleanchor=f"x{n}")
        title = name if len(name) <= TITLE_CHARS else name[: TITLE_CHARS - 1] + "…"
        notes.append(dict(text=f'<span style="color:{run_colour(i)}">■</span> {title}',
                          x=x0 + w / 2, y=y1, xref="paper", yref="paper", xanchor="center",
                          yanchor="bottom", showarrow=False, font=dict(size=12)))
        if grid is None:
            continue
        extent = float(grid.xs[-1])
        axis["range"] = axes[f"yaxis{n}"]["range"] = [-extent, extent]
        traces.append({**surface_trace(grid, problem, discretize), "xaxis": f"x{n}",
                       "yaxis": f"y{n}"})
        if data is not None and problem != "regression":
            xy, y = data.x_train, data.y_train
            marker = class_colours(y, max(2, int(np.max(y)) + 1) if len(y) else 2)
            marker.update(size=3, line=dict(width=0.4, color="white"))
            traces.append(dict(type="scatter", mode="markers", x=xy[:, 0].astype(np.float32),
                               y=xy[:, 1].astype(np.float32), marker=marker, xaxis=f"x{n}",
                               yaxis=f"y{n}", hoverinfo="skip", showlegend=False))
    return go.Figure(data=traces, layout=layout(
        labels["title"], 40 + TILE_HEIGHT * rows, annotations=notes, hovermode=False,
        margin=dict(l=10, r=10, t=58, b=10), showlegend=False, **axes))


def sweep_figure(results: pd.DataFrame, metric: str, log_x: bool, labels: dict[str, str],
                 height: int = 300) -> go.Figure:
    """A sweep's final and best test `metric` ("loss" or "acc") against the
    setting's value (results: "value", f"final_{metric}", f"best_{metric}"
    per run, in the sweep's order). Names (activation, optimizer) go on a
    category axis; log_x: a log axis (learning rate, L1, L2, batch size).
    labels: "title", "x", "y", "final", "best"."""
    values = list(results["value"])
    numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
    traces = []
    for kind, colour, dash in (("final", "#0072B2", "solid"), ("best", "#D55E00", "dot")):
        traces.append(dict(
            type="scatter", x=values if numeric else [str(v) for v in values],
            y=np.asarray(results[f"{kind}_{metric}"], dtype=np.float64).astype(np.float32),
            mode="lines+markers", name=labels[kind], marker=dict(size=8, color=colour),
            line=dict(color=colour, width=2, dash=dash), hovertemplate="%{y:.4f}"))
    if not numeric:
        x_axis = dict(title=dict(text=labels["x"]), type="category")
    elif log_x:
        x_axis = dict(title=dict(text=labels["x"]), type="log")
    else:
        x_axis = dict(title=dict(text=labels["x"]))
    y_axis = dict(title=dict(text=labels["y"]), **({"range": (0, 1.02)} if metric == "acc"
                                                   else {}))
    return go.Figure(data=traces, layout=layout(labels["title"], height, x_axis, y_axis))


def results_frame(frames: list[pd.DataFrame], names: list[str], values: list,
                  states: list, specs: list) -> pd.DataFrame:
    """One row per run: its name and value, its settings (learning rate,
    optimizer, layers), final and best scores, epochs and seconds trained.
    A column a run has no value for (accuracy for regression) holds NaN."""
    rows = []
    for frame, name, value, state, spec in zip(frames, names, values, states, specs):
        def last(column: str, f=frame):
            col = pd.to_numeric(f[column], errors="coerce") if len(f) else pd.Series([], float)
            return float(col.iloc[-1]) if len(col) else float("nan")

        def best(column: str, pick, f=frame):
            col = pd.to_numeric(f[column], errors="coerce").dropna() if len(f) else []
            return float(pick(col)) if len(col) else float("nan")

        rows.append({
            "run": name, "value": value, "lr": spec.lr, "optimizer": spec.optimizer,
            "hidden": ",".join(layer.encode() for layer in spec.hidden) or "none",
            "batch_size": spec.batch_size, "regularization": spec.regularization,
            "reg_rate": spec.reg_rate,
            "final_train_loss": last("train_loss"), "final_loss": last("test_loss"),
            "final_train_acc": last("train_acc"), "final_acc": last("test_acc"),
            "best_loss": best("test_loss", np.min), "best_acc": best("test_acc", np.max),
            "epochs": state.epoch, "seconds": round(state.seconds, 2), "status": state.status,
        })
    return pd.DataFrame(rows)
