"""What a teacher found on the charts: the toolbar covered the legend, the
early drop vanished after thousands of epochs, the boundary had no key for
its classes and test points, and Training/validation/Test were spelled three
ways."""

from __future__ import annotations

import numpy as np
import pytest

from playground.charts.boundary import boundary_figure
from playground.charts.common import (
    LOG_EPOCHS,
    TOP_MARGIN,
    curves_figure,
    layout,
    log_epochs,
)
from playground.charts.decimate import LIVE_POINTS, log_minmax_indices
from playground.core.i18n import LANGUAGES, table, translate
from playground.dense.probe import Grid

LABELS = {"title": "Boundary", "x": "x1", "y": "x2", "value": "Value", "class": "Class",
          "train": "Training", "test": "Test"}
COLUMNS = {"train_loss": "Training", "test_loss": "Test"}
TOOLBAR_PX = 30  # Plotly's modebar: 2 px from the top, buttons ~25 px tall


def history(n: int) -> dict[str, np.ndarray]:
    epoch = np.arange(n, dtype=float)
    loss = 1 / (1 + epoch / 10)  # most of the drop in the first 100 epochs
    return {"epoch": epoch, "train_loss": loss, "test_loss": loss * 1.1}


def plane(classes: int = 3, n: int = 60, test: bool = True):
    rng = np.random.default_rng(0)
    axis = np.linspace(-6, 6, 20, dtype=np.float32)
    grid = Grid(axis, axis, np.full((20, 20, classes), 1 / classes, np.float32)
                if classes > 2 else np.zeros((20, 20), np.float32))
    xy = rng.uniform(-6, 6, (n, 2))
    points = [(xy, rng.integers(0, classes, n), "train")]
    if test:
        points.append((xy[:10], rng.integers(0, classes, 10), "test"))
    return grid, points


# ---- the toolbar and the legend ------------------------------------------------
def test_the_legend_sits_below_the_toolbar_row():
    fig = curves_figure(history(50), COLUMNS, "Loss", "loss", "epoch")
    legend, title = fig.layout.legend, fig.layout.title
    # The legend's bottom is the plot's top; its ~20 px rise from there stay
    # below the toolbar, which the title's row shares at the top.
    assert (legend.yanchor, legend.y, legend.xanchor) == ("bottom", 1.0, "right")
    assert fig.layout.margin.t == TOP_MARGIN and TOP_MARGIN - 20 >= TOOLBAR_PX - 4
    assert (title.yref, title.y, title.yanchor) == ("container", 1.0, "top")
    assert layout("t", 100)["legend"] == layout("u", 200)["legend"]  # every chart alike


# ---- a log-scale epoch axis ----------------------------------------------------
def test_log_epochs_from_a_thousand():
    assert not log_epochs(np.arange(LOG_EPOCHS)) and log_epochs(np.arange(LOG_EPOCHS + 1))
    assert not log_epochs(np.array([]))


def test_a_log_axis_keeps_the_early_drop():
    frame = history(100_000)
    linear = curves_figure(frame, COLUMNS, "Loss", "loss", "Epoch")
    log = curves_figure(frame, COLUMNS, "Loss", "loss", "Epoch", log_x=True,
                        log_x_title="Epoch (log scale)")
    assert log.layout.xaxis.type == "log" and log.layout.xaxis.title.text == "Epoch (log scale)"
    assert linear.layout.xaxis.type is None
    x_lin, x_log = np.asarray(linear.data[0].x), np.asarray(log.data[0].x)
    assert len(x_log) <= LIVE_POINTS and x_log.min() == 1 and x_log.max() == 99_999
    # The first 100 epochs: every one on the log axis, a handful on the linear one.
    assert np.isin(np.arange(1, 101), x_log).all()
    assert (x_lin <= 100).sum() < 10
    y = np.asarray(log.data[0].y)
    assert np.allclose(y, frame["train_loss"][x_log.astype(int)], rtol=1e-6)  # real points


def test_log_buckets_keep_spikes_and_gaps():
    x = np.arange(50_000, dtype=float)
    y = np.ones_like(x)
    y[30_000], y[40_000:45_000] = 50.0, np.nan
    keep = log_minmax_indices(x, y, 400)
    assert len(keep) <= 400 and 0 not in keep and 30_000 in keep
    assert np.isnan(y[keep]).any()  # a gap wider than a bucket stays a gap
    short = log_minmax_indices(x[:100], y[:100], 400)
    assert short.tolist() == list(range(1, 100))


# ---- the boundary's key --------------------------------------------------------
def key_text(fig) -> str:
    (key,) = fig.layout.annotations
    return key.text


def test_the_boundary_names_each_class_and_the_test_points():
    grid, points = plane(classes=3)
    fig = boundary_figure(grid, points, "multiclass", False, LABELS)
    text = key_text(fig)
    for c, colour in enumerate(("#E69F00", "#0072B2", "#009E73")):
        assert f'<span style="color:{colour}">●</span> Class {c}' in text
    assert "◉</span> Test" in text and "●</span> Training" in text
    key = fig.layout.annotations[0]
    assert (key.xref, key.x, key.xanchor) == ("paper", 1.0, "left")  # beside the plot
    assert fig.layout.margin.r > 60  # room for it, so it is not cut off
    assert fig.layout.margin.t == TOP_MARGIN


def test_the_key_uses_class_names_and_escapes_them():
    grid, points = plane(classes=2, test=False)
    fig = boundary_figure(grid, points, "binary", False, LABELS | {"classes": ["<b>", "b"]})
    text = key_text(fig)
    assert "&lt;b&gt;" in text and "Test" not in text and "Training" not in text


def test_regression_keys_its_point_sets_above_the_plot():
    grid, points = plane(classes=2)
    points = [(xy, np.linspace(-1, 1, len(xy)), kind) for xy, _, kind in points]
    fig = boundary_figure(grid, points, "regression", False, LABELS)
    key = fig.layout.annotations[0]
    assert (key.yanchor, key.xanchor) == ("bottom", "right")  # the colour bar has the side
    assert "Training" in key.text and "Test" in key.text
    grid, points = plane(classes=2, test=False)
    points = [(xy, np.zeros(len(xy)), kind) for xy, _, kind in points]
    assert not boundary_figure(grid, points, "regression", False, LABELS).layout.annotations


# ---- one spelling --------------------------------------------------------------
@pytest.mark.parametrize("lang", LANGUAGES)
def test_training_validation_and_test_are_spelled_one_way(lang):
    words = [translate(k, lang) for k in ("chart.train", "img.chart.val", "chart.test")]
    if lang == "en":
        assert words == ["Training", "Validation", "Test"]
        for key, word in (("metric.train_loss", "Training"), ("img.metric.val_loss",
                                                               "Validation"),
                          ("metric.test_loss", "Test"), ("section.training", "Training"),
                          ("img.metric.train_loss", "Training"),
                          ("img.metric.val_acc", "Validation")):
            assert translate(key, lang).startswith(word)
    assert len(set(words)) == 3 and all(w == w.strip() for w in words)
    assert table(lang)["chart.epoch_log"].startswith(table(lang)["chart.epoch"])


def test_feature_map_titles_say_how_many_channels_are_drawn():
    for lang in LANGUAGES:
        text = translate("img.chart.fmaps", lang, n=1, shape="32 × 26 × 26", shown=16,
                         channels=32)
        assert "16" in text and "32 × 26 × 26" in text and "{" not in text
    assert "16 of 32 channels" in translate("img.chart.fmaps", n=1, shape="", shown=16,
                                            channels=32)
