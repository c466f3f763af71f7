"""The image page's training process: an ImageTrainer driven by commands.

Besides history rows, its messages carry a test-set report (confusion matrix,
mistakes, the first layer's weights) and feature maps, both throttled, and the
class probabilities of an image the user drew or uploaded.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

import numpy as np
import torch

from playground.core.metrics import confusion_matrix
from playground.core.runner import BaseRunner, Message, changed_fields
from playground.data.images import normalize_like
from playground.images.spec import ImageExperiment
from playground.images.trainer import ImageTrainer

LIVE_FIELDS = {"lr", "max_epochs", "early_stopping", "patience"}  # applied without a rebuild
REPORT_EVERY = 1.0  # seconds between reports while training
REPORT_SHARE = 0.1  # at most this share of the time goes to reports
PUBLISH_EVERY = 0.25  # seconds between history messages while training
MAX_MISTAKES = 16
MAX_FILTERS = 32
MAX_MAPS = 16  # channels shown per conv layer


def spec_change(old: ImageExperiment, new: ImageExperiment) -> str:
    """'none', 'live' (learning rate, stopping rules) or 'rebuild'."""
    changed = changed_fields(old, new) - {"preset"}  # the preset is a label only
    if not changed:
        return "none"
    return "live" if changed <= LIVE_FIELDS else "rebuild"


@torch.no_grad()
def first_layer(model: torch.nn.Sequential,
                shape: tuple[int, int, int]) -> tuple[str, np.ndarray]:
    """What the first layer looks for, as images: ("conv", (F, k, k)) filters,
    or ("dense", (U, H, W)) the weights of each unit over the image it sees
    (the pixels, or a pooled image when a pool comes first)."""
    device = next(model.parameters()).device
    x = torch.zeros(1, *shape, device=device)  # (1, C, H, W), walked to the first weights
    seen = shape  # the last image shape (C, H, W) before the data went flat
    model.eval()
    for m in model:
        if isinstance(m, torch.nn.Conv2d):
            return "conv", m.weight.detach()[:MAX_FILTERS, 0].float().cpu().numpy()
        if isinstance(m, torch.nn.Linear):
            weights = m.weight.detach()[:MAX_FILTERS].float().cpu()  # (U, C*H*W)
            c, h, w = seen
            if m.in_features != c * h * w:
                break
            return "dense", weights.reshape(-1, c, h, w)[:, 0].numpy()
        x = m(x)
        if x.dim() == 4:
            seen = tuple(x.shape[1:])
    return "none", np.zeros((0, 1, 1), np.float32)


def load_state(trainer: ImageTrainer, state: dict) -> None:
    """Replace every weight with a checked state dict (same keys and shapes); the
    optimizer's moments belonged to the old weights and start over. A history row
    shows where the loaded weights stand."""
    own = trainer.model.state_dict()
    with torch.no_grad():
        for name, value in state.items():
            own[name].copy_(value.to(own[name].dtype))
    trainer.optimizer.state.clear()
    trainer.diverged = None
    train_loss, train_acc = trainer.evaluate(trainer.x_train, trainer.y_train)
    val_loss, val_acc = trainer.evaluate(trainer.x_val, trainer.y_val)
    trainer.append_row(train_loss=train_loss, train_acc=train_acc, val_loss=val_loss,
                       val_acc=val_acc)


@dataclass(kw_only=True)
class ImageMessage(Message):
    progress: float  # share of the current epoch done
    info: dict | None  # classes, shape (C, H, W), sizes (train, val, test); first message only
    report: dict | None  # a new test-set report
    fmaps: dict | None  # new feature maps of the focused test example
    classified: tuple[int, np.ndarray] | None  # (request id, probabilities)
    state: dict | None = None  # the weights (name -> CPU tensor), once per "state" command


class ImageRunner(BaseRunner):
    """Trains batch by batch; "step" runs to the end of the current epoch.
    A rebuild pauses: an image run is too slow to start unasked."""

    publish_every = PUBLISH_EVERY
    # One core for training, the rest (if any) for the page and the browser.
    threads = max(1, min(4, (os.cpu_count() or 2) - 1))
    message_class = ImageMessage

    def __init__(self, spec: ImageExperiment) -> None:
        self.focus = 0  # test example whose feature maps are shown
        self.classify_request: tuple[int, np.ndarray] | None = None
        super().__init__(spec)

    def make_trainer(self, spec: ImageExperiment) -> ImageTrainer:
        return ImageTrainer(spec)

    spec_change = staticmethod(spec_change)

    def new_trainer(self, spec: ImageExperiment) -> None:
        super().new_trainer(spec)
        self.running = self.stepping = False  # stepping: pause at the end of this epoch
        self.report_at = (-1, 0.0)  # (step, time) of the last report
        self.report_cost = 0.0
        self.fmaps_for = (-1, -1)  # (step, focus) of the last feature maps
        self.want_state = False  # the next message carries the weights (for the exports)

    def stopped(self) -> bool:
        return self.trainer.done

    # ---- commands --------------------------------------------------------
    def apply(self, command: str, arg=None) -> None:
        if command in ("play", "pause"):
            self.stepping = False
        super().apply(command, arg)

    def command(self, command: str, arg) -> None:
        if command == "step":
            self.running = self.stepping = not self.trainer.done and not self.error
        elif command == "focus":
            self.focus = int(arg)
        elif command == "classify":
            self.classify_request = arg  # (request id, image (C, H, W) in [0, 1])
        elif command == "state":
            self.want_state = True
        elif command == "load":
            self.running = self.stepping = False
            load_state(self.trainer, arg)
            self.report_at, self.fmaps_for = (-1, 0.0), (-1, -1)  # report the new weights

    def live_update(self, spec: ImageExperiment) -> None:
        super().live_update(spec)
        trainer = self.trainer
        # A stop rule that no longer holds lets training go on.
        if trainer.finished == "max_epochs" and trainer.epoch < spec.max_epochs:
            trainer.finished = None
        if trainer.finished == "early_stop" and not spec.early_stopping:
            trainer.finished = None

    def train_some(self) -> None:
        trainer, epoch = self.trainer, self.trainer.epoch
        trainer.train_step()
        if trainer.done or (self.stepping and trainer.epoch > epoch):
            self.running = self.stepping = False

    def samples_per_step(self) -> int:
        return self.trainer.spec.batch_size

    def status(self) -> tuple[str, str]:
        status = super().status()
        if status[0] == "paused" and self.trainer.finished:
            return "finished", self.trainer.finished
        return status

    # ---- messages --------------------------------------------------------
    def _report(self) -> dict | None:
        """Test-set evaluation, when due: after new training, throttled while running."""
        trainer, now = self.trainer, time.monotonic()
        if trainer.step == self.report_at[0]:
            return None
        wait = max(REPORT_EVERY, self.report_cost / REPORT_SHARE)
        if self.running and now - self.report_at[1] < wait:
            return None
        start = time.perf_counter()
        s = trainer.splits
        probs = torch.softmax(trainer.logits(trainer.x_test), 1).cpu().numpy()  # (N, K)
        pred = probs.argmax(1)
        y = s.y_test
        wrong = np.flatnonzero(pred != y)
        # The most confident mistakes first: the ones worth a look.
        wrong = wrong[np.argsort(-probs[wrong, pred[wrong]], kind="stable")][:MAX_MISTAKES]
        kind, weights = first_layer(trainer.model, trainer.shape)
        report = {
            "epoch": trainer.epoch, "step": trainer.step,
            "cm": confusion_matrix(y, pred, len(trainer.classes)),
            "test_acc": float((pred == y).mean()) if len(y) else 0.0,
            "mistakes": {
                "index": wrong, "images": self._raw(s.x_test[wrong]),
                "true": y[wrong], "pred": pred[wrong], "probs": probs[wrong],
            },
            "first_layer": (kind, weights),
        }
        self.report_at = (trainer.step, now)
        self.report_cost = time.perf_counter() - start
        return report

    def _raw(self, x: np.ndarray) -> np.ndarray:
        """Normalised (N, C, H, W) -> first channel in the data's own 0..1 scale."""
        s = self.trainer.splits
        return (x[:, 0] * s.std + s.mean).astype(np.float32)

    def _fmaps(self) -> dict | None:
        trainer = self.trainer
        n_test = len(trainer.splits.y_test)
        if n_test == 0:
            return None
        focus = min(max(self.focus, 0), n_test - 1)
        due = (trainer.step, focus) != self.fmaps_for and (
            not self.running or trainer.step == self.report_at[0])
        if not due:
            return None
        self.fmaps_for = (trainer.step, focus)
        maps = [(i, m[:MAX_MAPS]) for i, m in trainer.feature_maps(trainer.x_test[focus])]
        return {"index": focus, "image": self._raw(trainer.splits.x_test[focus : focus + 1])[0],
                "label": int(trainer.splits.y_test[focus]), "maps": maps}

    def _classified(self) -> tuple[int, np.ndarray] | None:
        if self.classify_request is None:
            return None
        request_id, image = self.classify_request
        self.classify_request = None
        x = normalize_like(np.asarray(image, np.float32), self.trainer.splits)[None]
        return request_id, self.trainer.probabilities(x)[0]  # x: (1, C, H, W)

    def extras(self, first: bool) -> dict:
        trainer = self.trainer
        info = None
        if first:
            s = trainer.splits
            info = {"classes": trainer.classes, "shape": trainer.shape,
                    "sizes": (len(s.y_train), len(s.y_val), len(s.y_test))}
        # After an error, only the status: a probe that failed would fail again.
        return {"progress": trainer.epoch_progress, "info": info,
                "report": None if self.error else self._report(),
                "fmaps": None if self.error else self._fmaps(), "classified": self._classified(),
                "state": self.take_state()}

    def take_state(self) -> dict | None:
        """The model's weights as CPU tensors, once per "state" command."""
        if not self.want_state:
            return None
        self.want_state = False
        return {k: v.detach().cpu().clone() for k, v in self.trainer.model.state_dict().items()}
