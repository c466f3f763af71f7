"""The 2D and table pages' handles on their training processes: optional
probes, weight edits, the weights in and out, and Snapshots with the boundary
grid, the probes' outputs and, for a table, the predictions."""

from __future__ import annotations

from dataclasses import dataclass, field

from playground.core.worker import BaseSnapshot, BaseWorker
from playground.data.dataset import Dataset
from playground.dense.probe import Grid
from playground.dense.runner import DenseMessage, Runner, TableRunner

MAX_HISTS = 64  # histogram snapshots kept, spread over the whole run (see Spread)


@dataclass(frozen=True, kw_only=True)
class Snapshot(BaseSnapshot):
    grid: Grid | None
    data: Dataset
    steps_per_sec: float
    network: dict | None = None  # probe.neuron_maps output, when that view is on
    # Append-only lists shared with later snapshots; [0, n) are this one's.
    stats_list: list = field(default_factory=list)  # layer-statistics rows (dicts)
    n_stats: int = 0
    hists: tuple = ()  # histogram snapshots spread over the run, newest last
    # A table run's predictions: {"train": (N_train,), "test": (N_test,)}
    # class indices, or values for regression (in the trainer's units).
    predictions: dict | None = None

    @property
    def stats(self) -> list[dict]:
        return self.stats_list[: self.n_stats]


class Spread:
    """At most `cap` items spread evenly over everything added, plus the newest:
    item k is kept while k is a multiple of the stride, which doubles (dropping
    every other item) whenever more than `cap` are kept. So a long run keeps
    snapshots from its whole length, not just its end."""

    def __init__(self, cap: int = MAX_HISTS) -> None:
        self.cap = cap
        self.stride = 1
        self.count = 0
        self.kept: list = []
        self.newest = None

    def add(self, item) -> None:
        if self.count % self.stride == 0:
            self.kept.append(item)
            if len(self.kept) > self.cap:
                self.stride *= 2
                self.kept = self.kept[::2]
        self.count += 1
        self.newest = item

    def items(self) -> tuple:
        """Kept items oldest first, ending with the newest one added."""
        if self.newest is None or self.kept[-1] is self.newest:  # nothing added yet, or kept
            return tuple(self.kept)
        return (*self.kept, self.newest)


class Worker(BaseWorker):
    """The 2D playground's worker."""

    runner = Runner

    def __init__(self, spec, **kw) -> None:
        self._views: frozenset[str] = frozenset()
        self._stats: list[dict] = []
        self._hists = Spread()
        self._data = None
        super().__init__(spec, **kw)  # wait=, scheduler=: see BaseWorker

    @property
    def views(self) -> frozenset[str]:
        """The optional probes most recently asked for."""
        return self._views

    def set_views(self, views: set[str]) -> None:
        """Which optional probes to run ("network", "stats")."""
        self._views = frozenset(views)
        self._send("views", self._views)

    def edit(self, kind: str, layer: int, row: int, col: int, value: float) -> None:
        """Set one weight ("w") or bias ("b"); applies at once, also while paused."""
        self._send("edit", (kind, layer, row, col, value))

    def _start_run(self) -> None:
        self._stats, self._hists = [], Spread()

    def _snapshot_from(self, msg: DenseMessage, common: dict) -> Snapshot:
        if msg.state is not None:
            self._state = msg.state  # before the sync ids are published
        if msg.data is not None:
            self._data = msg.data
        self._stats.extend(msg.stats)
        if msg.hist is not None:
            self._hists.add(msg.hist)
        return Snapshot(
            **common, grid=msg.grid, data=self._data, steps_per_sec=msg.rate,
            network=msg.network, stats_list=self._stats, n_stats=len(self._stats),
            hists=self._hists.items(), predictions=msg.pred,
        )


class TableWorker(Worker):
    """The table page's worker. Its `spec` is a TableJob."""

    runner = TableRunner
