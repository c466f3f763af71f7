"""The comparison's figures: overlaid curves, boundaries as small multiples,
a sweep's scores against the setting, and the results table."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd

from playground.charts.compare import (
    RUN_COLOURS,
    boundary_tiles,
    compare_curves,
    results_frame,
    sweep_figure,
)
from playground.dense.probe import Grid
from playground.dense.spec import Experiment

LABELS = {"title": "Loss", "x": "Epoch", "y": "Loss", "train": "train", "test": "test"}


def history(n: int, start: float) -> pd.DataFrame:
    epoch = np.arange(n)
    loss = start / (1 + epoch)
    return pd.DataFrame({"epoch": epoch, "step": epoch * 10, "train_loss": loss,
                         "test_loss": loss * 1.1, "train_acc": 1 - loss / 4,
                         "test_acc": 1 - loss / 3})


def test_curves_have_one_trace_per_run_and_set_named_by_the_run():
    frames = [history(5, 1.0), history(7, 2.0), history(3, 0.5)]
    names = ["lr 0.01", "lr 0.1", "lr 1"]
    fig = compare_curves(frames, names, "loss", LABELS)
    assert len(fig.data) == 6
    assert [tr.name for tr in fig.data] == [f"{n} · {part}" for n in names
                                            for part in ("test", "train")]
    shown = [tr.name for tr in fig.data if tr.showlegend]
    assert shown == [f"{n} · test" for n in names]  # one legend entry per run
    for i in range(3):  # both curves of a run share its colour and legend group
        test, train = fig.data[2 * i], fig.data[2 * i + 1]
        assert test.line.color == train.line.color == RUN_COLOURS[i]
        assert test.legendgroup == train.legendgroup == str(i)
        assert test.line.dash == "solid" and train.line.dash == "dot"
        np.testing.assert_allclose(test.y, frames[i]["test_loss"], rtol=1e-6)
    assert fig.layout.hovermode == "x unified"  # hover shows every run's value
    assert len(set(RUN_COLOURS)) == 8


def test_accuracy_curves_take_the_accuracy_columns():
    fig = compare_curves([history(4, 1.0)], ["a"], "acc", LABELS, y_range=(0, 1.02))
    np.testing.assert_allclose(fig.data[0].y, history(4, 1.0)["test_acc"], rtol=1e-6)
    assert tuple(fig.layout.yaxis.range) == (0, 1.02)


def grid(value: float, classes: int = 0) -> Grid:
    axis = np.linspace(-6, 6, 12, dtype=np.float32)
    shape = (12, 12, classes) if classes else (12, 12)
    return Grid(axis, axis, np.full(shape, value, dtype=np.float32))


def data(n: int = 10):
    rng = np.random.default_rng(0)
    return SimpleNamespace(x_train=rng.uniform(-6, 6, (n, 2)).astype(np.float32),
                           y_train=rng.integers(0, 2, n))


def test_boundaries_are_small_multiples_one_png_each_titled_by_the_run():
    names = [f"run {i}" for i in range(8)]
    grids = [grid(v) for v in np.linspace(-1, 1, 8)]
    fig = boundary_tiles(grids, [data()] * 8, names, "binary", False, {"title": "B"})
    images = [tr for tr in fig.data if tr.type == "image"]
    assert len(images) == 8
    assert all(im.source.startswith("data:image/png;base64,") for im in images)
    assert len({im.source for im in images}) == 8  # each its own surface
    assert [im.xaxis for im in images] == ["x", *(f"x{i}" for i in range(2, 9))]
    assert [a.text.endswith(n) for a, n in zip(fig.layout.annotations, names)] == [True] * 8
    assert len([tr for tr in fig.data if tr.type == "scatter"]) == 8  # the training points
    # Two rows of four: each tile's domain inside the figure, the rows apart.
    assert fig.layout.xaxis4.domain[1] <= 1.0 and fig.layout.yaxis5.domain[1] < \
        fig.layout.yaxis.domain[0]


def test_a_tile_without_a_grid_yet_is_empty_and_multiclass_surfaces_draw():
    fig = boundary_tiles([None, grid(0.5, classes=3)], [None, None], ["a", "b"], "multiclass",
                         True, {"title": "B"})
    images = [tr for tr in fig.data if tr.type == "image"]
    assert len(images) == 1 and images[0].xaxis == "x2"
    assert len(fig.layout.annotations) == 2


def results(values: list) -> pd.DataFrame:
    frames = [history(5, 1.0 + i) for i in range(len(values))]
    states = [SimpleNamespace(epoch=4, seconds=1.234, status="training") for _ in values]
    return results_frame(frames, [f"v {v}" for v in values], values, states,
                         [Experiment()] * len(values))


def test_the_results_table_has_final_and_best_scores_per_run():
    table = results([0.01, 0.1])
    assert list(table["run"]) == ["v 0.01", "v 0.1"]
    first = history(5, 1.0)
    assert table["final_loss"][0] == first["test_loss"].iloc[-1]
    assert table["best_loss"][0] == first["test_loss"].min()
    assert table["best_acc"][0] == first["test_acc"].max()
    assert table["final_train_acc"][0] == first["train_acc"].iloc[-1]
    assert list(table["epochs"]) == [4, 4] and table["seconds"][0] == 1.23
    assert table["lr"][0] == Experiment().lr and table["hidden"][0] == "8-tanh,8-tanh"
    regression = results_frame([history(3, 1.0).assign(train_acc=None, test_acc=None)], ["r"],
                               [1], [SimpleNamespace(epoch=2, seconds=0.0, status="diverged")],
                               [Experiment()])
    assert np.isnan(regression["final_acc"][0]) and np.isnan(regression["best_acc"][0])


def test_the_sweep_chart_plots_final_and_best_against_the_setting():
    labels = {"title": "t", "x": "learning rate", "y": "loss", "final": "final", "best": "best"}
    table = results([0.001, 0.01, 0.1])
    fig = sweep_figure(table, "loss", True, labels)
    assert [tr.name for tr in fig.data] == ["final", "best"]
    assert list(fig.data[0].x) == [0.001, 0.01, 0.1] and fig.layout.xaxis.type == "log"
    np.testing.assert_allclose(fig.data[1].y, table["best_loss"], rtol=1e-6)
    names = results(["sgd", "adam"])
    fig = sweep_figure(names, "acc", False, labels)
    assert fig.layout.xaxis.type == "category" and list(fig.data[0].x) == ["sgd", "adam"]
    assert tuple(fig.layout.yaxis.range) == (0, 1.02)
    fig = sweep_figure(results([2, 4, 8]), "loss", False, labels)
    assert fig.layout.xaxis.type is None  # a plain number axis: widths
