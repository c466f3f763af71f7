"""Training a layer stack on images: batches, epochs, validation, early stopping.

It trains one batch at a time, so a caller can answer commands in the middle
of a long MNIST epoch. Per-batch loss and accuracy are summed on the device
and read once per epoch: no host sync per step.
"""

from __future__ import annotations

import time

import numpy as np
import torch
import torch.nn.functional as F

from playground.core import catalog
from playground.core.training import BaseTrainer
from playground.data.images import ImageSplits, load_images, split_images
from playground.images.augment import augment
from playground.images.model import build_image_model, conv_layers

HISTORY_COLUMNS = ("epoch", "step", "train_loss", "train_acc", "val_loss", "val_acc")
EVAL_BATCH = 1024  # images per forward pass when evaluating


def load_splits(spec) -> ImageSplits:
    """The spec's data: its set (from the cache for MNIST), subset and split."""
    return split_images(load_images(spec.dataset), spec.subset, spec.val_ratio,
                        spec.test_ratio, spec.normalize, spec.seed)


class ImageTrainer(BaseTrainer):
    def __init__(self, spec, splits: ImageSplits | None = None,
                 device: torch.device | None = None) -> None:
        super().__init__(spec, device, HISTORY_COLUMNS)
        self.splits = splits if splits is not None else load_splits(spec)
        s = self.splits
        self.classes = s.classes
        self.shape = tuple(s.x_train.shape[1:])  # (C, H, W)
        # Each part's images (N, C, H, W) and labels (N,), on the device.
        self.x_train, self.y_train, self.x_val, self.y_val, self.x_test, self.y_test = (
            torch.from_numpy(np.ascontiguousarray(a)).to(self.device)
            for a in (s.x_train, s.y_train, s.x_val, s.y_val, s.x_test, s.y_test))
        # Background after normalisation: what shifted-in border pixels become.
        self.background = (0.0 - s.mean) / s.std

        self.model = build_image_model(spec, self.shape, len(self.classes), self.init_gen)
        self.model.to(self.device)
        self.optimizer = catalog.make_optimizer(
            spec.optimizer, self.model.parameters(), spec.lr, weight_decay=spec.weight_decay)
        self.augment_gen = torch.Generator().manual_seed(spec.seed + 2)  # as shuffle_gen
        self.amp = spec.mixed_precision and self.device.type == "cuda"
        self.finished: str | None = None  # "early_stop" or "max_epochs"
        self.best: tuple[float, int, dict] | None = None  # (val loss, epoch, weights)
        self._start_epoch()
        self._record(*self.evaluate(self.x_train, self.y_train))

    # ---- commands --------------------------------------------------------
    @property
    def done(self) -> bool:
        return self.diverged is not None or self.finished is not None

    @property
    def epoch_progress(self) -> float:
        """Share of the current epoch's batches already trained, 0..1."""
        return self._next / self.x_train.shape[0]

    # ---- training --------------------------------------------------------
    def _start_epoch(self) -> None:
        n = self.x_train.shape[0]
        # Each batch gathers its rows through the epoch's permutation (N,):
        # no shuffled copy of the whole training set (188 MB for MNIST) per epoch.
        self._perm = torch.randperm(n, generator=self.shuffle_gen).to(self.device)
        self._next = 0
        self._loss_sum = torch.zeros((), device=self.device)
        self._correct = torch.zeros((), device=self.device, dtype=torch.long)

    def train_step(self) -> bool:
        """One mini-batch; True when it finished an epoch."""
        bs, i = self.spec.batch_size, self._next
        rows = self._perm[i : i + bs]
        x, y = self.x_train[rows], self.y_train[rows]  # (B, C, H, W), (B,)
        if self.spec.augment:
            x = augment(x, self.augment_gen, self.background)
        self.model.train()
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=self.amp):
            z = self.model(x)  # (B, K) logits
            loss = F.cross_entropy(z.float(), y)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        self._loss_sum += loss.detach() * x.shape[0]
        self._correct += (z.detach().argmax(1) == y).sum()
        self._next += x.shape[0]
        self.step += 1
        if self._next < self.x_train.shape[0]:
            return False
        self._end_epoch()
        return True

    def train_epoch(self) -> None:
        """Finish the current epoch (all of it when none is under way)."""
        while not self.done and not self.train_step():
            pass

    def train_batches(self, seconds: float) -> int:
        """Train for about `seconds`, stopping early at a stop condition.
        Returns the number of steps taken."""
        start, steps0 = time.perf_counter(), self.step
        while not self.done and time.perf_counter() - start < seconds:
            self.train_step()
        return self.step - steps0

    def _end_epoch(self) -> None:
        n = self.x_train.shape[0]
        # One host sync for the epoch's running totals.
        loss, correct = torch.stack([self._loss_sum, self._correct.float()]).tolist()
        self.epoch += 1
        self._record(loss / n, correct / n)
        self._start_epoch()

    def _record(self, train_loss: float, train_acc: float) -> None:
        val_loss, val_acc = self.evaluate(self.x_val, self.y_val)
        self.append_row(train_loss=train_loss, train_acc=train_acc, val_loss=val_loss,
                        val_acc=val_acc)
        if self.diverged is None:
            self._check_stop(val_loss)

    def _check_stop(self, val_loss: float) -> None:
        spec = self.spec
        if self.best is None or val_loss < self.best[0]:
            state = {k: v.detach().clone() for k, v in self.model.state_dict().items()}
            self.best = (val_loss, self.epoch, state)
        elif spec.early_stopping and self.epoch - self.best[1] >= spec.patience:
            # As Keras's EarlyStopping(restore_best_weights=True).
            self.model.load_state_dict(self.best[2])
            self.finished = "early_stop"
            return
        if self.epoch >= spec.max_epochs:
            self.finished = "max_epochs"

    # ---- reading the model -----------------------------------------------
    @torch.inference_mode()
    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """(N, C, H, W) -> (N, K) in batches, in eval mode (dropout off)."""
        self.model.eval()
        out = [self.model(x[i : i + EVAL_BATCH].to(self.device)).float()
               for i in range(0, x.shape[0], EVAL_BATCH)]
        return torch.cat(out) if out else torch.zeros(0, len(self.classes))

    def evaluate(self, x: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
        """Mean cross-entropy and accuracy over a whole set."""
        z = self.logits(x)
        loss = F.cross_entropy(z, y)
        acc = (z.argmax(1) == y).float().mean()
        return tuple(torch.stack([loss, acc]).tolist())

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        """Normalised images (N, C, H, W) -> class probabilities (N, K)."""
        z = self.logits(torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32)))
        return torch.softmax(z, 1).cpu().numpy()

    @torch.inference_mode()
    def feature_maps(self, x: torch.Tensor) -> list[tuple[int, np.ndarray]]:
        """One image (C, H, W) -> [(module index, maps (C', H', W'))] after each
        convolution's activation."""
        self.model.eval()
        wanted = set(conv_layers(self.model))
        out, h = [], x.unsqueeze(0).to(self.device)  # (1, C, H, W)
        for i, module in enumerate(self.model):
            h = module(h)
            if i in wanted:
                out.append((i, h[0].float().cpu().numpy()))
        return out
