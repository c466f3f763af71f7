"""What the table page shows besides the curves: a 2D view of many input
columns, and regression scores in the target's own units."""

from __future__ import annotations

import numpy as np
from sklearn.decomposition import PCA


def project(x: np.ndarray, seed: int = 0) -> tuple[np.ndarray, tuple[float, float]]:
    """(N, F) inputs -> (N, 2) coordinates on the two principal components,
    and the share of the variance each explains. With one input column the
    second coordinate is 0 (there is nothing else to show)."""
    x = np.asarray(x, dtype=np.float64)
    if x.shape[1] == 1:
        return np.column_stack([x[:, 0], np.zeros(len(x))]), (1.0, 0.0)
    pca = PCA(n_components=2, random_state=seed).fit(x)
    ratio = pca.explained_variance_ratio_
    return pca.transform(x), (float(ratio[0]), float(ratio[1]))


def regression_scores(actual: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    """R² (1 is perfect, 0 is no better than always predicting the mean),
    mean absolute error and root mean squared error, in the target's units."""
    actual = np.asarray(actual, dtype=np.float64)
    predicted = np.asarray(predicted, dtype=np.float64)
    err = predicted - actual
    total = ((actual - actual.mean()) ** 2).sum()
    r2 = 1.0 - float((err**2).sum() / total) if total > 0 else 0.0
    return {"r2": r2, "mae": float(np.abs(err).mean()), "rmse": float(np.sqrt((err**2).mean()))}
