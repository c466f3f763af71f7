"""playground.core.metrics against hand-worked values and against scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm

from playground.core import metrics

# rows = true class, columns = predicted class
CM = np.array([
    [5, 1, 0],  # true 0: 6 samples, 5 right, 1 taken for class 1
    [2, 3, 1],  # true 1: 6 samples, 3 right
    [0, 2, 6],  # true 2: 8 samples, 6 right
])
# Column sums (everything predicted as k): 7, 6, 7.  Total 20, diagonal 14.
# precision = TP / column sum:  5/7,        3/6 = 0.5,  6/7
# recall    = TP / row sum:     5/6,        3/6 = 0.5,  6/8 = 0.75
# f1 = 2TP / (2TP + FP + FN):   10/13,      6/12 = 0.5, 12/15 = 0.8
#   class 0: FP = 2 (column 0 minus TP), FN = 1 -> 10 / (10 + 2 + 1)
#   class 1: FP = 3, FN = 3 -> 6 / 12;  class 2: FP = 1, FN = 2 -> 12 / 15
PRECISION = [5 / 7, 0.5, 6 / 7]
RECALL = [5 / 6, 0.5, 0.75]
F1 = [10 / 13, 0.5, 0.8]
SUPPORT = [6, 6, 8]


def test_confusion_matrix_counts_rows_true_columns_predicted():
    y_true = [0, 0, 1, 2, 2, 2]
    y_pred = [0, 1, 1, 2, 0, 2]
    cm = metrics.confusion_matrix(y_true, y_pred, 3)
    assert cm.dtype == np.int64
    np.testing.assert_array_equal(cm, [[1, 1, 0], [0, 1, 0], [1, 0, 2]])


def test_confusion_matrix_keeps_classes_never_seen():
    cm = metrics.confusion_matrix([0, 0], [0, 0], 4)
    assert cm.shape == (4, 4) and cm.sum() == 2 and cm[0, 0] == 2


def test_confusion_matrix_of_nothing_is_zeros():
    cm = metrics.confusion_matrix([], [], 3)
    np.testing.assert_array_equal(cm, np.zeros((3, 3)))


@pytest.mark.parametrize("y_true, y_pred", [([0, 3], [0, 1]), ([0, 1], [0, -1]), ([0], [0, 1])])
def test_confusion_matrix_rejects_bad_labels(y_true, y_pred):
    with pytest.raises(ValueError):
        metrics.confusion_matrix(y_true, y_pred, 3)


def test_hand_worked_report():
    report = metrics.per_class_report(CM, ["a", "b", "c"])
    assert list(report.columns) == ["class", "precision", "recall", "f1", "support"]
    assert list(report["class"]) == ["a", "b", "c", "macro avg", "weighted avg"]
    per_class = report.iloc[:3]
    np.testing.assert_allclose(per_class["precision"], PRECISION)
    np.testing.assert_allclose(per_class["recall"], RECALL)
    np.testing.assert_allclose(per_class["f1"], F1)
    assert list(per_class["support"]) == SUPPORT

    macro = report.iloc[3]
    assert macro["precision"] == pytest.approx((5 / 7 + 0.5 + 6 / 7) / 3)
    assert macro["recall"] == pytest.approx((5 / 6 + 0.5 + 0.75) / 3)
    assert macro["f1"] == pytest.approx((10 / 13 + 0.5 + 0.8) / 3)
    assert macro["support"] == 20

    weighted = report.iloc[4]  # weights 6/20, 6/20, 8/20
    assert weighted["precision"] == pytest.approx((6 * 5 / 7 + 6 * 0.5 + 8 * 6 / 7) / 20)
    # weighted recall is the accuracy: (5 + 3 + 6) / 20
    assert weighted["recall"] == pytest.approx(0.7)
    assert weighted["f1"] == pytest.approx((6 * 10 / 13 + 6 * 0.5 + 8 * 0.8) / 20)
    assert weighted["support"] == 20


def test_hand_worked_accuracy_and_macro_f1():
    assert metrics.accuracy(CM) == pytest.approx(14 / 20)
    assert metrics.macro_f1(CM) == pytest.approx((10 / 13 + 0.5 + 0.8) / 3)


def test_zero_division_is_zero():
    cm = np.array([
        [2, 0, 0],  # class 0: always right
        [1, 0, 0],  # class 1: present but never predicted -> precision 0/0, recall 0/1
        [0, 0, 0],  # class 2: absent and never predicted -> everything 0/0
    ])
    report = metrics.per_class_report(cm, ["x", "y", "z"]).set_index("class")
    assert report.loc["x", "precision"] == pytest.approx(2 / 3)
    assert report.loc["x", "recall"] == 1.0
    assert report.loc["x", "f1"] == pytest.approx(0.8)  # 4 / (4 + 1 + 0)
    for name in ("y", "z"):
        assert report.loc[name, ["precision", "recall", "f1"]].tolist() == [0.0, 0.0, 0.0]
    assert report.loc["z", "support"] == 0
    assert not report.isna().any().any()
    # the absent class still counts in the macro average, as in scikit-learn
    assert metrics.macro_f1(cm) == pytest.approx(0.8 / 3)


def test_class_predicted_but_absent():
    cm = np.array([[1, 1], [0, 0]])  # class 1 never occurs but is predicted once
    report = metrics.per_class_report(cm, ["p", "q"]).set_index("class")
    assert report.loc["q", ["precision", "recall", "f1", "support"]].tolist() == [0, 0, 0, 0]
    assert report.loc["p", "precision"] == 1.0 and report.loc["p", "recall"] == 0.5


def test_empty_matrix():
    cm = np.zeros((3, 3), dtype=np.int64)
    assert metrics.accuracy(cm) == 0.0
    assert metrics.macro_f1(cm) == 0.0
    report = metrics.per_class_report(cm, ["a", "b", "c"])
    assert not report.isna().any().any()
    assert report["support"].tolist() == [0, 0, 0, 0, 0]


def test_report_rejects_wrong_class_count():
    with pytest.raises(ValueError):
        metrics.per_class_report(CM, ["a", "b"])


@pytest.mark.parametrize("seed, n_classes, n", [(0, 2, 50), (1, 3, 200), (2, 10, 1000), (3, 7, 15)])
def test_against_sklearn(seed, n_classes, n):
    rng = np.random.default_rng(seed)
    # a skewed draw so some classes are rare or missing in y_true / y_pred
    p = rng.dirichlet(np.full(n_classes, 0.5))
    y_true = rng.choice(n_classes, size=n, p=p)
    y_pred = np.where(rng.random(n) < 0.6, y_true, rng.choice(n_classes, size=n, p=p))
    labels = list(range(n_classes))

    cm = metrics.confusion_matrix(y_true, y_pred, n_classes)
    np.testing.assert_array_equal(cm, skm.confusion_matrix(y_true, y_pred, labels=labels))
    assert metrics.accuracy(cm) == pytest.approx(skm.accuracy_score(y_true, y_pred))

    report = metrics.per_class_report(cm, [f"c{i}" for i in labels])
    prec, rec, f1, support = skm.precision_recall_fscore_support(
        y_true, y_pred, labels=labels, zero_division=0,
    )
    np.testing.assert_allclose(report["precision"][:n_classes], prec)
    np.testing.assert_allclose(report["recall"][:n_classes], rec)
    np.testing.assert_allclose(report["f1"][:n_classes], f1)
    np.testing.assert_array_equal(report["support"][:n_classes], support)
    for row, average in ((n_classes, "macro"), (n_classes + 1, "weighted")):
        expected = skm.precision_recall_fscore_support(
            y_true, y_pred, labels=labels, average=average, zero_division=0,
        )[:3]
        np.testing.assert_allclose(report.loc[row, ["precision", "recall", "f1"]], expected)
    assert metrics.macro_f1(cm) == pytest.approx(
        skm.f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0)
    )


def test_top_confusions_order():
    # off-diagonal cells: (0,1)=1, (1,0)=2, (1,2)=1, (2,1)=2; ties in row-major order
    assert metrics.top_confusions(CM) == [(1, 0, 2), (2, 1, 2), (0, 1, 1), (1, 2, 1)]
    assert metrics.top_confusions(CM, k=1) == [(1, 0, 2)]
    assert metrics.top_confusions(CM, k=0) == []


def test_top_confusions_skips_diagonal_and_zeros():
    cm = np.array([[50, 0, 3], [0, 40, 0], [9, 1, 30]])
    assert metrics.top_confusions(cm, k=10) == [(2, 0, 9), (0, 2, 3), (2, 1, 1)]
    assert metrics.top_confusions(np.diag([5, 5])) == []
    counts = [c for *_, c in metrics.top_confusions(CM, k=10)]
    assert counts == sorted(counts, reverse=True)
