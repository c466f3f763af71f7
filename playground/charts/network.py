"""Figures of the network itself: the TensorFlow-Playground-style drawing of
the layers with every neuron's map, one neuron's map enlarged, per-layer
statistics over training, gradient flow and weight histograms.

The drawing stays cheap: all neuron tiles go into ONE RGB canvas shown as a
PNG image trace, the edges into at most 12 line traces (sign x width bucket),
and hovering/clicking comes from scatter traces whose customdata say what a
point is, with the real neuron indices (also when only some are shown), so a
selection indexes straight into the weights:

    ["n", column, neuron]      a neuron tile (column 0 = the inputs)
    ["w", layer, dst, src]     an edge: weights[layer][dst, src]
    ["b", layer, neuron]       a bias marker: biases[layer][neuron]
"""

from __future__ import annotations

import math
import textwrap

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import hex_to_rgb, sample_colorscale

from playground.charts.common import DIVERGING, FONT, layout, png_data_uri
from playground.charts.decimate import LIVE_POINTS, compact, decimate

OKABE_ITO = (
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#F0E442", "#000000",
)
NEGATIVE, MIDDLE, POSITIVE = (np.array(hex_to_rgb(c), dtype=np.float32) for _, c in DIVERGING)
GRAD_FLOOR = 1e-12  # gradient norms at or below this are drawn at it on the log axis

# Network drawing geometry. Canvas units are canvas pixels; a tile is R of them
# (R = the maps' resolution) and about TILE_PX screen pixels.
TILE_PX, MIN_TILE_PX = 40.0, 30.0
GAP = 0.3  # vertical gap between tiles, in tiles
MIN_PITCH_PX = 74.0  # columns at least this far apart on screen, so their texts fit
BORDER = (200, 200, 200)
MARGIN = 4  # figure margin, px, each side
HEADER_PX, MORE_PX = 34.0, 30.0  # room above the columns (2 lines) and under them
LEVELS = 32  # colour steps per sign in a tile
EDGE_BUCKETS = 6  # width buckets per sign
EDGE_COLOURS = {1: "#0072B2", -1: "#E69F00"}


class _Num(float):
    """A number for labels[...].format(): 4 significant digits unless the
    template gives a format spec ("{value:+.3f}")."""

    def __format__(self, spec: str) -> str:
        return format(float(self), spec or ".4g")


# --------------------------------------------------------------------------- network


def tile_rgb(maps: np.ndarray) -> np.ndarray:
    """(n, R, R) values -> (n, R, R, 3) uint8, orange-white-blue, each tile
    scaled symmetrically by its own max |value| (a tile of zeros is white),
    in LEVELS steps per sign."""
    maps = np.nan_to_num(np.asarray(maps, dtype=np.float32), nan=0.0, posinf=0.0, neginf=0.0)
    peak = np.abs(maps).max(axis=(1, 2), keepdims=True) if maps.size else maps
    t = np.divide(maps, peak, out=np.zeros_like(maps), where=peak > 0)[..., None]  # [-1, 1]
    t = np.round(t * LEVELS) / LEVELS  # halves the PNG; no banding visible at tile size
    rgb = MIDDLE + np.where(t >= 0, t * (POSITIVE - MIDDLE), -t * (NEGATIVE - MIDDLE))
    return np.rint(rgb).clip(0, 255).astype(np.uint8)


def _wrap(text: str, max_chars: int, max_lines: int = 2) -> str:
    """At most max_lines lines: first one line per " · " part (the separator
    dropped), then greedy breaks at spaces to keep lines under max_chars."""
    parts = text.split(" · ")
    if len(parts) > max_lines:
        parts = parts[: max_lines - 1] + [" · ".join(parts[max_lines - 1:])]
    lines: list[str] = []
    for part in parts:
        lines += textwrap.wrap(part, max_chars, break_long_words=False,
                               break_on_hyphens=False) or [""]
    if len(lines) > max_lines:
        lines = lines[: max_lines - 1] + [" ".join(lines[max_lines - 1:])]
    return "<br>".join(lines)


def _fit_tiles(columns: list[dict], resolution: int) -> np.ndarray:
    """Every column's maps in one (N, R, R) stack, resampled (nearest) to R = resolution."""
    out = [np.zeros((0, resolution, resolution), dtype=np.float32)]
    for col in columns:
        maps = np.asarray(col["maps"], dtype=np.float32)
        if maps.ndim == 3 and len(maps):
            rows = np.arange(resolution) * maps.shape[1] // resolution
            cols = np.arange(resolution) * maps.shape[2] // resolution
            out.append(maps[:, rows[:, None], cols[None, :]])
    return np.concatenate(out)


def network_figure(
    columns: list[dict], weights: list[np.ndarray], biases: list[np.ndarray],
    selected: tuple[int, int] | None, labels: dict[str, str], height: int = 520,
) -> go.Figure:
    """A dense network drawn as TensorFlow Playground draws it.

    columns: left to right (inputs, hidden layers, output), each a dict with
      "name" (str), "maps" ((n_shown, R, R) values over the input plane, row 0
      at the bottom), "shown" (the n_shown neuron indices the maps are),
      "width" (the column's neuron count), "node_names" (n_shown strs).
    weights[l]: (width of column l+1, width of column l), PyTorch's (out, in);
      biases[l]: (width of column l+1,). Only edges between shown neurons are drawn.
    selected: (column, neuron) to outline, or None.
    labels: "more" ({shown}, {width}), "edge" ({layer}, {src}, {dst}, {value}),
      "node" ({name} = "node name (column name)", {bias}; also {column}, {node}),
      optional "input" ({name}, {column}, {node}) for input neurons (default "{name}").
    height: the figure's height in px; it grows where the tallest column would
      otherwise get tiles under MIN_TILE_PX, and tiles never exceed TILE_PX.
    """
    if len(weights) != len(columns) - 1 or len(biases) != len(columns) - 1:
        raise ValueError("need one weight matrix and one bias vector per pair of columns")
    first = next((np.shape(c["maps"]) for c in columns if len(c["shown"])), (0, 24, 24))
    res = int(first[1])
    counts = [len(c["shown"]) for c in columns]
    gap = max(2, round(GAP * res))
    step = res + gap
    tallest = max(1, max(counts, default=1))
    content_h = tallest * res + (tallest - 1) * gap + 2  # + 1 px of border each side
    truncated = [len(c["shown"]) < int(c["width"]) for c in columns]

    # Screen scale: s screen px per canvas px.
    more_px = MORE_PX if any(truncated) else 6.0
    room = height - 2 * MARGIN - HEADER_PX - more_px
    tile_px = min(TILE_PX, room * res / content_h)
    if tile_px < MIN_TILE_PX:
        tile_px = MIN_TILE_PX
        height = math.ceil(2 * MARGIN + HEADER_PX + more_px + content_h * MIN_TILE_PX / res)
    s = tile_px / res
    n_cols = len(columns)
    pitch_tiles = min(4.0, max(2.3, 21.5 / max(1, n_cols - 1)))
    pitch = max(round(pitch_tiles * res), math.ceil(MIN_PITCH_PX / s))
    pitch_px = pitch * s
    canvas_w = (n_cols - 1) * pitch + res + 2
    canvas = np.full((content_h, canvas_w, 3), 255, dtype=np.uint8)

    # Tile positions: left x and bottom y (canvas units) of every shown neuron.
    lefts, bottoms = [], []
    for c, n in enumerate(counts):
        offset = (content_h - 2 - (n * res + max(0, n - 1) * gap)) // 2
        lefts.append(1 + c * pitch)
        bottoms.append(1 + offset + (n - 1 - np.arange(n)) * step)  # first neuron on top
    rgb = iter(tile_rgb(_fit_tiles(columns, res)))  # one pass over every tile
    for c in range(n_cols):
        x = lefts[c]
        for y in bottoms[c]:
            canvas[y - 1:y + res + 1, x - 1:x + res + 1] = BORDER
            canvas[y:y + res, x:x + res] = next(rgb)

    # Traces and layout as plain dicts: go.Figure validates them once (graph
    # objects would be validated twice), which keeps the build cheap.
    traces = [dict(
        type="image", source=png_data_uri(canvas), x0=0.5, dx=1, y0=0.5, dy=1,
        hoverinfo="skip",
    )]
    traces += _edge_traces(columns, weights, lefts, bottoms, res, labels)
    traces += _node_traces(columns, biases, lefts, bottoms, res, tile_px, labels)

    annotations = []
    chars = max(6, int(pitch_px / 7.0))
    for c, col in enumerate(columns):
        centre = lefts[c] + res / 2
        annotations.append(dict(
            x=centre, y=content_h + 4 / s, xref="x", yref="y", yanchor="bottom",
            text=_wrap(str(col["name"]), chars), showarrow=False, font=dict(size=12),
        ))
        if truncated[c]:
            low = float(bottoms[c][-1]) if counts[c] else content_h / 2
            annotations.append(dict(
                x=centre, y=low - 3 / s, xref="x", yref="y", yanchor="top",
                text=_wrap(labels["more"].format(shown=counts[c], width=int(col["width"])),
                           chars),
                showarrow=False, font=dict(size=11, color="#555555"),
            ))
    shapes = []
    if selected is not None:
        c, neuron = int(selected[0]), int(selected[1])
        if 0 <= c < n_cols and neuron in list(columns[c]["shown"]):
            k = list(columns[c]["shown"]).index(neuron)
            x, y, pad = lefts[c], float(bottoms[c][k]), 1.5 / s + 1
            shapes.append(dict(
                type="rect", xref="x", yref="y", x0=x - pad, x1=x + res + pad,
                y0=y - pad, y1=y + res + pad, line=dict(color="#222222", width=3),
            ))

    span = (height - 2 * MARGIN) / s  # the y range that fills the plot at scale s
    low, high = -more_px / s, content_h + HEADER_PX / s
    spare = max(0.0, span - (high - low)) / 2
    pad_x = max(2.0, (pitch_px - tile_px) / 2 / s + 2)
    layout = dict(
        height=height, margin=dict(l=MARGIN, r=MARGIN, t=MARGIN, b=MARGIN), font=FONT,
        plot_bgcolor="white", paper_bgcolor="white", showlegend=False,
        hovermode="closest", dragmode=False, annotations=annotations, shapes=shapes,
        xaxis=dict(visible=False, range=[-pad_x, canvas_w + pad_x], autorange=False,
                   showgrid=False, zeroline=False, fixedrange=True),
        yaxis=dict(visible=False, range=[low - spare, high + spare], autorange=False,
                   showgrid=False, zeroline=False, scaleanchor="x", scaleratio=1,
                   fixedrange=True),
        hoverlabel=dict(bgcolor="white", bordercolor="#888888",
                        font=dict(size=12, color="#222222")),
    )
    return go.Figure(data=traces, layout=layout)


def _edge_traces(columns, weights, lefts, bottoms, res, labels) -> list[dict]:
    """Edges between shown neurons, grouped into sign x width buckets, plus one
    invisible scatter of points on the edges carrying hover text and customdata."""
    parts = []  # per layer: x0, y0, x1, y1, w, layer, dst, src (flattened a*b)
    for layer, w in enumerate(weights):
        src = np.asarray(columns[layer]["shown"], dtype=int)
        dst = np.asarray(columns[layer + 1]["shown"], dtype=int)
        if len(src) == 0 or len(dst) == 0:
            continue
        sub = np.asarray(w, dtype=np.float64)[np.ix_(dst, src)]  # (b, a)
        ys_src = bottoms[layer] + res / 2
        ys_dst = bottoms[layer + 1] + res / 2
        di, si = np.meshgrid(np.arange(len(dst)), np.arange(len(src)), indexing="ij")
        # Where each edge's hover point sits along it: 30% of the way for edges
        # into the top shown neuron, 70% for the bottom one. (Midpoints would
        # coincide: edges a->b and a+1->b-1 share one.)
        along = 0.3 + 0.4 * di.ravel() / max(1, len(dst) - 1)
        parts.append((
            np.full(sub.size, lefts[layer] + res + 1.0), ys_src[si.ravel()].astype(float),
            np.full(sub.size, lefts[layer + 1] - 1.0), ys_dst[di.ravel()].astype(float),
            sub.ravel(), np.full(sub.size, layer), dst[di.ravel()], src[si.ravel()],
            di.ravel(), si.ravel(), along,
        ))
    if not parts:
        return []
    x0, y0, x1, y1, w, layer, dst, src, dpos, spos, along = (
        np.concatenate([p[i] for p in parts]) for i in range(11))
    w = np.nan_to_num(w, nan=0.0, posinf=0.0, neginf=0.0)
    mag = np.abs(w)
    top = mag.max()
    ratio = mag / top if top > 0 else np.zeros_like(mag)
    bucket = np.minimum((ratio * EDGE_BUCKETS).astype(int), EDGE_BUCKETS - 1)
    sign = np.where(w < 0, -1, 1)
    # Paler where many edges cross one gap (16 x 16 = 256), so tiles stay readable.
    busiest = max(len(p[0]) for p in parts)
    fade = min(1.0, max(0.5, math.sqrt(100 / busiest)))
    traces = []
    for b in range(EDGE_BUCKETS):  # thin first, so the strong edges are drawn on top
        centre = (b + 0.5) / EDGE_BUCKETS
        for sg in (1, -1):
            pick = np.flatnonzero((bucket == b) & (sign == sg))
            if len(pick) == 0:
                continue
            # Each edge is (start, end, gap): one line trace, many edges. Plain
            # lists: Plotly validates a short list faster than an array.
            xs, ys = np.full((2, len(pick), 3), np.nan)
            xs[:, 0], xs[:, 1], ys[:, 0], ys[:, 1] = x0[pick], x1[pick], y0[pick], y1[pick]
            xs, ys = np.round(xs, 2).ravel().tolist(), np.round(ys, 2).ravel().tolist()
            traces.append(dict(
                type="scatter", x=xs, y=ys, mode="lines", hoverinfo="skip", showlegend=False,
                line=dict(color=EDGE_COLOURS[sg], width=0.5 + 4.5 * centre ** 1.5),
                opacity=(0.2 + 0.65 * centre) * fade, connectgaps=False,
            ))
    names = [list(c["node_names"]) for c in columns]
    text = np.array([
        labels["edge"].format(layer=lay + 1, src=names[lay][sp], dst=names[lay + 1][dp],
                              value=_Num(v))
        for lay, sp, dp, v in zip(layer.tolist(), spos.tolist(), dpos.tolist(), w.tolist())
    ])  # a str array: plotly validates and copies it far faster than a list
    traces.append(_points(
        (x0 + along * (x1 - x0)).astype(np.float32), (y0 + along * (y1 - y0)).astype(np.float32),
        text, _custom("w", layer, dst, src), dict(size=10, opacity=0, color="#000000")))
    return traces


def _custom(kind: str, *fields) -> np.ndarray:
    """(N, 1 + len(fields)) object array of rows [kind, field, ...] of Python ints."""
    columns = (np.asarray(field).tolist() for field in fields)
    return np.array([[kind, *row] for row in zip(*columns)], dtype=object)


def _points(x, y, text, custom, marker: dict) -> dict:
    """Hover and click points; a selection leaves their opacity as it is."""
    keep = dict(marker=dict(opacity=marker.get("opacity", 1)))
    return dict(type="scatter", x=x, y=y, mode="markers", text=np.array(text),
                customdata=custom, hovertemplate="%{text}<extra></extra>", showlegend=False,
                marker=marker, selected=keep, unselected=keep)


def _node_traces(columns, biases, lefts, bottoms, res, tile_px, labels) -> list[dict]:
    """Bias markers (non-input tiles) and the invisible tile-sized node markers."""
    nodes, bias_rows = [], []  # (x, y, text, column, neuron); a bias row adds its value
    for c, col in enumerate(columns):
        names = list(col["node_names"])
        for k, neuron in enumerate(int(i) for i in col["shown"]):
            x, y = lefts[c], float(bottoms[c][k])
            name = f"{names[k]} ({col['name']})"  # reads after "Neuron " and alone
            fields = dict(name=name, column=col["name"], node=names[k])
            if c == 0:
                text = labels.get("input", "{name}").format(**fields)
            else:
                b = float(np.asarray(biases[c - 1])[neuron])
                text = labels["node"].format(bias=_Num(b), **fields)
                bias_rows.append((x, y, text, c - 1, neuron, b if math.isfinite(b) else 0.0))
            nodes.append((x + res / 2, y + res / 2, text, c, neuron))
    traces = []
    if bias_rows:
        x, y, text, layer, neuron, value = zip(*bias_rows)
        top = max(abs(v) for v in value) or 1.0
        traces.append(_points(x, y, text, _custom("b", layer, neuron), dict(
            size=max(6, round(tile_px / 5)), symbol="square", color=value, colorscale=DIVERGING,
            cmin=-top, cmax=top, showscale=False, line=dict(color="#666666", width=0.8))))
    x, y, text, column, neuron = zip(*nodes) if nodes else ([], [], [], None, None)
    traces.append(_points(x, y, text, _custom("n", column, neuron) if nodes else None, dict(
        size=round(tile_px), symbol="square", opacity=0, color="#000000")))
    return traces


# --------------------------------------------------------------------------- one neuron


def neuron_map_figure(
    values: np.ndarray, extent: float, title: str, labels: dict[str, str], height: int = 360,
) -> go.Figure:
    """One neuron's map over [-extent, extent]^2 (row 0 at the bottom), enlarged.
    labels: "value" (colour bar title), "x", "y"."""
    values = np.asarray(values, dtype=np.float32)
    finite = np.abs(values[np.isfinite(values)])
    peak = float(finite.max()) if finite.size and finite.max() > 0 else 1.0
    xs = np.linspace(-extent, extent, values.shape[1])
    ys = np.linspace(-extent, extent, values.shape[0])
    axis = dict(range=[-extent, extent], constrain="domain", showgrid=False)
    return go.Figure(data=[dict(
        type="heatmap", x=xs.astype(np.float32), y=ys.astype(np.float32), z=values,
        zmin=-peak, zmax=peak, colorscale=DIVERGING, zsmooth="best",
        colorbar=dict(title=dict(text=labels["value"]), thickness=12, len=0.85),
        hovertemplate=f"{labels['x']}=%{{x:.2f}}<br>{labels['y']}=%{{y:.2f}}<br>"
        f"{labels['value']}=%{{z:.4g}}<extra></extra>",
    )], layout=layout(
        title, height, dict(title=dict(text=labels["x"]), **axis),
        dict(title=dict(text=labels["y"]), autorange=False, scaleanchor="x", scaleratio=1,
             **axis),
        hovermode="closest",
    ))


# --------------------------------------------------------------------------- statistics


def layer_stats_figure(
    frame: pd.DataFrame, column: str, title: str, y_title: str, x_title: str,
    log_y: bool = False, height: int = 260, max_points: int | None = LIVE_POINTS,
) -> go.Figure:
    """One line per layer of `column` against the epoch; frame is long form with
    "epoch", "layer" (the legend names) and `column`. Each line is cut to at
    most max_points (None: all) by min/max per bucket, as the loss curves are."""
    traces = []
    if len(frame):
        for i, layer in enumerate(pd.unique(frame["layer"])):
            part = frame[frame["layer"] == layer].sort_values("epoch")
            x, y = decimate(part["epoch"].to_numpy(), part[column].to_numpy(dtype=float),
                            max_points)
            traces.append(dict(
                type="scatter", x=compact(x), y=y, name=str(layer), mode="lines",
                line=dict(color=OKABE_ITO[i % len(OKABE_ITO)], width=2),
                hovertemplate="%{y:.4g}",
            ))
    return _per_layer(traces, title, height, dict(title=dict(text=x_title), rangemode="tozero"),
                      dict(title=dict(text=y_title), type="log" if log_y else "linear"))


def _per_layer(traces: list[dict], title: str, height: int, x_axis: dict,
               y_axis: dict) -> go.Figure:
    """A figure with a line per layer. One legend entry per layer can be
    many: they are listed at the right, clear of the title."""
    return go.Figure(data=traces, layout=layout(
        title, height, x_axis, y_axis,
        legend=dict(orientation="v", yanchor="top", y=1.0, xanchor="left", x=1.02,
                    font=dict(size=11)),
    ))


def gradient_flow_figure(
    layer_names: list[str], grad_norms, title: str, y_title: str, height: int = 260,
) -> go.Figure:
    """The latest gradient norm per layer (first layer at the left) on a log
    axis. Norms at or below GRAD_FLOOR (zero, negative) are drawn at the floor
    and their hover says "≤ 1e-12"; non-finite norms get no bar."""
    norms = np.asarray(grad_norms, dtype=np.float64).reshape(-1)
    names = [str(n) for n in layer_names]
    finite = np.isfinite(norms)
    shown = np.where(finite, np.maximum(norms, GRAD_FLOOR), np.nan)
    hover = [
        f"{n}: {v:.4g}" + (f" (≤ {GRAD_FLOOR:.0e})" if f and v <= GRAD_FLOOR else "")
        for n, v, f in zip(names, norms.tolist(), finite.tolist())
    ]
    logs = np.log10(shown[finite]) if finite.any() else np.zeros(1)
    lo, hi = float(logs.min()), float(logs.max())
    where = [0.35 + 0.65 * ((math.log10(v) - lo) / (hi - lo) if hi > lo else 1.0)
             if f else 0.35 for v, f in zip(shown.tolist(), finite.tolist())]
    colours = sample_colorscale("Blues", where) if where else []
    return go.Figure(data=[dict(
        type="bar", x=names, y=[v if f else None for v, f in zip(shown.tolist(), finite.tolist())],
        marker=dict(color=colours, line=dict(color="#08306B", width=0.8)),
        hovertext=hover, hovertemplate="%{hovertext}<extra></extra>",
    )], layout=layout(
        title, height, dict(showgrid=False, categoryorder="array", categoryarray=names),
        dict(title=dict(text=y_title), type="log", exponentformat="power"),
        hovermode="closest", showlegend=False,
    ))


def histogram_figure(
    edges, counts, layer_names: list[str], title: str, x_title: str, y_title: str,
    height: int = 260,
) -> go.Figure:
    """One step outline per layer (lightly filled) over shared bin edges.
    edges: (B+1,) bin edges; counts: (L, B), one row per layer."""
    edges = np.asarray(edges, dtype=np.float64).reshape(-1)
    counts = np.asarray(counts, dtype=np.float64).reshape(len(layer_names), len(edges) - 1)
    traces = []
    for i, (name, row) in enumerate(zip(layer_names, counts)):
        colour = OKABE_ITO[i % len(OKABE_ITO)]
        r, g, b = hex_to_rgb(colour)
        y = np.concatenate([row, row[-1:]])  # with shape "hv": a step per bin
        traces.append(dict(
            type="scatter", x=edges, y=y, name=str(name), mode="lines",
            line=dict(color=colour, width=1.8, shape="hv"),
            fill="tozeroy", fillcolor=f"rgba({r},{g},{b},0.12)", hovertemplate="%{y:.4g}",
        ))
    return _per_layer(traces, title, height, dict(title=dict(text=x_title)),
                      dict(title=dict(text=y_title), rangemode="tozero"))
