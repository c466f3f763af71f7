"""The 2D toy datasets: shapes, labels, balance, bounds, seeding and the split."""

from __future__ import annotations

import numpy as np
import pytest

from playground.core import catalog
from playground.data.dataset import make_dataset
from playground.data.toy2d import EXTENT
from playground.dense.spec import Experiment

BINARY = [name for name, info in catalog.DATASETS.items() if info.problem == "binary"]
REGRESSION = [name for name, info in catalog.DATASETS.items() if info.problem == "regression"]
ALL = list(catalog.DATASETS)
N = 400


def generate(name: str, n: int = N, noise: float = 0.0, seed: int = 0, n_classes: int = 3):
    return catalog.DATASETS[name].make(n, noise, np.random.default_rng(seed), n_classes=n_classes)


def test_catalog_lists_the_expected_problems():
    problems = {name: info.problem for name, info in catalog.DATASETS.items()}
    assert problems == {
        "circle": "binary",
        "xor": "binary",
        "gauss": "binary",
        "spiral": "binary",
        "moons": "binary",
        "blobs": "multiclass",
        "plane": "regression",
        "bump": "regression",
    }


# ---- shapes and labels --------------------------------------------------------
@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("n", [50, 401])
def test_shapes_and_dtypes(name, n):
    X, y = generate(name, n=n, noise=0.1)
    assert X.shape == (n, 2)
    assert X.dtype == np.float32
    assert y.shape == (n,)
    if catalog.DATASETS[name].problem == "regression":
        assert y.dtype == np.float32
    else:
        assert y.dtype == np.int64
    assert np.isfinite(X).all()
    assert np.isfinite(y).all()


@pytest.mark.parametrize("name", BINARY)
@pytest.mark.parametrize("noise", [0.0, 0.5])
def test_binary_labels_are_zero_and_one_and_balanced(name, noise):
    _, y = generate(name, noise=noise)
    assert set(np.unique(y).tolist()) == {0, 1}
    share = y.mean()
    assert 0.4 <= share <= 0.6, f"class 1 share {share:.2f}"


@pytest.mark.parametrize("n_classes", [3, 4, 5])
def test_blobs_labels_cover_every_class_evenly(n_classes):
    _, y = generate("blobs", noise=0.2, n_classes=n_classes)
    assert set(np.unique(y).tolist()) == set(range(n_classes))
    counts = np.bincount(y, minlength=n_classes)
    expected = N / n_classes
    assert (np.abs(counts - expected) <= 0.2 * expected).all(), counts


@pytest.mark.parametrize("n_classes", [3, 4, 5])
def test_blobs_classes_sit_around_distinct_centres(n_classes):
    X, y = generate("blobs", noise=0.0, n_classes=n_classes)
    centres = np.stack([X[y == k].mean(axis=0) for k in range(n_classes)])
    gaps = np.linalg.norm(centres[:, None] - centres[None, :], axis=-1)
    assert gaps[~np.eye(n_classes, dtype=bool)].min() > 2.0


@pytest.mark.parametrize("name", REGRESSION)
@pytest.mark.parametrize("noise", [0.0, 0.5])
def test_regression_targets_in_unit_range(name, noise):
    _, y = generate(name, noise=noise)
    assert y.min() >= -1.0
    assert y.max() <= 1.0
    assert y.std() > 0.05  # a real signal, not a constant


def test_plane_target_is_the_scaled_coordinate_sum_without_noise():
    X, y = generate("plane", noise=0.0)
    np.testing.assert_allclose(y, (X[:, 0] + X[:, 1]) / (2 * EXTENT), atol=1e-6)


def test_bump_is_highest_in_the_middle():
    X, y = generate("bump", n=2000, noise=0.0)
    r = np.linalg.norm(X, axis=1)
    assert y[r < 1].mean() > 0.8
    assert y[r > 5].mean() < 0.0


def test_xor_labels_follow_the_quadrant_without_noise():
    X, y = generate("xor", noise=0.0)
    np.testing.assert_array_equal(y, (X[:, 0] * X[:, 1] > 0).astype(np.int64))


def test_circle_inner_disc_is_class_one():
    X, y = generate("circle", noise=0.0)
    r = np.linalg.norm(X, axis=1)
    assert r[y == 1].max() < r[y == 0].min()


# ---- bounds -------------------------------------------------------------------
BOUND_CASES = [(name, noise) for name in ALL for noise in (0.0, 0.25, 0.5)]


@pytest.mark.parametrize("name,noise", BOUND_CASES)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_points_inside_the_square(name, noise, seed):
    X, _ = generate(name, n=1000, noise=noise, seed=seed)
    assert np.abs(X).max() <= EXTENT


def test_circle_with_max_noise_stays_inside_the_square():
    X, _ = generate("circle", n=1000, noise=0.5, seed=0)
    assert np.abs(X).max() <= EXTENT


# ---- seeding and noise --------------------------------------------------------
@pytest.mark.parametrize("name", ALL)
def test_same_seed_gives_identical_arrays(name):
    X1, y1 = generate(name, noise=0.3, seed=7)
    X2, y2 = generate(name, noise=0.3, seed=7)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)


@pytest.mark.parametrize("name", ALL)
def test_different_seed_gives_different_points(name):
    X1, _ = generate(name, noise=0.3, seed=7)
    X2, _ = generate(name, noise=0.3, seed=8)
    assert not np.array_equal(X1, X2)


@pytest.mark.parametrize("name", ALL)
def test_noise_changes_the_data(name):
    X0, y0 = generate(name, noise=0.0, seed=3)
    X1, y1 = generate(name, noise=0.3, seed=3)
    assert not (np.array_equal(X0, X1) and np.array_equal(y0, y1))


@pytest.mark.parametrize("name", BINARY)
def test_noise_makes_classes_overlap_more(name):
    """A nearest-neighbour classifier does worse on noisy data: noise really blurs."""

    def knn_accuracy(X, y):
        d = ((X[:, None] - X[None, :]) ** 2).sum(-1)
        np.fill_diagonal(d, np.inf)
        return (y[d.argmin(axis=1)] == y).mean()

    clean = knn_accuracy(*generate(name, noise=0.0, seed=4))
    noisy = knn_accuracy(*generate(name, noise=0.5, seed=4))
    assert noisy < clean


# ---- make_dataset -------------------------------------------------------------
def spec_for(**kw) -> Experiment:
    spec, notes = Experiment.parse(kw)
    assert not [n for n in notes if n.code != "incompatible_loss"], notes
    return spec


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize(
    "n_samples,train_ratio,n_train", [(400, 0.5, 200), (100, 0.1, 10), (1000, 0.9, 900),
                                      (50, 0.3, 15), (333, 0.7, 233)]
)
def test_split_sizes_follow_train_ratio(name, n_samples, train_ratio, n_train):
    spec = spec_for(dataset=name, n_samples=n_samples, train_ratio=train_ratio, noise=0.1)
    assert spec.n_train == n_train
    data = make_dataset(spec)
    assert data.x_train.shape == (n_train, 2)
    assert data.y_train.shape == (n_train,)
    assert data.x_test.shape == (n_samples - n_train, 2)
    assert data.y_test.shape == (n_samples - n_train,)
    assert data.problem == catalog.DATASETS[name].problem
    assert data.extent == EXTENT


def test_split_is_a_shuffled_partition_of_the_generated_points():
    spec = spec_for(dataset="xor", noise=0.2, seed=5)
    data = make_dataset(spec)
    X, y = catalog.DATASETS["xor"].make(
        spec.n_samples, spec.noise, np.random.default_rng(spec.seed), n_classes=spec.n_classes
    )
    together = np.concatenate([data.x_train, data.x_test])
    labels = np.concatenate([data.y_train, data.y_test])
    order = np.lexsort(together.T)
    ref = np.lexsort(X.T)
    np.testing.assert_array_equal(together[order], X[ref])
    np.testing.assert_array_equal(labels[order], y[ref])
    # Both halves see both classes: the split is shuffled, not the first half.
    assert set(data.y_train.tolist()) == set(data.y_test.tolist()) == {0, 1}


def test_spiral_split_is_shuffled_across_classes():
    # spiral generates class 0 first, then class 1; an unshuffled split would be one-sided.
    data = make_dataset(spec_for(dataset="spiral"))
    assert 0.3 < data.y_train.mean() < 0.7


def test_make_dataset_uses_n_classes_for_blobs():
    data = make_dataset(spec_for(dataset="blobs", n_classes=5))
    assert set(np.concatenate([data.y_train, data.y_test]).tolist()) == {0, 1, 2, 3, 4}


@pytest.mark.parametrize("name", ALL)
def test_make_dataset_is_deterministic_by_seed(name):
    a = make_dataset(spec_for(dataset=name, seed=11))
    b = make_dataset(spec_for(dataset=name, seed=11))
    c = make_dataset(spec_for(dataset=name, seed=12))
    for field in ("x_train", "y_train", "x_test", "y_test"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    assert not np.array_equal(a.x_train, c.x_train)
