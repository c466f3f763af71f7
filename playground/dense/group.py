"""Several runs of the 2D page trained side by side: a comparison or a sweep.

Every run is an ordinary Trainer with its own history, counters, model and
optimizer. Runs that share an architecture (batched.batch_key) train in one
vectorised step (batched.BatchedRuns); any other run trains alone. Either way
a run's curves are the ones it draws alone, bit for bit (stacked.py).
"""

from __future__ import annotations

import torch

from playground.dense.batched import BatchedRuns, batch_key
from playground.dense.trainer import Trainer


class RunGroup:
    def __init__(self, specs: list, device: torch.device | None = None) -> None:
        self.device = device
        self.runs: list[Trainer] = [Trainer(spec, device=device) for spec in specs]
        # Batches of the latest plan, by their member trainers (identity), so a
        # batch lives as long as its members stay together.
        self.batches: dict[tuple[Trainer, ...], BatchedRuns] = {}
        # run -> (its spec, its data, batch_key): the key is only worked out
        # again when the spec (a new rate) or the data (added points) changed.
        self.keys: dict[Trainer, tuple] = {}

    def __len__(self) -> int:
        return len(self.runs)

    def add(self, spec) -> int:
        """A new run at epoch 0; returns its index."""
        self.runs.append(Trainer(spec, device=self.device))
        return len(self.runs) - 1

    def remove(self, i: int) -> None:
        del self.runs[i]

    def replace(self, i: int, spec) -> None:
        """Run i starts over from `spec`; the others keep their progress."""
        self.runs[i] = Trainer(spec, device=self.device)

    def plan(self) -> list[list[int]]:
        """Indices of the runs that train together, one list per step: a
        batch of runs with the same batch_key, or one run alone. Diverged
        runs, and runs a stop rule ended, take part in nothing, as alone."""
        together: dict[tuple, list[int]] = {}
        alone: list[list[int]] = []
        keys = {}
        for run in self.runs:
            cached = self.keys.get(run)
            if cached is None or cached[0] is not run.spec or cached[1] is not run.x_train:
                cached = (run.spec, run.x_train, batch_key(run))
            keys[run] = cached
        self.keys = keys
        for i, run in enumerate(self.runs):
            if getattr(run, "done", run.diverged):
                continue
            key = keys[run][2]
            if key is None:
                alone.append([i])
            else:
                together.setdefault(key, []).append(i)
        return [members for members in together.values() if len(members) > 1] + alone + \
            [members for members in together.values() if len(members) == 1]

    def train_epoch(self) -> None:
        """Every run that hasn't diverged advances one epoch and records it."""
        batches = {}
        for members in self.plan():
            if len(members) == 1:
                self.runs[members[0]].train_epoch()
                continue
            trainers = tuple(self.runs[i] for i in members)
            # A new membership (a run added, removed, replaced or diverged)
            # moves the members' storage into a new batch.
            batch = self.batches.get(trainers) or BatchedRuns(list(trainers))
            batch.train_epoch()
            batches[trainers] = batch
        self.batches = batches
