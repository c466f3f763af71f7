"""The dense runners, in the training process (core/runner.py explains it).
Messages carry the boundary grid, the data set once per run, and the optional
probes (neuron maps, layer statistics, histograms) while their view is on. A
table's prepared rows travel with its spec as a `TableJob`; its messages add
the current predictions, and a boundary only for exactly two input columns."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import torch

from playground.core.runner import BaseRunner, Message, changed_fields
from playground.data.dataset import Dataset, make_dataset
from playground.dense.probe import Grid, boundary_grid, histograms, layer_stats, neuron_maps
from playground.dense.spec import Experiment
from playground.dense.table_spec import TableExperiment
from playground.dense.trainer import Trainer

VIEW_FIELDS = {"show_test", "discretize"}
# Changes a running trainer takes without starting over: the learning rate,
# and the points a learner clicks onto the plane (the weights train on).
LIVE_FIELDS = {"lr", "points"}
STATS_EVERY = 0.25  # seconds between layer-statistics rows while training
HIST_EVERY = 1.0  # seconds between histogram snapshots while training
VIEWS = {"network", "stats"}  # optional probes; each costs time only when on


@dataclass(kw_only=True)
class DenseMessage(Message):
    grid: Grid | None  # the boundary; None for a table without exactly two inputs
    data: Dataset | None  # on a run's first message only
    network: dict | None  # probe.neuron_maps output, when that view is on
    stats: list[dict] = field(default_factory=list)  # new layer-statistics rows
    hist: dict | None = None  # a new histogram snapshot
    state: dict | None = None  # the weights (name -> CPU tensor), once per "state" command
    # A table run's predictions: {"train": (N_train,), "test": (N_test,)}.
    pred: dict | None = None


def spec_change(old: Experiment, new: Experiment) -> str:
    """How a new spec is applied: 'none', 'view', 'lr' or 'points' (live) or 'rebuild'."""
    changed = changed_fields(old, new)
    if not changed:
        return "none"
    if changed <= VIEW_FIELDS:
        return "view"
    if changed <= VIEW_FIELDS | LIVE_FIELDS:
        return "points" if "points" in changed else "lr"
    return "rebuild"


class Runner(BaseRunner):
    """Trains whole epochs; "step" trains one at once, also while paused."""

    message_class = DenseMessage
    # TensorFlow Playground trains one epoch per animation frame: at most 60 a
    # second, slow enough to watch and cheap enough to share a server.
    max_per_sec = 60.0

    def make_trainer(self, spec) -> Trainer:
        return Trainer(spec)

    spec_change = staticmethod(spec_change)

    def new_trainer(self, spec) -> None:
        super().new_trainer(spec)
        self.want_state = False  # the next message carries the weights
        self.stats: list[dict] = []  # long form: one row per (record, layer)
        self.sent_stats = 0
        self.stats_at = (-1, 0.0)  # (step, time) of the last stats record
        self.hist_at = (-1, 0.0)

    def live_update(self, spec) -> None:
        """A new learning rate, or new added points: the trainer trains on the
        new set with the weights and optimizer state it has, and the next
        message carries the set."""
        points = getattr(self.trainer.spec, "points", ())
        super().live_update(spec)
        if getattr(spec, "points", ()) != points:
            self.trainer.set_data(make_dataset(spec))
            self.told = False

    def command(self, command: str, arg) -> None:
        trainer = self.trainer
        if command == "step":
            self.running = False
            trainer.train_epoch()
        elif command == "views":
            self.views = set(arg) & VIEWS
        elif command == "edit":
            trainer.edit(*arg)
            self.stats_at = self.hist_at = (-1, 0.0)  # the edit shows in the next records
        elif command == "state":
            self.want_state = True
        elif command == "load":
            self.running = False
            trainer.load_state(arg)

    def train_some(self) -> None:
        self.trainer.train_epoch()

    def extras(self, first: bool) -> dict:
        """The boundary, the data on a run's first message, and each optional probe
        only if its view is on and (while training) its interval has passed."""
        trainer, now = self.trainer, time.monotonic()

        def due(at: tuple[int, float], every: float) -> bool:  # at: (step, time) of the last
            return trainer.step != at[0] and (not self.running or now - at[1] >= every)

        network = neuron_maps(trainer) if "network" in self.views else None
        hist = None
        when = {"epoch": trainer.epoch, "step": trainer.step}
        if "stats" in self.views and due(self.stats_at, STATS_EVERY):
            self.stats.extend({**when, **row} for row in layer_stats(trainer))
            self.stats_at = (trainer.step, now)
        if "stats" in self.views and due(self.hist_at, HIST_EVERY):
            hist = {**when, **histograms(trainer)}
            self.hist_at = (trainer.step, now)
        new_stats, self.sent_stats = self.stats[self.sent_stats :], len(self.stats)
        return {"grid": self.grid(), "data": trainer.data if first else None,
                "network": network, "stats": new_stats, "hist": hist, "state": self.take_state()}

    def grid(self) -> Grid | None:
        return boundary_grid(self.trainer)

    def take_state(self) -> dict | None:
        """The model's weights as CPU tensors, once per "state" command."""
        if not self.want_state:
            return None
        self.want_state = False
        return {k: v.detach().cpu().clone() for k, v in self.trainer.model.state_dict().items()}


@dataclass(frozen=True)
class TableJob:
    """A spec plus the prepared data it trains on. Equal jobs train the same
    run: the arrays are compared through `digest` (the file and how it was
    prepared), not element by element."""

    spec: TableExperiment
    data: Dataset = field(compare=False, repr=False)
    digest: str = ""
    feature_names: tuple[str, ...] = ()  # encoded input columns, (F,)
    class_names: tuple[str, ...] = ()  # class index -> label; () for regression
    y_mean: float = 0.0  # regression: the trainer's targets are (y - y_mean) / y_std
    y_std: float = 1.0

    @property
    def n_inputs(self) -> int:
        return len(self.feature_names)


def job_change(old: TableJob, new: TableJob) -> str:
    """'none', 'lr' (applied live) or 'rebuild'."""
    if old.digest != new.digest or old.feature_names != new.feature_names:
        return "rebuild"
    return spec_change(old.spec, new.spec)  # a table has no view fields


class TableRunner(Runner):
    """Its spec is a TableJob; the trainer trains on the job's data."""

    def make_trainer(self, job: TableJob) -> Trainer:
        return Trainer(job.spec, data=job.data)

    spec_change = staticmethod(job_change)

    def live_update(self, job: TableJob) -> None:
        super().live_update(job.spec)

    def grid(self):
        return boundary_grid(self.trainer) if self.spec.n_inputs == 2 else None

    def extras(self, first: bool) -> dict:
        return {**super().extras(first), "pred": predictions(self.trainer)}


@torch.inference_mode()
def predictions(trainer: Trainer) -> dict[str, np.ndarray]:
    """{"train": (N_train,), "test": (N_test,)}: class indices, or the
    predicted value for regression."""
    trainer.model.eval()

    def predict(x: torch.Tensor) -> np.ndarray:
        z = trainer.model(x)  # (N, n_out)
        out = trainer.head.classes(z) if trainer.classification else z[:, 0].float()
        return out.cpu().numpy()

    return {"train": predict(trainer.x_train), "test": predict(trainer.x_test)}

