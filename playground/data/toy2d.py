"""2D toy datasets on the square [-6, 6]², as TensorFlow Playground draws them.

Each generator takes (n, noise, rng) and returns (X, y):
X is (n, 2) float32 points; y is (n,) int64 class labels for classification
or (n,) float32 targets in [-1, 1] for regression. Noise is in [0, 0.5].
scikit-learn's generators are used where one exists; their output is rescaled
to the same square so every dataset shares one plot extent.
"""

from __future__ import annotations

import numpy as np
from sklearn import datasets as skd

EXTENT = 6.0  # half-width of the input square


def _seed(rng: np.random.Generator) -> int:
    return int(rng.integers(0, 2**31 - 1))


def circle(n: int, noise: float, rng: np.random.Generator, n_classes: int = 2):
    X, y = skd.make_circles(n_samples=n, noise=noise * 0.25, factor=0.45, random_state=_seed(rng))
    # make_circles labels the outer ring 0; the inner disc is class 1.
    X = np.clip(X * EXTENT * 0.8, -EXTENT, EXTENT)
    return X.astype(np.float32), y.astype(np.int64)


def xor(n: int, noise: float, rng: np.random.Generator, n_classes: int = 2):
    X = rng.uniform(-EXTENT, EXTENT, size=(n, 2))
    # Keep points off the axes so the quadrant label is unambiguous.
    X += np.sign(X) * 0.3
    y = (X[:, 0] * X[:, 1] > 0).astype(np.int64)
    X += rng.normal(0.0, noise * EXTENT * 0.5, size=X.shape)
    return np.clip(X, -EXTENT, EXTENT).astype(np.float32), y


def gauss(n: int, noise: float, rng: np.random.Generator, n_classes: int = 2):
    X, y = skd.make_blobs(n_samples=n, centers=[[2.0, 2.0], [-2.0, -2.0]],
                          cluster_std=0.5 + noise * 4.0, random_state=_seed(rng))
    return np.clip(X, -EXTENT, EXTENT).astype(np.float32), y.astype(np.int64)


def spiral(n: int, noise: float, rng: np.random.Generator, n_classes: int = 2):
    # Two interleaved arms, r growing linearly with the angle (as TF Playground).
    counts = (n // 2, n - n // 2)
    parts = []
    for count, delta in zip(counts, (0.0, np.pi)):
        i = np.arange(count)
        r = i / count * 5.0
        t = 1.75 * i / count * 2 * np.pi + delta
        pts = np.stack([r * np.sin(t), r * np.cos(t)], axis=1)
        pts += rng.uniform(-1.0, 1.0, size=pts.shape) * noise * 2.0
        parts.append(pts)
    y = np.repeat([0, 1], counts)
    return np.concatenate(parts).astype(np.float32), y.astype(np.int64)


def moons(n: int, noise: float, rng: np.random.Generator, n_classes: int = 2):
    X, y = skd.make_moons(n_samples=n, noise=noise * 0.5, random_state=_seed(rng))
    X = (X - [0.5, 0.25]) * 3.2  # centre the pair of moons, then fill the square
    return np.clip(X, -EXTENT, EXTENT).astype(np.float32), y.astype(np.int64)


def blobs(n: int, noise: float, rng: np.random.Generator, n_classes: int = 3):
    # Centres evenly spaced on a circle so every class is equally reachable.
    angles = np.linspace(0, 2 * np.pi, n_classes, endpoint=False) + np.pi / 2
    centres = np.stack([np.cos(angles), np.sin(angles)], axis=1) * 3.5
    X, y = skd.make_blobs(n_samples=n, centers=centres, cluster_std=0.6 + noise * 4.0,
                          random_state=_seed(rng))
    return np.clip(X, -EXTENT, EXTENT).astype(np.float32), y.astype(np.int64)


def plane(n: int, noise: float, rng: np.random.Generator, n_classes: int = 0):
    X = rng.uniform(-EXTENT, EXTENT, size=(n, 2))
    y = (X[:, 0] + X[:, 1]) / (2 * EXTENT)
    y += rng.normal(0.0, noise, size=n)
    return X.astype(np.float32), np.clip(y, -1.0, 1.0).astype(np.float32)


def bump(n: int, noise: float, rng: np.random.Generator, n_classes: int = 0):
    X = rng.uniform(-EXTENT, EXTENT, size=(n, 2))
    r2 = (X**2).sum(axis=1)
    # Positive bump in the middle, slightly negative skirt: range about [-0.2, 1].
    y = np.exp(-r2 / 8.0) * 1.2 - 0.2
    y += rng.normal(0.0, noise, size=n)
    return X.astype(np.float32), np.clip(y, -1.0, 1.0).astype(np.float32)
