"""The image page's training process: an ImageTrainer driven by commands.

Runs in a child process like the 2D runner (see runner.py for why a
process), through the same `serve_runner` loop. Besides history rows, its
messages carry an evaluation report (test confusion matrix, mistakes, the
first layer's weights) and feature maps, computed at a throttled rate, and
the class probabilities of an image the user drew or uploaded.
"""

from __future__ import annotations

import os
import time

import numpy as np
import torch

from playground.core.device import describe
from playground.core.metrics import confusion_matrix
from playground.dense.runner import SLICE, changed_fields, idle_or_wake, serve_runner
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
        if x.dim() == 4:
            seen = tuple(x.shape[1:])
        x = m(x)
        if x.dim() == 4:
            seen = tuple(x.shape[1:])
    return "none", np.zeros((0, 1, 1), np.float32)


class ImageRunner:
    def __init__(self, spec: ImageExperiment) -> None:
        self.run_id = 0
        self.running = False
        self.stepping = False  # Step: run to the end of the current epoch, then pause
        self.idle = False
        self.error = ""
        self.views: set[str] = set()  # kept for serve_runner's error path
        self.focus = 0  # test example whose feature maps are shown
        self.classify_request: tuple[int, np.ndarray] | None = None
        self._new_trainer(spec)

    def _new_trainer(self, spec: ImageExperiment) -> None:
        self.trainer = ImageTrainer(spec)
        self.run_id += 1
        self.sent_rows = 0
        self.sent_info = False
        self.rate = 0.0
        self.error = ""
        self.running = self.stepping = False
        self.report_at = (-1, 0.0)  # (step, time) of the last report
        self.report_cost = 0.0
        self.fmaps_for = (-1, -1)  # (step, focus) of the last feature maps

    # ---- commands --------------------------------------------------------
    def apply(self, command: str, arg=None) -> None:
        trainer = self.trainer
        if command == "play":
            self.running = not trainer.done and not self.error
            self.stepping = False
        elif command == "pause":
            self.running = self.stepping = False
        elif command == "step":
            self.running = self.stepping = not trainer.done and not self.error
        elif command == "reset":
            self._new_trainer(arg or trainer.spec)
        elif command == "update":
            change = spec_change(trainer.spec, arg)
            if change == "rebuild":
                self._new_trainer(arg)
            elif change == "live":
                self._apply_live(arg)
        elif command == "focus":
            self.focus = int(arg)
        elif command == "classify":
            self.classify_request = arg  # (request id, image (C, H, W) in [0, 1])
        else:
            idle_or_wake(self, command)

    def _apply_live(self, spec: ImageExperiment) -> None:
        trainer = self.trainer
        trainer.set_lr(spec.lr)
        trainer.spec = spec
        # A stop rule that no longer holds lets training go on.
        if trainer.finished == "max_epochs" and trainer.epoch < spec.max_epochs:
            trainer.finished = None
        if trainer.finished == "early_stop" and not spec.early_stopping:
            trainer.finished = None

    def train_slice(self) -> None:
        trainer = self.trainer
        start, epoch0, steps0 = time.perf_counter(), trainer.epoch, trainer.step
        while time.perf_counter() - start < SLICE and not trainer.done:
            trainer.train_step()
            if self.stepping and trainer.epoch > epoch0:
                self.running = self.stepping = False
                break
        elapsed = time.perf_counter() - start
        rate = (trainer.step - steps0) * trainer.spec.batch_size / max(elapsed, 1e-9)
        self.rate = rate if self.rate == 0 else 0.7 * self.rate + 0.3 * rate
        if trainer.done:
            self.running = self.stepping = False

    def status(self) -> tuple[str, str]:
        if self.error:
            return "error", self.error
        if self.trainer.diverged:
            return "diverged", self.trainer.diverged
        if self.trainer.finished:
            return "finished", self.trainer.finished
        return ("running" if self.running else "paused"), ""

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
        s = self.trainer.splits
        x = ((np.asarray(image, np.float32) - s.mean) / s.std)[None]  # (1, C, H, W)
        return request_id, self.trainer.probabilities(x)[0]

    def message(self) -> dict:
        trainer = self.trainer
        cols = trainer.history.cols
        n = len(trainer.history)
        rows = {c: v[self.sent_rows : n] for c, v in cols.items()}
        self.sent_rows = n
        status, detail = self.status()
        # After an error, only the status: a probe that failed would fail again.
        report = None if self.error else self._report()
        info = None
        if not self.sent_info:
            s = trainer.splits
            info = {"classes": trainer.classes, "shape": trainer.shape,
                    "sizes": (len(s.y_train), len(s.y_val), len(s.y_test))}
            self.sent_info = True
        return {
            "run": self.run_id, "spec": trainer.spec, "status": status, "detail": detail,
            "epoch": trainer.epoch, "step": trainer.step, "progress": trainer.epoch_progress,
            "rows": rows, "rate": self.rate if status == "running" else 0.0,
            "device": describe(trainer.device), "info": info, "report": report,
            "fmaps": None if self.error else self._fmaps(), "classified": self._classified(),
        }


def serve_images(conn, spec: ImageExperiment) -> None:
    # One core for training, the rest (if any) for the page and the browser.
    torch.set_num_threads(max(1, min(4, (os.cpu_count() or 2) - 1)))
    serve_runner(conn, ImageRunner(spec), publish_every=PUBLISH_EVERY)
