"""network_charts: the network drawing (canvas, edges, hover/selection points,
annotations, highlight) and the per-layer statistics figures."""

from __future__ import annotations

import base64
import io
import json

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from playground.charts.network import (
    GRAD_FLOOR,
    OKABE_ITO,
    gradient_flow_figure,
    histogram_figure,
    layer_stats_figure,
    network_figure,
    neuron_map_figure,
    tile_rgb,
)

LABELS = {
    "more": "{shown} of {width} shown",
    "edge": "L{layer} {src}>{dst} w={value:.6f}",
    "node": "{name} b={bias:.6f}",
    "value": "value",
    "x": "x1",
    "y": "x2",
}
R = 8
BLUE, ORANGE = np.array([0x00, 0x72, 0xB2]), np.array([0xE6, 0x9F, 0x00])


def decode_png(uri: str) -> np.ndarray:
    """The canvas PNG (8-bit RGB) -> (H, W, 3), row 0 first in the file."""
    png = base64.b64decode(uri.split(",", 1)[1])
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.mode == "RGB"
    return np.asarray(image)


def column(name, shown, width, maps=None, names=None):
    if maps is None:
        rng = np.random.default_rng(len(name) + width)
        maps = rng.normal(size=(len(shown), R, R)).astype(np.float32)
    return dict(name=name, maps=maps, shown=list(shown), width=width,
                node_names=names or [str(i + 1) for i in shown])


def network(widths, shown=None, seed=0):
    """Columns, weights, biases for widths; shown[c] the indices shown (default all)."""
    rng = np.random.default_rng(seed)
    shown = shown or [list(range(w)) for w in widths]
    cols = [column(f"C{c}", shown[c], w) for c, w in enumerate(widths)]
    weights = [rng.normal(size=(widths[i + 1], widths[i])) for i in range(len(widths) - 1)]
    biases = [rng.normal(size=widths[i + 1]) for i in range(len(widths) - 1)]
    return cols, weights, biases


def trace_of(fig, kind):
    """The scatter trace whose customdata rows start with kind ("n", "w", "b")."""
    for trace in fig.data:
        cd = getattr(trace, "customdata", None)
        if trace.type == "scatter" and cd is not None and len(cd) and cd[0][0] == kind:
            return trace
    return None


def edge_line_traces(fig):
    return [t for t in fig.data if t.type == "scatter" and t.mode == "lines"]


def segments(fig):
    """Every drawn edge as ((x0, y0), (x1, y1)), from the None/NaN-separated traces."""
    out = []
    for trace in edge_line_traces(fig):
        xs, ys = np.asarray(trace.x, float), np.asarray(trace.y, float)
        assert len(xs) % 3 == 0 and np.isnan(xs[2::3]).all()
        out += [((a, b), (c, d)) for a, b, c, d in zip(xs[0::3], ys[0::3], xs[1::3], ys[1::3])]
    return out


def tile_pixels(fig, col, neuron):
    """The (R, R, 3) canvas pixels of a shown neuron's tile, row 0 at the bottom."""
    img = decode_png(fig.data[0].source)
    nodes = trace_of(fig, "n")
    k = [i for i, cd in enumerate(nodes.customdata) if cd[1] == col and cd[2] == neuron][0]
    x, y = int(nodes.x[k] - R / 2), int(nodes.y[k] - R / 2)
    return img[y:y + R, x:x + R]


# --------------------------------------------------------------------------- tiles


def test_tile_colours_follow_the_sign_and_the_row_order():
    ramp = np.linspace(-1, 1, R, dtype=np.float32)
    by_column = np.tile(ramp, (R, 1))  # negative on the left, positive on the right
    by_row = by_column.T.copy()  # negative at the bottom (row 0), positive on top
    cols = [column("In", [0, 1], 2, np.stack([by_column, by_row]), ["a", "b"]),
            column("Out", [0], 1)]
    fig = network_figure(cols, [np.ones((1, 2))], [np.zeros(1)], None, LABELS)
    left_right = tile_pixels(fig, 0, 0).astype(int)
    assert (left_right[:, -1] == BLUE).all() and (left_right[:, 0] == ORANGE).all()
    bottom_top = tile_pixels(fig, 0, 1).astype(int)
    assert (bottom_top[-1] == BLUE).all() and (bottom_top[0] == ORANGE).all()
    # blue-ish wherever positive, orange-ish wherever negative
    assert (left_right[:, R // 2:, 2] > left_right[:, R // 2:, 0]).all()
    assert (left_right[:, : R // 2, 0] > left_right[:, : R // 2, 2]).all()


def test_each_tile_is_scaled_by_its_own_peak_and_zero_is_white():
    small = np.full((R, R), 1e-4, dtype=np.float32)
    big = np.full((R, R), -50.0, dtype=np.float32)
    rgb = tile_rgb(np.stack([small, big, np.zeros((R, R), np.float32)]))
    assert rgb.shape == (3, R, R, 3) and rgb.dtype == np.uint8
    assert (rgb[0] == BLUE).all() and (rgb[1] == ORANGE).all()
    assert (rgb[2] == rgb[2, 0, 0]).all() and (rgb[2, 0, 0] > 240).all()  # white


def test_canvas_size_matches_the_layout_and_tiles_sit_under_their_nodes():
    cols, weights, biases = network([2, 5, 3, 1])
    fig = network_figure(cols, weights, biases, None, LABELS)
    image = fig.data[0]
    img = decode_png(image.source)
    assert image.type == "image" and (image.x0, image.dx, image.y0, image.dy) == (0.5, 1, 0.5, 1)
    nodes = trace_of(fig, "n")
    # the image covers every tile, and the canvas is no bigger than the tiles need
    assert img.shape[1] >= max(nodes.x) + R / 2 and img.shape[0] >= max(nodes.y) + R / 2
    assert img.shape[0] == 5 * R + 4 * max(2, round(0.3 * R)) + 2
    for cd in nodes.customdata:
        pixels = tile_pixels(fig, cd[1], cd[2])
        expected = tile_rgb(cols[cd[1]]["maps"][cols[cd[1]]["shown"].index(cd[2])][None])[0]
        assert (pixels == expected).all()
    assert (img[0, 0] == 255).all()  # white background


def test_maps_of_another_resolution_are_resampled():
    cols, weights, biases = network([2, 3])
    cols[1]["maps"] = np.ones((3, 2 * R, 2 * R), dtype=np.float32)
    fig = network_figure(cols, weights, biases, None, LABELS)
    assert (tile_pixels(fig, 1, 2) == BLUE).all()


# --------------------------------------------------------------------------- edges


@pytest.mark.parametrize("shown", [None, [[0, 1], [1, 4, 6], [2, 3], [0]]])
def test_edges_join_only_shown_neurons(shown):
    widths = [2, 8, 5, 1]
    cols, weights, biases = network(widths, shown)
    fig = network_figure(cols, weights, biases, None, LABELS)
    counts = [len(c["shown"]) for c in cols]
    segs = segments(fig)
    assert len(segs) == sum(a * b for a, b in zip(counts, counts[1:]))
    nodes = trace_of(fig, "n")
    ys = {(round(x), round(y)) for x, y in zip(nodes.x, nodes.y)}
    node_y = {round(y) for _, y in ys}
    for (x0, y0), (x1, y1) in segs:  # from a tile's right edge to a tile's left edge
        assert round(y0) in node_y and round(y1) in node_y and x1 > x0
    assert len(edge_line_traces(fig)) <= 12
    assert all(t.hoverinfo == "skip" for t in edge_line_traces(fig))


def test_edge_hover_points_carry_the_real_indices_and_values():
    widths = [3, 10, 4]
    shown = [[0, 1, 2], [3, 7, 9], [1, 2]]
    cols, weights, biases = network(widths, shown)
    fig = network_figure(cols, weights, biases, None, LABELS)
    edges = trace_of(fig, "w")
    assert len(edges.customdata) == 3 * 3 + 3 * 2
    seen = set()
    for (kind, layer, dst, src), text in zip(edges.customdata, edges.text):
        assert kind == "w" and dst in shown[layer + 1] and src in shown[layer]
        assert text == (f"L{layer + 1} {src + 1}>{dst + 1} "
                        f"w={weights[layer][dst, src]:.6f}")
        seen.add((layer, dst, src))
    assert (0, 7, 2) in seen and (1, 2, 9) in seen and len(seen) == len(edges.customdata)
    # hover points lie on their own edge and are not stacked on each other
    points = {(round(x, 3), round(y, 3)) for x, y in zip(edges.x, edges.y)}
    assert len(points) == len(edges.customdata)
    assert json.loads(fig.to_json())["data"][-1]["customdata"][0][0] in {"n", "w"}


def test_edge_colour_and_width_follow_the_weight():
    cols, _, biases = network([2, 2])
    weights = [np.array([[4.0, -4.0], [0.01, -0.01]])]
    fig = network_figure(cols, weights, biases, None, LABELS)
    lines = edge_line_traces(fig)
    widest = max(lines, key=lambda t: t.line.width)
    thinnest = min(lines, key=lambda t: t.line.width)
    assert widest.line.width > 4 and thinnest.line.width < 1
    assert widest.opacity > thinnest.opacity
    assert {t.line.color for t in lines if t.line.width > 4} == {"#0072B2", "#E69F00"}
    assert len(lines) == 4 and all(len(t.x) == 3 for t in lines)  # a bucket per edge here


def test_zero_weights_do_not_break_the_scaling():
    cols, _, biases = network([2, 3])
    fig = network_figure(cols, [np.zeros((3, 2))], biases, None, LABELS)
    assert len(segments(fig)) == 6
    fig.to_json()


# --------------------------------------------------------------------------- nodes


def test_node_and_bias_points_for_selection():
    shown = [[0, 1], [2, 5], [0]]
    cols, weights, biases = network([2, 6, 1], shown)
    fig = network_figure(cols, weights, biases, None, LABELS)
    nodes = trace_of(fig, "n")
    assert [list(cd) for cd in nodes.customdata] == [
        ["n", 0, 0], ["n", 0, 1], ["n", 1, 2], ["n", 1, 5], ["n", 2, 0]]
    assert nodes.marker.opacity == 0 and nodes.marker.size >= 25
    assert nodes.text[0] == "1 (C0)"  # inputs: no bias
    assert nodes.text[3] == f"6 (C1) b={biases[0][5]:.6f}"
    bias = trace_of(fig, "b")
    assert [list(cd) for cd in bias.customdata] == [["b", 0, 2], ["b", 0, 5], ["b", 1, 0]]
    assert list(bias.marker.color) == pytest.approx([biases[0][2], biases[0][5], biases[1][0]])
    # the bias marker sits at its tile's bottom-left corner
    assert bias.x[0] == pytest.approx(nodes.x[2] - R / 2)
    assert bias.y[0] == pytest.approx(nodes.y[2] - R / 2)


def test_default_number_format_has_four_significant_digits():
    cols, weights, biases = network([1, 1])
    labels = dict(LABELS, edge="{value}", node="{bias}")
    weights, biases = [np.array([[0.123456789]])], [np.array([-12345.678])]
    fig = network_figure(cols, weights, biases, None, labels)
    assert trace_of(fig, "w").text[0] == "0.1235"
    assert trace_of(fig, "n").text[1] == "-1.235e+04"


def test_more_annotation_only_under_truncated_columns():
    shown = [[0, 1], list(range(4)), [0, 1, 2], [0]]
    cols, weights, biases = network([2, 64, 3, 1], shown)
    fig = network_figure(cols, weights, biases, None, LABELS)
    texts = [a.text for a in fig.layout.annotations]
    assert [t for t in texts if "shown" in t] == ["4 of 64 shown"]
    assert {"C0", "C1", "C2", "C3"} <= set(texts)
    more = [a for a in fig.layout.annotations if "shown" in a.text][0]
    nodes = trace_of(fig, "n")
    assert more.x == pytest.approx(nodes.x[2])  # under column 1
    assert more.y < min(nodes.y) - R / 2


def test_long_column_names_are_broken_onto_two_lines():
    cols, weights, biases = network([2, 3])
    cols[1]["name"] = "Layer 1 · leaky_relu"
    fig = network_figure(cols, weights, biases, None, LABELS)
    assert "Layer 1<br>leaky_relu" in [a.text for a in fig.layout.annotations]


def test_selected_neuron_is_outlined():
    shown = [[0, 1], [1, 3], [0]]
    cols, weights, biases = network([2, 4, 1], shown)
    assert not network_figure(cols, weights, biases, None, LABELS).layout.shapes
    assert not network_figure(cols, weights, biases, (1, 2), LABELS).layout.shapes  # not shown
    fig = network_figure(cols, weights, biases, (1, 3), LABELS)
    (shape,) = fig.layout.shapes
    nodes = trace_of(fig, "n")
    x, y = nodes.x[3], nodes.y[3]  # ["n", 1, 3]
    assert shape.x0 < x - R / 2 < x + R / 2 < shape.x1
    assert shape.y0 < y - R / 2 < y + R / 2 < shape.y1
    assert shape.line.width >= 2
    others = [(nx, ny) for i, (nx, ny) in enumerate(zip(nodes.x, nodes.y)) if i != 3]
    assert not any(shape.x0 < nx < shape.x1 and shape.y0 < ny < shape.y1 for nx, ny in others)


def test_layout_is_a_still_picture_with_y_up():
    cols, weights, biases = network([2, 16, 16, 1])
    fig = network_figure(cols, weights, biases, None, LABELS, height=520)
    layout = fig.layout
    assert layout.dragmode is False and layout.hovermode == "closest"
    assert layout.showlegend is False and layout.plot_bgcolor == "white"
    assert layout.xaxis.visible is False and layout.yaxis.visible is False
    assert layout.yaxis.autorange is False and layout.yaxis.range[0] < layout.yaxis.range[1]
    assert layout.yaxis.scaleanchor == "x"
    assert layout.height >= 520  # 16 tiles of at least 30 px need more than 520
    small = network_figure(*network([2, 3, 1]), None, LABELS, height=520)
    assert small.layout.height == 520


def test_mismatched_weights_are_refused():
    cols, weights, biases = network([2, 3, 1])
    with pytest.raises(ValueError):
        network_figure(cols, weights[:1], biases, None, LABELS)


def test_ten_columns_of_sixteen_stay_a_few_traces():
    # Speed is measured by benchmarks, not here: this checks the structure that
    # keeps the largest diagram cheap (edges bucketed into a dozen traces).
    cols, weights, biases = network([16] * 10)
    for col in cols:
        col["maps"] = np.random.default_rng(0).normal(size=(16, 24, 24)).astype(np.float32)
    fig = network_figure(cols, weights, biases, (3, 2), LABELS)
    assert len(segments(fig)) == 9 * 256 and len(fig.data) <= 1 + 12 + 3
    fig.to_json()


# --------------------------------------------------------------------------- other figures


def test_neuron_map_is_symmetric_square_and_labelled():
    values = np.array([[0.0, 2.0], [-0.5, 1.0]], dtype=np.float32)
    fig = neuron_map_figure(values, 6.0, "T", LABELS)
    heat = fig.data[0]
    assert (heat.zmin, heat.zmax) == (-2.0, 2.0)
    assert heat.x[0] == -6 and heat.x[-1] == 6 and heat.y[0] == -6
    assert heat.colorbar.title.text == "value"
    assert fig.layout.yaxis.scaleanchor == "x" and fig.layout.xaxis.title.text == "x1"
    zero = neuron_map_figure(np.zeros((3, 3)), 6.0, "T", LABELS).data[0]
    assert (zero.zmin, zero.zmax) == (-1.0, 1.0)
    fig.to_json()


def test_layer_stats_one_line_per_layer():
    frame = pd.DataFrame({
        "epoch": [0, 1, 2] * 3,
        "layer": ["Layer 1"] * 3 + ["Layer 2"] * 3 + ["Output"] * 3,
        "norm": [1.0, 0.5, 0.25, 2, 2, 2, 1e-3, 1e-3, 2e-3],
    })
    fig = layer_stats_figure(frame, "norm", "T", "norm", "epoch", log_y=True)
    assert [t.name for t in fig.data] == ["Layer 1", "Layer 2", "Output"]
    assert [t.line.color for t in fig.data] == list(OKABE_ITO[:3])
    assert list(fig.data[2].y) == [1e-3, 1e-3, 2e-3]
    assert fig.layout.yaxis.type == "log" and "4g" in fig.data[0].hovertemplate
    assert layer_stats_figure(frame, "norm", "T", "n", "e").layout.yaxis.type == "linear"
    empty = layer_stats_figure(frame.iloc[:0], "norm", "T", "n", "e")
    assert len(empty.data) == 0
    fig.to_json()


def test_gradient_flow_log_bars_survive_zeros():
    names = ["Layer 1", "Layer 2", "Layer 3", "Output"]
    fig = gradient_flow_figure(names, [1e-6, 0.0, -1.0, 1e-2], "T", "norm")
    bar = fig.data[0]
    assert list(bar.x) == names and fig.layout.yaxis.type == "log"
    assert list(bar.y) == [1e-6, GRAD_FLOOR, GRAD_FLOOR, 1e-2]
    assert "1e-12" in bar.hovertext[1] and "1e-12" not in bar.hovertext[0]
    assert len(set(bar.marker.color)) == 3  # the floored bars share the palest colour
    nan = gradient_flow_figure(names[:2], [float("nan"), 1.0], "T", "norm")
    assert nan.data[0].y[0] is None
    gradient_flow_figure([], [], "T", "norm").to_json()
    fig.to_json()


def test_histogram_one_step_line_per_layer():
    edges = np.linspace(-1, 1, 5)
    counts = np.array([[1, 2, 3, 4], [0, 0, 5, 0]])
    fig = histogram_figure(edges, counts, ["Layer 1", "Output"], "T", "w", "n")
    assert [t.name for t in fig.data] == ["Layer 1", "Output"]
    assert [t.line.color for t in fig.data] == list(OKABE_ITO[:2])
    assert list(fig.data[0].x) == list(edges) and list(fig.data[0].y) == [1, 2, 3, 4, 4]
    assert fig.data[0].line.shape == "hv"
    fig.to_json()
