"""The figures redrawn while training: the decision boundary (a PNG surface
under the data points) and the loss/accuracy curves (cut to about a point
per pixel). What they draw, and that what they send stays small."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.io
import pytest
import tomllib
from PIL import Image
from plotly.colors import hex_to_rgb

from playground.charts.boundary import SURFACE_OPACITY, boundary_figure, diverging_image
from playground.charts.common import CLASS_COLOURS, DIVERGING, curves_figure, empty_figure
from playground.charts.decimate import LIVE_POINTS
from playground.dense.probe import Grid

LABELS = {"title": "Boundary", "x": "x1", "y": "x2", "value": "Value", "class": "Class",
          "train": "Training", "test": "Test"}
BLUE, ORANGE, PALE = (np.array(hex_to_rgb(c)) for _, c in (DIVERGING[2], DIVERGING[0],
                                                          DIVERGING[1]))


def png(uri: str) -> np.ndarray:
    assert uri.startswith("data:image/png;base64,")
    image = Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1])))
    assert image.mode == "RGB"
    return np.asarray(image)


def grid(values: np.ndarray, extent: float = 6.0) -> Grid:
    axis = np.linspace(-extent, extent, values.shape[0], dtype=np.float32)
    return Grid(axis, axis, values)


def points(n: int = 200, classes: int = 2, seed: int = 0):
    rng = np.random.default_rng(seed)
    xy = rng.uniform(-6, 6, size=(n, 2)).astype(np.float32)
    return [(xy, rng.integers(0, classes, n), "train"),
            (xy[: n // 4], rng.integers(0, classes, n // 4), "test")]


def sent_bytes(fig) -> int:
    """What st.plotly_chart sends for the figure."""
    return len(plotly.io.to_json(fig.to_dict(), validate=False))


def colour_of(marker: dict, value: float) -> np.ndarray:
    """The colour a stepped colour scale gives `value`."""
    t = (value - marker.cmin) / (marker.cmax - marker.cmin)
    below = [c for s, c in marker.colorscale if s <= t]
    return np.array(hex_to_rgb(below[-1]))


# ---- boundary ------------------------------------------------------------------
def test_a_two_class_surface_is_a_png_coloured_as_the_heatmap_was():
    values = np.zeros((100, 100), dtype=np.float32)
    values[0, 0], values[99, 99], values[50, 50] = -1.0, 1.0, 0.5  # row 0 = the bottom
    fig = boundary_figure(grid(values), points(), "classification", False, LABELS)
    surface = fig.data[0]
    assert surface.type == "image" and surface.opacity == SURFACE_OPACITY
    assert (surface.x0, surface.y0) == (-6.0, -6.0)  # the first pixel's centre
    assert surface.dx == pytest.approx(12 / 99) and surface.dy == pytest.approx(12 / 99)
    rgb = png(surface.source)
    assert rgb.shape == (100, 100, 3)
    assert np.array_equal(rgb[0, 0], ORANGE) and np.array_equal(rgb[99, 99], BLUE)
    assert np.array_equal(rgb[1, 1], PALE)
    assert np.allclose(rgb[50, 50], (PALE + BLUE) / 2, atol=1)  # linear between the stops


def test_diverging_colours_clip_and_draw_nan_white():
    rgb = diverging_image(np.array([[-5.0, 5.0, np.nan]]))
    assert np.array_equal(rgb[0, 0], ORANGE) and np.array_equal(rgb[0, 1], BLUE)
    assert np.array_equal(rgb[0, 2], [255, 255, 255])


def test_discretized_surface_has_only_the_three_colours():
    values = np.random.default_rng(0).uniform(-1, 1, size=(40, 40)).astype(np.float32)
    fig = boundary_figure(grid(values), points(), "classification", True, LABELS)
    colours = {tuple(c) for c in png(fig.data[0].source).reshape(-1, 3)}
    assert colours <= {tuple(ORANGE), tuple(BLUE), tuple(PALE)}


def test_multi_class_surface_is_opaque_with_each_class_colour():
    probs = np.zeros((30, 30, 3), dtype=np.float32)
    probs[..., 2] = 1.0  # sure of class 2 everywhere
    fig = boundary_figure(grid(probs), points(classes=3), "classification", False, LABELS)
    assert fig.data[0].opacity == 1.0
    rgb = png(fig.data[0].source)
    expected = 255 * 0.15 + np.array(hex_to_rgb(CLASS_COLOURS[2])) * 0.85
    assert np.allclose(rgb[5, 5], expected, atol=1)


def test_points_keep_their_class_colours_outline_and_hover():
    pts = points(classes=3)
    probs = np.full((20, 20, 3), 1 / 3, dtype=np.float32)
    fig = boundary_figure(grid(probs), pts, "classification", False, LABELS)
    train, test = fig.data[1], fig.data[2]
    for trace, (xy, y, kind) in zip((train, test), pts):
        marker = trace.marker
        for value in range(3):
            assert np.array_equal(colour_of(marker, value), hex_to_rgb(CLASS_COLOURS[value]))
        assert np.array_equal(np.asarray(marker.color), y)
        assert np.array_equal(np.asarray(trace.customdata), y)  # the hover's class
        assert "Class=%{customdata}" in trace.hovertemplate
        assert LABELS[kind] in trace.hovertemplate
        assert np.allclose(np.asarray(trace.x), xy[:, 0])
    assert train.marker.line.color == "white" and test.marker.line.color == "#222222"


def test_regression_points_carry_the_colour_bar():
    values = np.zeros((20, 20), dtype=np.float32)
    rng = np.random.default_rng(1)
    xy = rng.uniform(-1, 1, size=(50, 2))
    pts = [(xy, rng.uniform(-1, 1, 50), "train"), (xy[:10], rng.uniform(-1, 1, 10), "test")]
    fig = boundary_figure(grid(values), pts, "regression", False, LABELS)
    train, test = fig.data[1], fig.data[2]
    assert train.marker.showscale and not test.marker.showscale
    assert train.marker.colorbar.title.text == "Value"
    assert (train.marker.cmin, train.marker.cmax) == (-1, 1)
    assert "Value=%{customdata}" in train.hovertemplate


def test_boundary_keeps_its_axes_and_is_small():
    values = np.tanh(np.random.default_rng(0).normal(size=(100, 100))).astype(np.float32)
    fig = boundary_figure(grid(values), points(), "classification", False, LABELS)
    assert fig.layout.xaxis.range == (-6.0, 6.0) and fig.layout.yaxis.scaleanchor == "x"
    assert fig.layout.xaxis.title.text == "x1" and fig.layout.hovermode == "closest"
    assert fig.layout.title.text == "Boundary"
    # A 100 x 100 float heatmap alone was ~55 KB; a surface is smooth.
    smooth = np.tanh(np.add.outer(np.linspace(-3, 3, 100), np.linspace(-2, 2, 100)))
    assert sent_bytes(boundary_figure(grid(smooth.astype(np.float32)), points(),
                                      "classification", False, LABELS)) < 25_000


def test_a_test_set_may_be_empty():
    pts = points()
    pts[1] = (np.zeros((0, 2)), np.zeros(0, dtype=int), "test")
    fig = boundary_figure(grid(np.zeros((10, 10), np.float32)), pts, "classification",
                          False, LABELS)
    assert len(fig.data) == 2


# ---- curves --------------------------------------------------------------------
def history(n: int, fractional: bool = False) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(n)
    epoch = np.arange(n) / 4 if fractional else np.arange(n)
    loss = np.exp(-np.arange(n) / max(1, n / 5)) + 0.05 * rng.random(n)
    return {"epoch": epoch.astype(float), "train_loss": loss, "test_loss": loss * 1.1}


COLUMNS = {"train_loss": "Training", "test_loss": "Test"}


def test_short_curves_send_every_point():
    frame = history(300)
    fig = curves_figure(frame, COLUMNS, "Loss", "loss", "epoch")
    for trace, column in zip(fig.data, COLUMNS):
        assert np.array_equal(np.asarray(trace.x), frame["epoch"])
        assert np.allclose(np.asarray(trace.y), frame[column], rtol=1e-6)


def test_long_curves_are_cut_to_real_points_within_the_bound():
    frame = history(100_000)
    frame["train_loss"][54_321] = 9.0  # a spike
    fig = curves_figure(frame, COLUMNS, "Loss", "loss", "epoch")
    train = fig.data[0]
    x, y = np.asarray(train.x), np.asarray(train.y)
    assert len(x) <= LIVE_POINTS and x[0] == 0 and x[-1] == 99_999
    assert 54_321 in x.tolist() and y.max() == pytest.approx(9.0)
    assert np.allclose(y, frame["train_loss"][x.astype(int)], rtol=1e-6)  # hover: real values
    assert sent_bytes(fig) < 40_000  # every point: ~3.7 MB
    full = curves_figure(frame, COLUMNS, "Loss", "loss", "epoch", max_points=None)
    assert len(full.data[0].x) == 100_000


def test_curves_accept_a_data_frame_and_fractional_epochs():
    frame = pd.DataFrame(history(1000, fractional=True))
    fig = curves_figure(frame, COLUMNS, "Loss", "loss", "epoch", max_points=100)
    x = np.asarray(fig.data[0].x)
    assert len(x) <= 100 and (x % 1 != 0).any()  # not rounded to whole epochs
    whole = curves_figure(history(10), COLUMNS, "L", "l", "e").data[0].x
    assert np.asarray(whole).dtype == np.int32  # whole epochs: 4 bytes a point


def test_curves_keep_their_look():
    fig = curves_figure(history(50), COLUMNS, "Loss", "loss", "epoch", y_range=(0, 1.02))
    layout = fig.layout
    assert layout.title.text == "Loss" and layout.hovermode == "x unified"
    assert layout.xaxis.title.text == "epoch" and layout.xaxis.rangemode == "tozero"
    assert layout.yaxis.range == (0, 1.02) and layout.yaxis.gridcolor == "#EEEEEE"
    assert [t.line.color for t in fig.data] == ["#0072B2", "#D55E00"]
    assert [t.name for t in fig.data] == ["Training", "Test"]
    assert all(t.hovertemplate == "%{y:.4f}" for t in fig.data)


def test_missing_values_stay_gaps():
    frame = history(5000)
    frame["test_loss"][:] = np.nan  # e.g. no held-out rows yet
    fig = curves_figure(frame, COLUMNS, "Loss", "loss", "epoch")
    assert np.isnan(np.asarray(fig.data[1].y)).all()


def test_empty_figure_says_why():
    fig = empty_figure("Title", {"empty": "nothing yet"})
    assert fig.layout.annotations[0].text == "nothing yet"
    assert fig.layout.xaxis.visible is False and fig.layout.title.text == "Title"


def test_the_server_skips_a_full_gc_after_every_redraw():
    """Streamlit's default gc.collect(2) after each script run walked every
    object of the server (~430,000) on every redraw: most of a redraw's cost."""
    config = Path(__file__).resolve().parents[3] / ".streamlit" / "config.toml"
    assert tomllib.loads(config.read_text())["runner"]["postScriptGC"] is False
