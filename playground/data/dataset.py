"""Experiment -> train/test arrays of a 2D toy set, seeded and split, with the
points a learner added by clicking at the end of the training part; the
stratified split that tables and image sets share."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.model_selection import train_test_split

from playground.core import catalog
from playground.data.toy2d import EXTENT


@dataclass(frozen=True)
class Dataset:
    x_train: np.ndarray  # (N_train, 2) float32 raw points
    y_train: np.ndarray  # (N_train,) int64 labels or float32 targets
    x_test: np.ndarray  # (N_test, 2)
    y_test: np.ndarray  # (N_test,)
    problem: str  # "binary", "multiclass", "regression"
    extent: float = EXTENT  # points lie in [-extent, extent]²
    # True for tables: x is already the network's (N, F) input, not 2D points
    # that playground.data.features turns into inputs.
    inputs_ready: bool = False


def make_dataset(spec) -> Dataset:
    """Same spec (seed included) -> the same points, on any machine."""
    rng = np.random.default_rng(spec.seed)
    info = catalog.DATASETS[spec.dataset]
    x, y = info.make(spec.n_samples, spec.noise, rng, n_classes=spec.n_classes)
    order = rng.permutation(len(x))
    x, y = x[order], y[order]
    n = spec.n_train
    x_train, y_train = x[:n], y[:n]
    added = getattr(spec, "points", ())  # clicked on the plane: (x, y, class) each
    if added:
        x_train = np.concatenate([x_train, np.array([(p.x, p.y) for p in added], np.float32)])
        y_train = np.concatenate([y_train, np.array([p.label for p in added], y.dtype)])
    return Dataset(x_train, y_train, x[n:], y[n:], info.problem)


def stratified_split(positions: np.ndarray, labels: np.ndarray | None, n_out: int,
                     seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Split positions (N,) into (kept, taken out), n_out taken, keeping class shares.

    Stratification needs every class twice and each side at least one of each
    class; when that cannot hold, or labels is None, a plain seeded shuffle.
    """
    if n_out <= 0:
        return positions, positions[:0]
    if n_out >= len(positions):
        return positions[:0], positions
    if labels is not None:
        counts = np.unique(labels, return_counts=True)[1]
        if counts.min() < 2 or min(n_out, len(positions) - n_out) < len(counts):
            labels = None
    kept, out = train_test_split(positions, test_size=n_out, random_state=seed, stratify=labels)
    return kept, out
