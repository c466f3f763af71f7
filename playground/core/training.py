"""What every trainer shares: spec, device, seeded generators, counters,
history, a new learning rate, stopping once a loss is no longer a number, and
a warning when the loss looks stuck high or swinging (core/loss_watch.py).
A trainer knows nothing of pages or charts: callers step it and read `history`.
"""

from __future__ import annotations

import math
from dataclasses import replace

import torch

from playground.core.device import pick_device
from playground.core.history import COLUMNS, History
from playground.core.loss_watch import LossWarning, LossWatch


class BaseTrainer:
    optimizer: torch.optim.Optimizer  # built by the subclass

    def __init__(self, spec, device: torch.device | None, columns=COLUMNS) -> None:
        self.spec = spec
        self.device = device or pick_device()
        # Initialisation and shuffling have generators of their own, so the
        # order of batches doesn't depend on how many numbers init drew.
        self.init_gen = torch.Generator().manual_seed(spec.seed)
        self.shuffle_gen = torch.Generator().manual_seed(spec.seed + 1)
        self.epoch = 0
        self.step = 0
        self.history = History(columns)
        self.diverged: str | None = None  # "nan" or "inf": why training stopped itself
        self.finished: str | None = None  # a stop rule that ended training ("early_stop")
        self.watch = LossWatch()  # is the learning rate too big?

    @property
    def done(self) -> bool:
        """Training stopped itself: it diverged or a stop rule ended it."""
        return self.diverged is not None or self.finished is not None

    @property
    def warning(self) -> LossWarning | None:
        """Why the learning rate looks too big, while it does; training goes on."""
        return self.watch.warning(self.spec.lr, self.spec.optimizer)

    def set_lr(self, lr: float) -> None:
        """Takes effect on the next step; optimizer state (momentum, Adam moments) is kept.
        The loss is watched afresh: the old rate's warning no longer applies."""
        if lr != self.spec.lr:  # judged afresh, on the run's scale
            self.watch = LossWatch(self.watch.start)
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        self.spec = replace(self.spec, lr=lr)

    def append_row(self, **metrics: float | None) -> None:
        """A history row at the current epoch and step; a loss that is no
        longer finite marks the run as diverged. The training loss goes to the watch."""
        self.history.append(epoch=self.epoch, step=self.step, **metrics)
        losses = [v for k, v in metrics.items() if k.endswith("_loss")]
        if not all(map(math.isfinite, losses)):
            self.diverged = "nan" if any(map(math.isnan, losses)) else "inf"
        elif metrics.get("train_loss") is not None:
            self.watch.add(metrics["train_loss"])
