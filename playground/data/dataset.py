"""Experiment -> train/test arrays of a 2D toy set, seeded and split."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

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
    return Dataset(x[:n], y[:n], x[n:], y[n:], info.problem)
