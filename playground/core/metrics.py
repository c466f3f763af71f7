"""Classification metrics from a (K, K) confusion matrix `cm` (rows = true
class, columns = predicted class), so a whole test set costs one pass over
its labels. A precision, recall or F1 whose denominator is 0 is 0.0, and such
a class still counts in the macro average, as scikit-learn does with
`zero_division=0`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

MACRO, WEIGHTED = "macro avg", "weighted avg"


def confusion_matrix(y_true, y_pred, n_classes: int) -> np.ndarray:
    """(K, K) int64 counts: cm[i, j] = number of samples of true class i predicted as j."""
    y_true = np.asarray(y_true, dtype=np.int64).ravel()
    y_pred = np.asarray(y_pred, dtype=np.int64).ravel()
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true has {y_true.size} labels but y_pred has {y_pred.size}")
    for name, y in (("y_true", y_true), ("y_pred", y_pred)):
        if y.size and (y.min() < 0 or y.max() >= n_classes):
            raise ValueError(f"{name} holds labels outside 0..{n_classes - 1}")
    counts = np.bincount(y_true * n_classes + y_pred, minlength=n_classes * n_classes)
    return counts.reshape(n_classes, n_classes).astype(np.int64)


def _divide(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den elementwise, 0.0 where den == 0."""
    return np.divide(num, den, out=np.zeros(np.shape(den)), where=den != 0)


def precision_recall_f1(cm: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-class precision TP/(TP+FP), recall TP/(TP+FN) and their harmonic mean."""
    cm = np.asarray(cm)
    tp = np.diag(cm).astype(np.float64)
    precision = _divide(tp, cm.sum(axis=0))  # column sums: everything predicted as k
    recall = _divide(tp, cm.sum(axis=1))  # row sums: everything truly k
    return precision, recall, _divide(2 * precision * recall, precision + recall)


def accuracy(cm: np.ndarray) -> float:
    """Share of samples on the diagonal; 0.0 for an empty matrix."""
    total = np.sum(cm)
    return float(np.trace(cm) / total) if total else 0.0


def macro_f1(cm: np.ndarray) -> float:
    """Unweighted mean of the per-class F1 scores (every class counts the same)."""
    return _mean(precision_recall_f1(cm)[2])


def _mean(values: np.ndarray) -> float:
    return float(values.mean()) if values.size else 0.0


def per_class_report(cm: np.ndarray, classes: Sequence[str]) -> pd.DataFrame:
    """One row per class (class, precision, recall, f1, support), then "macro avg"
    (plain mean over classes) and "weighted avg" (mean weighted by support).
    The support of both average rows is the total number of samples; accuracy
    is not a row (see `accuracy(cm)`)."""
    cm = np.asarray(cm)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1] or cm.shape[0] != len(classes):
        raise ValueError(f"cm of shape {cm.shape} does not match {len(classes)} classes")
    scores = dict(zip(("precision", "recall", "f1"), precision_recall_f1(cm)))
    support = cm.sum(axis=1).astype(np.int64)
    total = int(support.sum())
    weights = support / total if total else np.zeros(len(support))
    frame = pd.DataFrame({"class": [str(c) for c in classes], **scores, "support": support})
    summary = pd.DataFrame({
        "class": [MACRO, WEIGHTED],
        **{name: [_mean(v), float(v @ weights)] for name, v in scores.items()},
        "support": [total, total],
    })
    report = pd.concat([frame, summary], ignore_index=True)
    report["support"] = report["support"].astype(np.int64)
    return report


def top_confusions(cm: np.ndarray, k: int = 5) -> list[tuple[int, int, int]]:
    """The k largest off-diagonal cells as (true, predicted, count), largest first.
    Cells with a count of 0 are left out; ties keep row-major order."""
    off = np.array(cm, dtype=np.int64)
    np.fill_diagonal(off, 0)
    flat = off.ravel()
    order = np.argsort(-flat, kind="stable")[: max(k, 0)]
    return [(*divmod(int(i), off.shape[1]), int(flat[i])) for i in order if flat[i] > 0]
