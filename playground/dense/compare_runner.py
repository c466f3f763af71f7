"""The runs of a comparison or sweep, trained together in one process.

The runner's spec is a tuple of Experiments; its "trainer" is a RunGroup
(dense/group.py), where runs of one architecture train in one batched step.
Play, Pause, Step and Reset act on every run. Messages carry each run's new
history rows in one long table with a `run` column (core/history.py takes it
as it is, and the CSV export gets the column), each run's state, and each
run's boundary on a small grid at most every GRID_EVERY seconds while training.
A new set of runs (one added, removed or replaced) starts a new history: the
next message carries every run's rows from its first epoch, so a run's index
always means the same run.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass

from playground.core.device import describe
from playground.core.history import COLUMNS
from playground.core.runner import BaseRunner, Message
from playground.data.dataset import Dataset
from playground.dense.group import RunGroup
from playground.dense.probe import Grid, boundary_grid
from playground.dense.spec import Experiment

GRID_EVERY = 0.5  # seconds between boundary grids while training: K grids each time
GRID_RESOLUTION = 48  # a small multiple is ~200 px wide: a 48 x 48 surface is plenty


@dataclass(frozen=True)
class RunState:
    """One run's counters and state, in every message."""

    epoch: int
    step: int
    status: str  # "training", "diverged" or "finished" (a stop rule ended it)
    detail: str  # divergence reason or stop rule
    seconds: float  # wall time of the group's epochs this run took part in


@dataclass(kw_only=True)
class CompareMessage(Message):
    states: list[RunState]
    grids: list[Grid | None]  # per run: a new boundary, or None (nothing new)
    data: list[Dataset] | None  # per run, on the first message of a set of runs


class GroupTrainer:
    """A RunGroup with what BaseRunner reads of a trainer: counters (the
    group's epochs; every run's steps), `diverged` once every run stopped,
    and the specs it was given."""

    finished = None  # the group never finishes by itself; its runs may

    def __init__(self, specs) -> None:
        self.specs: list[Experiment] = list(specs)
        self.group = RunGroup(list(self.specs))
        self.epoch = 0  # epochs of the whole group
        self.seconds = [0.0] * len(self.specs)

    @property
    def runs(self) -> list:
        return self.group.runs

    @property
    def step(self) -> int:
        return sum(run.step for run in self.runs)

    @property
    def diverged(self) -> str | None:
        """"all_stopped" when no run trains any more (each diverged or finished)."""
        return "all_stopped" if self.runs and all(run.done for run in self.runs) else None

    @property
    def device(self):
        return self.runs[0].device if self.runs else None

    def train_epoch(self) -> None:
        active = [i for i, run in enumerate(self.runs) if not run.done]
        start = time.perf_counter()
        self.group.train_epoch()
        spent = time.perf_counter() - start
        for i in active:
            self.seconds[i] += spent
        self.epoch += 1

    def set_runs(self, specs) -> None:
        """Train `specs` from now on: a run whose spec stays keeps its
        progress (the first of equal ones), a new spec starts at epoch 0."""
        new = list(specs)
        wanted = Counter(new)
        for i in reversed(range(len(self.specs))):  # drop runs no longer wanted
            spec = self.specs[i]
            if sum(1 for s in self.specs[:i] if s == spec) >= wanted[spec]:
                self._remove(i)
        for i, spec in enumerate(new):
            if i >= len(self.specs):
                self.group.add(spec)
                self.specs.append(spec)
                self.seconds.append(0.0)
            elif self.specs[i] != spec:
                self.group.replace(i, spec)
                self.specs[i], self.seconds[i] = spec, 0.0
        while len(self.specs) > len(new):
            self._remove(len(self.specs) - 1)

    def _remove(self, i: int) -> None:
        self.group.remove(i)
        del self.specs[i], self.seconds[i]


def run_state(trainer: GroupTrainer, i: int) -> RunState:
    run = trainer.runs[i]
    if run.diverged:
        status, detail = "diverged", run.diverged
    elif run.finished:
        status, detail = "finished", run.finished
    else:
        status, detail = "training", ""
    return RunState(run.epoch, run.step, status, detail, trainer.seconds[i])


class CompareRunner(BaseRunner):
    """Trains every run one epoch per unit; "step" trains one at once."""

    message_class = CompareMessage
    max_per_sec = 60.0  # group epochs a second, as the single run's cap

    def make_trainer(self, specs) -> GroupTrainer:
        return GroupTrainer(specs)

    def new_trainer(self, spec) -> None:
        super().new_trainer(tuple(spec))
        self.fresh_messages()

    def fresh_messages(self) -> None:
        """The next message starts a new history and carries everything."""
        self.sent = [0] * len(self.trainer.specs)
        self.grid_steps = [-1] * len(self.trainer.specs)  # run's step at its last grid
        self.grid_at = 0.0
        self.told = False

    @staticmethod
    def spec_change(old, new) -> str:
        return "none" if tuple(old) == tuple(new) else "runs"

    def live_update(self, specs) -> None:
        self.spec = tuple(specs)
        self.trainer.set_runs(specs)
        self.run_id += 1
        self.fresh_messages()

    def command(self, command: str, arg) -> None:
        if command == "step":
            self.running = False
            self.trainer.train_epoch()

    def train_some(self) -> None:
        self.trainer.train_epoch()

    def status(self) -> tuple[str, str]:
        status, detail = super().status()
        # Every run stopped by itself: the group is done, not broken.
        return ("finished", detail) if status == "diverged" else (status, detail)

    def message(self) -> CompareMessage:
        trainer, now = self.trainer, time.monotonic()
        status, detail = self.status()
        columns = trainer.runs[0].history.columns if trainer.runs else COLUMNS
        rows: dict[str, list] = {"run": [], **{c: [] for c in columns}}
        for i, run in enumerate(trainer.runs):
            n = len(run.history)
            for c in columns:
                rows[c].extend(run.history.cols[c][self.sent[i] : n])
            rows["run"].extend([i] * (n - self.sent[i]))
            self.sent[i] = n
        first, self.told = not self.told, True
        return CompareMessage(
            run=self.run_id, spec=self.spec, status=status, detail=detail,
            epoch=trainer.epoch, step=trainer.step, rows=rows,
            device=describe(trainer.device) if trainer.device is not None else "",
            rate=self.rate if status == "running" else 0.0,
            epoch_rate=self.epoch_rate if status == "running" else 0.0,
            states=[run_state(trainer, i) for i in range(len(trainer.runs))],
            grids=self.grids(now, first), data=[r.data for r in trainer.runs] if first else None,
        )

    def grids(self, now: float, first: bool) -> list[Grid | None]:
        """A run's boundary when it trained since its last one, at most every
        GRID_EVERY seconds while training (always when paused or first)."""
        if not first and self.running and now - self.grid_at < GRID_EVERY:
            return [None] * len(self.trainer.runs)
        self.grid_at = now
        out = []
        for i, run in enumerate(self.trainer.runs):
            if run.step == self.grid_steps[i] and not first:
                out.append(None)
                continue
            self.grid_steps[i] = run.step
            out.append(boundary_grid(run, GRID_RESOLUTION))
        return out
