"""Training history: one row per recorded epoch, append-only.

Lists only ever grow, so a reader holding a length `n` sees a stable prefix
while the worker appends; no copy is needed to publish a snapshot.
"""

from __future__ import annotations

import pandas as pd

COLUMNS = ("epoch", "step", "train_loss", "test_loss", "train_acc", "test_acc")


class History:
    def __init__(self, columns: tuple[str, ...] = COLUMNS) -> None:
        # "epoch" first: it is the column readers take the length from.
        self.columns = ("epoch", *(c for c in columns if c != "epoch"))
        self.cols: dict[str, list] = {c: [] for c in self.columns}

    def __len__(self) -> int:
        return len(self.cols["epoch"])

    def append(self, **row) -> None:
        # "epoch" last: readers use its length, so every other column is ready first.
        for c in self.columns[1:]:
            self.cols[c].append(row[c])
        self.cols["epoch"].append(row["epoch"])

    def frame(self, n: int | None = None) -> pd.DataFrame:
        n = len(self) if n is None else n
        return pd.DataFrame({c: v[:n] for c, v in self.cols.items()})

    def last(self, column: str, n: int | None = None):
        n = len(self) if n is None else n
        return self.cols[column][n - 1] if n else None
