"""Curves cut to what a screen can show, and a history read without copying
it all on every redraw. Plain numpy; no Plotly, no Streamlit.

A chart is a few hundred pixels wide, so a run of 100,000 epochs drawn point
by point sends (and makes the browser lay out) a hundred points per pixel.
`minmax_indices` keeps, per bucket of consecutive points, the smallest and the
largest: the drawn line keeps every spike and dip, and every point it keeps is
a real (epoch, value) pair, so hovering shows real values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

LIVE_POINTS = 1200  # per curve: the min and the max of ~1 bucket per pixel of a wide chart


def minmax_indices(y: np.ndarray, max_points: int) -> np.ndarray:
    """Sorted indices of at most `max_points` points of `y` (N,): the first,
    the last, and in each of at most (max_points - 2) // 2 equal buckets of
    the points between, the smallest and the largest. All of them if N <=
    max_points. NaNs are skipped, except in a bucket of only NaNs, which keeps
    one (a gap in the data stays a gap in the line)."""
    y = np.asarray(y, dtype=np.float64)
    n = len(y)
    if n <= max_points:
        return np.arange(n)
    if max_points < 4:
        raise ValueError("max_points must be at least 4 (both ends and one bucket)")
    inner = n - 2
    size = -(-inner // ((max_points - 2) // 2))  # points per bucket, rounded up
    buckets = -(-inner // size)
    nan = np.isnan(y[1:-1])
    low = np.full(buckets * size, np.inf)
    high = np.full(buckets * size, -np.inf)
    low[:inner] = np.where(nan, np.inf, y[1:-1])  # (buckets * size,)
    high[:inner] = np.where(nan, -np.inf, y[1:-1])
    starts = np.arange(buckets) * size + 1
    lows = low.reshape(buckets, size).argmin(axis=1) + starts  # (buckets,)
    highs = high.reshape(buckets, size).argmax(axis=1) + starts
    return np.unique(np.concatenate([[0, n - 1], lows, highs]))


def log_minmax_indices(x: np.ndarray, y: np.ndarray, max_points: int) -> np.ndarray:
    """minmax_indices for a log-scale x axis: buckets of equal width in
    log(x), so the first epochs, which take as much of the axis as all the
    later ones, keep as many points. x (N,) rises; points at x <= 0, which a
    log axis cannot show, are left out."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    start = int(np.searchsorted(x, 0.0, side="right"))  # the first x > 0
    n = len(x) - start
    if n <= max_points:
        return np.arange(start, len(x))
    if max_points < 4:
        raise ValueError("max_points must be at least 4 (both ends and one bucket)")
    edges = np.searchsorted(x, np.geomspace(x[start], x[-1], (max_points - 2) // 2 + 1))
    edges = np.unique(np.clip(edges, start + 1, len(x) - 1))  # the ends are kept anyway
    low = np.where(np.isnan(y), np.inf, y)
    high = np.where(np.isnan(y), -np.inf, y)
    keep = [start, len(x) - 1]
    for a, b in zip(edges[:-1], edges[1:]):  # a few hundred buckets: a loop costs ~2 ms
        keep += [a + int(low[a:b].argmin()), a + int(high[a:b].argmax())]
    return np.unique(keep)


def decimate(x: np.ndarray, y: np.ndarray, max_points: int | None,
             log_x: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(x, y) cut by minmax_indices (log_minmax_indices for a log-scale x
    axis) to at most max_points; None keeps them all (but, on a log axis,
    only those at x > 0)."""
    x, y = np.asarray(x), np.asarray(y)
    if log_x:
        keep = log_minmax_indices(x, y, len(x) if max_points is None else max_points)
    elif max_points is None:
        return x, y
    else:
        keep = minmax_indices(y, max_points)
    return x[keep], y[keep]


def compact(values: np.ndarray) -> np.ndarray:
    """The values as int32 if they are all whole numbers that fit, else
    float32: what Plotly sends is half of float64's (4 significant digits
    shown in a hover survive float32's 7)."""
    values = np.asarray(values)
    if (len(values) and np.isfinite(values).all() and np.abs(values).max() < 2**31
            and (values == np.round(values)).all()):
        return values.astype(np.int32)
    return values.astype(np.float32)


class HistoryArrays:
    """An append-only history's columns as numpy arrays, converting only the
    rows added since the last call. Reading a 100,000-row history through a
    DataFrame costs about 0.1 s, on every redraw; this costs the new rows.

    columns: column name -> list that only ever grows (History.cols)."""

    def __init__(self, columns: Mapping[str, Sequence]) -> None:
        self.source = columns
        self.n = 0
        self.arrays = {c: np.empty(0) for c in columns}

    def read(self, n: int) -> dict[str, np.ndarray]:
        """Rows [0, n) of every column, float64 (None -> NaN); a view, not a copy."""
        if n > self.n:
            for c, values in self.source.items():
                have = self.arrays[c]
                if n > len(have):  # grow by doubling, so appends cost O(1) on average
                    grown = np.empty(max(n, 2 * len(have)))
                    grown[: self.n] = have[: self.n]
                    self.arrays[c] = have = grown
                have[self.n : n] = np.array(values[self.n : n], dtype=np.float64)
            self.n = n
        return {c: a[:n] for c, a in self.arrays.items()}
