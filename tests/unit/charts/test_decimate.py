"""decimate: min/max per bucket keeps the ends, every extreme and real points,
within the bound; HistoryArrays reads an append-only history incrementally."""

from __future__ import annotations

import numpy as np
import pytest

from playground.charts.decimate import HistoryArrays, decimate, minmax_indices
from playground.core.history import History


def test_short_inputs_are_kept_exactly():
    y = np.array([3.0, 1.0, 2.0])
    assert minmax_indices(y, 3).tolist() == [0, 1, 2]
    x, kept = decimate(np.arange(3), y, 10)
    assert x.tolist() == [0, 1, 2] and kept.tolist() == y.tolist()
    assert minmax_indices(np.array([]), 10).tolist() == []


@pytest.mark.parametrize("n, bound", [(5, 4), (1001, 100), (10_000, 2000), (100_003, 2000),
                                      (2001, 2000)])
def test_length_is_bounded_and_ends_are_kept(n, bound):
    y = np.random.default_rng(n).normal(size=n)
    keep = minmax_indices(y, bound)
    assert len(keep) <= bound
    assert keep[0] == 0 and keep[-1] == n - 1
    assert np.all(np.diff(keep) > 0)  # sorted, no repeats: a line in epoch order
    assert len(keep) >= bound // 2  # and it does use the room it has


def test_every_bucket_keeps_its_min_and_max():
    rng = np.random.default_rng(0)
    y = rng.normal(size=10_000)
    y[1234], y[7777] = 50.0, -50.0  # one spike, one dip
    keep = minmax_indices(y, 200)
    assert 1234 in keep and 7777 in keep
    # Every bucket's extremes are there: any window of the input between two
    # kept points lies within the range of the kept points around it, so the
    # drawn line's envelope is the data's.
    size = -(-(len(y) - 2) // 99)
    for start in range(1, len(y) - 1, size):
        part = y[start:start + size]
        assert start + int(part.argmin()) in keep and start + int(part.argmax()) in keep


def test_kept_points_are_real_points():
    x = np.linspace(0.0, 50.0, 5001)  # fractional epochs, as the image page has
    y = np.cos(x) + x / 10
    xs, ys = decimate(x, y, 500)
    idx = np.searchsorted(x, xs)
    assert np.array_equal(x[idx], xs) and np.array_equal(y[idx], ys)


def test_none_keeps_everything():
    y = np.arange(10_000.0)
    x, kept = decimate(y, y, None)
    assert len(kept) == 10_000


def test_nans_are_skipped_but_a_gap_stays_a_gap():
    y = np.arange(1000, dtype=float)
    y[::2] = np.nan  # NaNs among values: never picked
    keep = minmax_indices(y, 50)
    assert not np.isnan(y[keep[1:-1]]).any()
    z = np.ones(1000)
    z[400:700] = np.nan  # a long gap: some NaN kept, so the line breaks there
    assert np.isnan(z[minmax_indices(z, 50)]).any()
    assert not np.isnan(z[minmax_indices(z, 50)][:5]).any()


def test_infinite_values_are_extremes():
    y = np.zeros(1000)
    y[500] = np.inf  # a diverged loss
    assert 500 in minmax_indices(y, 20)


def test_a_bound_too_small_is_refused():
    with pytest.raises(ValueError):
        minmax_indices(np.zeros(10), 3)


def test_history_arrays_read_only_new_rows():
    history = History()
    arrays = HistoryArrays(history.cols)
    for i in range(5):
        history.append(epoch=i, step=10 * i, train_loss=1.0 / (i + 1), test_loss=None,
                       train_acc=0.5, test_acc=0.5)
    first = arrays.read(3)
    assert first["epoch"].tolist() == [0, 1, 2]
    assert np.isnan(first["test_loss"]).all()  # None -> NaN
    for i in range(5, 3000):
        history.append(epoch=i, step=10 * i, train_loss=1.0 / (i + 1), test_loss=float(i),
                       train_acc=0.5, test_acc=0.5)
    history.cols["epoch"][0] = -1  # a row already read is not read again
    full = arrays.read(len(history))
    assert full["epoch"][0] == 0 and full["epoch"][-1] == 2999
    assert np.allclose(full["train_loss"], [1.0 / (i + 1) for i in range(3000)])
    assert first["epoch"].tolist() == [0, 1, 2]  # earlier reads stay as they were
    assert arrays.read(2)["step"].tolist() == [0, 10]  # an older snapshot's prefix
