"""image_charts: confusion matrix, image grids, one image, class probabilities."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from playground.charts.common import DIVERGING, confusion_figure, report_table
from playground.charts.images import image_figure, image_grid_figure, probability_figure
from playground.core import metrics

FASHION = [
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
]
CM_LABELS = {
    "title": "Matrice", "true": "Vraie classe", "predicted": "Classe prédite",
    "count": "Nombre", "share": "Part", "empty": "Rien",
}
GRID_LABELS = {"title": "Erreurs", "value": "valeur", "empty": "Aucune erreur"}
PROB_LABELS = {"title": "Prédiction", "probability": "Probabilité", "empty": "Rien"}


def _cm(k: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, 300)
    p = np.where(rng.random(300) < 0.7, y, rng.integers(0, k, 300))
    return metrics.confusion_matrix(y, p, k)


def _serialisable(fig: go.Figure) -> None:
    assert json.loads(fig.to_json())["data"] is not None


@pytest.mark.parametrize("k", [2, 3, 10])
def test_confusion_figure_cells_and_axes(k):
    cm = _cm(k)
    fig = confusion_figure(cm, FASHION[:k], CM_LABELS)
    (heat,) = fig.data
    assert isinstance(heat, go.Heatmap)
    np.testing.assert_array_equal(np.asarray(heat.text), cm)  # counts written in every cell
    assert heat.texttemplate == "%{text}"
    # coloured by share of the row: each row with samples sums to 1
    np.testing.assert_allclose(np.asarray(heat.z).sum(axis=1), 1.0)
    assert fig.layout.xaxis.title.text == "Classe prédite"
    assert fig.layout.yaxis.title.text == "Vraie classe"
    assert fig.layout.title.text == "Matrice"
    assert list(fig.layout.xaxis.ticktext) == FASHION[:k]
    assert list(fig.layout.yaxis.ticktext) == FASHION[:k]
    assert fig.layout.yaxis.autorange == "reversed"  # class 0 at the top
    for word in ("Vraie classe", "Classe prédite", "Nombre", "Part"):
        assert word in heat.hovertemplate
    # hover names the classes, true first
    assert tuple(np.asarray(heat.customdata)[0, k - 1]) == (FASHION[0], FASHION[k - 1])
    _serialisable(fig)


def test_confusion_figure_small_class_shows_and_empty_row_is_zero():
    cm = np.array([[900, 100, 0], [0, 0, 0], [1, 0, 1]])
    z = np.asarray(confusion_figure(cm, ["a", "b", "c"], CM_LABELS).data[0].z)
    np.testing.assert_allclose(z, [[0.9, 0.1, 0.0], [0.0, 0.0, 0.0], [0.5, 0.0, 0.5]])


def test_confusion_figure_empty_and_mismatch():
    fig = confusion_figure(np.zeros((0, 0)), [], CM_LABELS)
    assert [a.text for a in fig.layout.annotations] == ["Rien"]
    _serialisable(fig)
    with pytest.raises(ValueError):
        confusion_figure(np.zeros((3, 3)), ["a", "b"], CM_LABELS)


def test_report_table_renames_and_rounds():
    report = metrics.per_class_report(_cm(3), ["a", "b", "c"])
    names = {"class": "Classe", "precision": "Précision", "recall": "Rappel",
             "f1": "F1", "support": "Effectif"}
    table = report_table(report, names)
    assert list(table.columns) == list(names.values())
    assert isinstance(table, pd.DataFrame) and len(table) == 5
    np.testing.assert_allclose(table["Précision"], report["precision"].round(3))


@pytest.mark.parametrize("n, cols, size", [(12, 4, 28), (13, 6, 28), (5, 8, 8), (32, 8, 8)])
def test_image_grid_one_subplot_per_image(n, cols, size):
    images = np.random.default_rng(n).random((n, size, size))
    titles = [f"{i % 10} \u2192 {(i + 1) % 10} ({80 + i}%)" for i in range(n)]
    fig = image_grid_figure(images, titles, cols, GRID_LABELS)
    heatmaps = [t for t in fig.data if isinstance(t, go.Heatmap)]
    assert len(heatmaps) == n
    assert len({(t.xaxis, t.yaxis) for t in heatmaps}) == n  # each in its own cell
    shown = [a.text for a in fig.layout.annotations if a.text]
    assert shown == titles  # short titles are not wrapped
    assert fig.layout.title.text == "Erreurs"
    np.testing.assert_array_equal(np.asarray(heatmaps[0].z), images[0])
    # axes hidden, square pixels, row 0 at the top
    assert fig.layout.xaxis.visible is False and fig.layout.yaxis.visible is False
    assert fig.layout.xaxis.scaleanchor == "y"
    assert fig.layout.yaxis.range[0] > fig.layout.yaxis.range[1]
    _serialisable(fig)


def test_image_grid_titles_do_not_overlap():
    images = np.zeros((13, 28, 28))
    titles = [f"{FASHION[i % 10]} \u2192 {FASHION[(i + 3) % 10]} (8{i % 10}%)" for i in range(13)]
    fig = image_grid_figure(images, titles, 6, GRID_LABELS)
    shown = [a.text for a in fig.layout.annotations if a.text]
    assert len(shown) == 13
    assert shown[6] == "Shirt \u2192<br>Ankle boot (86%)"  # wrapped after the arrow
    lines = max(t.count("<br>") + 1 for t in shown)
    # the gap between two rows of images must hold the tallest title
    y1, y2 = fig.layout.yaxis.domain, fig.layout.yaxis7.domain
    plot_px = fig.layout.height - fig.layout.margin.t - fig.layout.margin.b
    assert (y1[0] - y2[1]) * plot_px >= 14 * lines
    assert fig.layout.margin.t >= 30 + 14 * lines  # first row's titles under the figure title


def test_image_grid_diverging_is_centred_at_zero():
    weights = np.random.default_rng(0).normal(size=(6, 8, 8)) + 0.3
    fig = image_grid_figure(
        weights, [f"filter {i}" for i in range(6)], 3, GRID_LABELS,
        colorscale=DIVERGING, zmid=0.0, showscale=True,
    )
    limit = np.abs(weights).max()
    axis = fig.layout.coloraxis  # one colour range, one colour bar for all images
    assert axis.cmin == pytest.approx(-limit) and axis.cmax == pytest.approx(limit)
    assert axis.showscale is True and axis.colorbar.title.text == "valeur"
    assert all(t.coloraxis == "coloraxis" for t in fig.data)
    own = image_grid_figure(weights, ["f"] * 6, 3, GRID_LABELS, zmid=0.0, shared_scale=False)
    assert own.data[0].zmax == pytest.approx(np.abs(weights[0]).max())
    _serialisable(fig)


def test_image_grid_empty_and_mismatch():
    fig = image_grid_figure(np.zeros((0, 28, 28)), [], 6, GRID_LABELS)
    assert [a.text for a in fig.layout.annotations] == ["Aucune erreur"]
    assert fig.layout.title.text == "Erreurs"
    _serialisable(fig)
    with pytest.raises(ValueError):
        image_grid_figure(np.zeros((2, 4, 4)), ["one"], 2, GRID_LABELS)


def test_image_figure():
    image = np.arange(28 * 28, dtype=float).reshape(28, 28)
    fig = image_figure(image, "Ce que voit le réseau")
    assert fig.layout.title.text == "Ce que voit le réseau"
    np.testing.assert_array_equal(np.asarray(fig.data[0].z), image)
    assert fig.layout.yaxis.scaleanchor == "x"
    _serialisable(fig)
    assert image_figure(np.zeros((0, 0)), "vide").layout.title.text == "vide"


@pytest.mark.parametrize("k", [2, 3, 10])
def test_probability_figure(k):
    probs = np.random.default_rng(k).dirichlet(np.ones(k))
    fig = probability_figure(probs, FASHION[:k], PROB_LABELS)
    (bar,) = fig.data
    best = int(np.argmax(probs))
    colours = list(bar.marker.color)
    assert colours.count(colours[best]) == 1  # only the top class stands out
    assert list(bar.text) == [f"{p:.1%}" for p in probs]
    assert fig.layout.xaxis.title.text == "Probabilité"
    assert fig.layout.title.text == "Prédiction"
    assert FASHION[best] in fig.layout.yaxis.ticktext[best]
    assert fig.layout.yaxis.autorange == "reversed"
    _serialisable(fig)


def test_probability_figure_empty():
    fig = probability_figure(np.array([]), [], PROB_LABELS)
    assert [a.text for a in fig.layout.annotations] == ["Rien"]


def test_no_streamlit_or_torch():
    import playground.charts.common as common_module
    import playground.charts.images as module
    import playground.core.metrics as metrics_module

    for mod in (common_module, module, metrics_module):
        source = open(mod.__file__, encoding="utf-8").read()
        for name in ("streamlit", "torch", "sklearn"):
            assert f"import {name}" not in source and f"from {name}" not in source
