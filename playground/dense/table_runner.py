"""Training on a user's table, in the worker's child process.

The 2D playground's Runner does the work; what differs is the data (the
table's prepared rows travel with the spec as a `TableJob`) and what each
message carries: the boundary only when the table has exactly two input
columns, and always the current predictions, from which the page draws the
projection and the evaluation.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from playground.data.dataset import Dataset
from playground.dense.probe import boundary_grid
from playground.dense.runner import Runner, changed_fields, serve_runner
from playground.dense.table_spec import TableExperiment
from playground.dense.trainer import Trainer

LIVE_FIELDS = {"lr"}  # changed without a rebuild


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
    changed = changed_fields(old.spec, new.spec)
    if not changed:
        return "none"
    return "lr" if changed <= LIVE_FIELDS else "rebuild"


class TableRunner(Runner):
    def __init__(self, job: TableJob) -> None:
        self.job = job
        super().__init__(job)

    def _make_trainer(self, job: TableJob) -> Trainer:
        return Trainer(job.spec, data=job.data)

    def apply(self, command: str, arg=None) -> None:
        if command == "update":
            change = job_change(self.job, arg)
            self.job = arg
            if change == "rebuild":
                self._new_trainer(arg)
            elif change == "lr":
                self.trainer.set_lr(arg.spec.lr)
        elif command == "reset":
            self.job = arg or self.job
            self._new_trainer(self.job)
        else:
            super().apply(command, arg)
        if self.trainer.diverged:
            self.running = False

    def grid(self):
        return boundary_grid(self.trainer) if self.job.n_inputs == 2 else None

    def message(self) -> dict:
        return {**super().message(), "pred": predictions(self.trainer)}


@torch.inference_mode()
def predictions(trainer: Trainer) -> dict[str, np.ndarray]:
    """{"train": (N_train,), "test": (N_test,)}: class indices, or the
    predicted value for regression."""
    trainer.model.eval()
    out = {}
    for part, x in (("train", trainer.x_train), ("test", trainer.x_test)):
        z = trainer.model(x)  # (N, n_out)
        if trainer.classification:
            out[part] = trainer.head.classes(z).cpu().numpy()
        else:
            out[part] = z[:, 0].float().cpu().numpy()
    return out


def serve_table(conn, job: TableJob) -> None:
    """The table page's child process."""
    torch.set_num_threads(1)  # small dense networks: threads only add overhead
    serve_runner(conn, TableRunner(job))
