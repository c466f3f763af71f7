"""The 2D page's handle on a comparison's training process: its spec is the
tuple of run specs; its snapshots hold every run's state, latest boundary
and data, and the long history (a `run` column) of all runs."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from playground.core.worker import BaseSnapshot, BaseWorker
from playground.dense.compare_runner import CompareMessage, CompareRunner, RunState


@dataclass(frozen=True, kw_only=True)
class CompareSnapshot(BaseSnapshot):
    states: tuple[RunState, ...]  # per run
    grids: tuple  # per run: its latest probe.Grid (None before the first)
    grid_versions: tuple[int, ...]  # per run: how many grids it has had (a new one: a redraw)
    data: tuple  # per run: its Dataset

    def run_frame(self, i: int) -> pd.DataFrame:
        """Run i's history rows."""
        frame = self.frame()
        return frame[frame["run"] == i].drop(columns="run").reset_index(drop=True)


class CompareWorker(BaseWorker):
    """Trains a tuple of Experiments side by side (dense/compare_runner.py)."""

    runner = CompareRunner

    def __init__(self, specs, **kw) -> None:
        self._grids: list = []
        self._versions: list[int] = []
        self._data: tuple = ()
        super().__init__(tuple(specs), **kw)  # wait=, scheduler=: see BaseWorker

    def update(self, spec) -> None:
        super().update(tuple(spec))

    def _start_run(self) -> None:
        self._grids, self._versions = [], []

    def _snapshot_from(self, msg: CompareMessage, common: dict) -> CompareSnapshot:
        k = len(msg.states)
        self._grids = (self._grids + [None] * k)[:k]
        self._versions = (self._versions + [0] * k)[:k]
        for i, grid in enumerate(msg.grids):
            if grid is not None:
                self._grids[i] = grid
                self._versions[i] += 1
        if msg.data is not None:
            self._data = tuple(msg.data)
        return CompareSnapshot(**common, states=tuple(msg.states), grids=tuple(self._grids),
                               grid_versions=tuple(self._versions), data=self._data)
