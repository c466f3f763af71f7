"""Classification metrics from a confusion matrix; numpy and pandas only.

Everything is computed from the (K, K) confusion matrix `cm`, rows = true
class, columns = predicted class, so the metrics of a whole test set cost one
pass over the labels (`confusion_matrix`) and nothing else.

Division by zero: a precision, recall or F1 whose denominator is 0 (a class
never predicted, a class absent from the labels) is defined as 0.0, as
scikit-learn does with `zero_division=0`. Such a class still counts in the
macro average, as in scikit-learn.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

REPORT_COLUMNS = ("class", "precision", "recall", "f1", "support")
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
    num = np.asarray(num, dtype=np.float64)
    den = np.asarray(den, dtype=np.float64)
    out = np.zeros(np.broadcast(num, den).shape, dtype=np.float64)
    np.divide(num, den, out=out, where=den != 0)
    return out


def precision_recall_f1(cm: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-class precision TP/(TP+FP), recall TP/(TP+FN) and their harmonic mean."""
    cm = np.asarray(cm)
    tp = np.diag(cm).astype(np.float64)
    precision = _divide(tp, cm.sum(axis=0))  # column sums: everything predicted as k
    recall = _divide(tp, cm.sum(axis=1))  # row sums: everything truly k
    f1 = _divide(2 * precision * recall, precision + recall)
    return precision, recall, f1


def accuracy(cm: np.ndarray) -> float:
    """Share of samples on the diagonal; 0.0 for an empty matrix."""
    cm = np.asarray(cm)
    total = cm.sum()
    return float(np.trace(cm) / total) if total else 0.0


def macro_f1(cm: np.ndarray) -> float:
    """Unweighted mean of the per-class F1 scores (every class counts the same)."""
    f1 = precision_recall_f1(cm)[2]
    return float(f1.mean()) if f1.size else 0.0


def per_class_report(cm: np.ndarray, classes: Sequence[str]) -> pd.DataFrame:
    """One row per class (class, precision, recall, f1, support), then "macro avg"
    (plain mean over classes) and "weighted avg" (mean weighted by support).

    The support of both average rows is the total number of samples. Accuracy
    is not a row here; get it from `accuracy(cm)`.
    """
    cm = np.asarray(cm)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1] or cm.shape[0] != len(classes):
        raise ValueError(f"cm of shape {cm.shape} does not match {len(classes)} classes")
    precision, recall, f1 = precision_recall_f1(cm)
    support = cm.sum(axis=1).astype(np.int64)
    total = int(support.sum())
    frame = pd.DataFrame({
        "class": [str(c) for c in classes], "precision": precision, "recall": recall,
        "f1": f1, "support": support,
    })
    weights = support / total if total else np.zeros_like(precision)
    summary = pd.DataFrame({
        "class": [MACRO, WEIGHTED],
        "precision": [_mean(precision), float(precision @ weights)],
        "recall": [_mean(recall), float(recall @ weights)],
        "f1": [_mean(f1), float(f1 @ weights)],
        "support": [total, total],
    })
    report = pd.concat([frame, summary], ignore_index=True)
    report["support"] = report["support"].astype(np.int64)
    return report[list(REPORT_COLUMNS)]


def _mean(values: np.ndarray) -> float:
    return float(values.mean()) if values.size else 0.0


def top_confusions(cm: np.ndarray, k: int = 5) -> list[tuple[int, int, int]]:
    """The k largest off-diagonal cells as (true, predicted, count), largest first.

    Cells with a count of 0 are left out; ties go to the smaller true class,
    then the smaller predicted class (row-major order), so the result is stable.
    """
    cm = np.asarray(cm)
    off = cm.astype(np.int64).copy()
    np.fill_diagonal(off, 0)
    flat = off.ravel()
    order = np.argsort(-flat, kind="stable")  # stable: ties keep row-major order
    out = []
    for index in order[: max(k, 0)]:
        count = int(flat[index])
        if count <= 0:
            break
        true, pred = divmod(int(index), cm.shape[1])
        out.append((true, pred, count))
    return out
