"""K dense runs of one architecture trained in one vectorised step.

Each run keeps its own Trainer (history, counters, model, optimizer); this
module only moves storage: run k's weights, gradients and optimizer state
become row k of (K, P) buffers (as FlatParams makes them one flat vector for
one run), so one kernel per layer and step computes all K networks and one
elementwise kernel updates all K weight vectors. The computation is the fast
path's own (stacked.Stack, which a run alone uses with K = 1) and torch.optim's
(batched_optim.py); each run draws its own shuffle from its own generator, so
it sees the batches it sees alone, and its curves and weights are the ones it
gets alone, bit for bit (on the CPU: stacked.py says which kernels that
rules out).
"""

from __future__ import annotations

import dataclasses

import torch

from playground.dense.batched_optim import ROW_STATE, BatchedOptimizer, shared_settings, supported
from playground.dense.fastpath import ACT_BACKWARD, ACT_FORWARD, FastMLP
from playground.dense.stacked import Stack
from playground.dense.trainer import Trainer

# Fields the batched step reproduces at any value: they shape the data, the
# network or the training arithmetic this module implements, or only the view.
HANDLED = frozenset({
    "dataset", "n_classes", "noise", "n_samples", "train_ratio", "seed", "features", "points",
    "hidden", "loss", "init", "optimizer", "lr", "momentum", "nesterov", "batch_size",
    "regularization", "reg_rate", "show_test", "discretize",
})

# A run's data tensors, stacked over the batch.
DATA = ("x_train", "t_train", "y_train", "x_test", "t_test", "y_test")


def batchable(spec) -> bool:
    """True when a run of `spec` can train in a batch. Only what this module
    implements: dense layers with fast-path activations, no dropout, no early
    stopping, the optimizers of batched_optim; every other field (one added
    later, say) must be at its default, where it changes nothing."""
    if getattr(spec, "dropout", 0) or getattr(spec, "early_stopping", False):
        return False
    if spec.optimizer not in ROW_STATE:
        return False
    if not FastMLP.supports(spec):
        return False
    return all(getattr(spec, f.name) == f.default
               for f in dataclasses.fields(spec) if f.name not in HANDLED)


def flat_param(trainer: Trainer) -> torch.nn.Parameter | None:
    """The one flat parameter the fast path's optimizer steps, or None."""
    groups = trainer.optimizer.param_groups
    if trainer.fast is None or len(groups) != 1 or len(groups[0]["params"]) != 1:
        return None
    return groups[0]["params"][0]


def batch_key(trainer: Trainer) -> tuple | None:
    """Runs with equal keys can train in one batch (None: this one can't):
    the same layer shapes and activations, loss, batch size, data sizes,
    dtype, device and optimizer kind. Learning rate, momentum, the
    regulariser and its rate, seed and data values may differ."""
    spec, flat = trainer.spec, flat_param(trainer)
    if flat is None or not batchable(spec):
        return None
    group = trainer.optimizer.param_groups[0]
    if not supported(spec.optimizer, group):
        return None
    return (
        tuple(tuple(p.shape) for p in trainer.model.parameters()),
        tuple(trainer.fast.acts), trainer.fast.head, spec.batch_size,
        tuple(trainer.x_train.shape), tuple(trainer.x_test.shape),
        tuple(trainer.t_train.shape), trainer.t_train.dtype, trainer.classification,
        flat.dtype, str(flat.device),
        # Momentum on or off takes another path through torch's update.
        spec.optimizer, group.get("momentum", 0) > 0, shared_settings(group),
    )


class BatchedRuns:
    """Trainers whose batch_key is equal, trained together. Building one
    rebinds every run's weights, gradients and optimizer state to rows of
    shared buffers; the trainers keep working alone as well (their
    own train_epoch, probes, exports). Callers leave out runs that are done
    (diverged): every run given trains."""

    def __init__(self, trainers: list[Trainer]) -> None:
        keys = {batch_key(tr) for tr in trainers}
        if None in keys or len(keys) != 1:
            raise ValueError("these runs can't train in one batch")
        self.trainers = trainers
        ref = trainers[0]
        flats = [flat_param(tr) for tr in trainers]
        k, n = len(trainers), flats[0].numel()
        self.param = torch.empty(k, n, dtype=flats[0].dtype, device=flats[0].device)  # (K, P)
        self.grad = torch.zeros_like(self.param)
        shapes = [p.shape for p in ref.model.parameters()]  # W0, b0, W1, b1, ...
        with torch.no_grad():
            for i, (tr, flat) in enumerate(zip(trainers, flats)):
                self.param[i] = flat
                if flat.grad is not None:
                    self.grad[i] = flat.grad
                flat.data, flat.grad = self.param[i], self.grad[i]
                ws, bs = Stack.split(self.param[i : i + 1], shapes)
                params = list(tr.model.parameters())  # W0, b0, W1, b1, ...
                for p, view in zip(params[0::2] + params[1::2], ws + bs):
                    p.data = view[0]
                tr.fast.bind(self.param[i], self.grad[i])
        acts = ref.fast.acts
        self.stack = Stack(self.param, self.grad, shapes, acts, [ACT_FORWARD[a] for a in acts],
                           [ACT_BACKWARD[a] for a in acts], ref.fast.head)
        self.bsz = ref.spec.batch_size
        self.optimizer = BatchedOptimizer(ref.spec.optimizer, [tr.optimizer for tr in trainers],
                                          flats, self.param, self.grad)
        self.data_of: list = []

    # ---- per epoch -------------------------------------------------------
    def refresh(self) -> None:
        """Read what may have changed between epochs: the data (points added),
        the regulariser, learning rates and a cleared optimizer state."""
        data = [tuple(getattr(tr, name) for name in DATA) for tr in self.trainers]
        if len(data) != len(self.data_of) or any(
                a is not b for pair, old in zip(data, self.data_of) for a, b in zip(pair, old)):
            # name -> (K, N, ...): x (K, N, F), t (K, N, 1) or (K, N), y (K, N)
            self.data = {name: torch.stack(parts) for name, parts in zip(DATA, zip(*data))}
            self.data_of = data
        fasts = [tr.fast for tr in self.trainers]
        self.stack.penalties([f.reg_rate if f.reg == "l1" else 0.0 for f in fasts],
                             [f.reg_rate if f.reg == "l2" else 0.0 for f in fasts])
        self.optimizer.refresh()

    @torch.no_grad()
    def train_epoch(self) -> None:
        """One epoch of every run, then each run records as it does alone."""
        self.refresh()
        x, t = self.data["x_train"], self.data["t_train"]
        n = x.shape[1]
        n_steps = (n + self.bsz - 1) // self.bsz
        self.optimizer.plan(n_steps)
        device = x.device
        perms = torch.stack([torch.randperm(n, generator=tr.shuffle_gen)
                             for tr in self.trainers]).to(device)  # (K, N)
        rows = torch.arange(len(self.trainers), device=device).unsqueeze(1)
        xs, ts = x[rows, perms], t[rows, perms]  # contiguous, pre-shuffled
        for s, i in enumerate(range(0, n, self.bsz)):
            self.stack.gradients(xs[:, i : i + self.bsz], ts[:, i : i + self.bsz])
            self.optimizer.step(s)
        for tr, row in zip(self.trainers, self.evaluate()):
            tr.step += n_steps
            tr.epoch += 1
            # What Trainer.record() does for a run without early stopping
            # (batchable refuses that), with the K evaluations in one pass.
            tr.append_row(**row)

    @torch.inference_mode()
    def evaluate(self) -> list[dict[str, float | None]]:
        """Trainer.evaluate() of every run: loss (data term only) and
        accuracy, train and test, in a few batched kernels and one host sync
        (K evaluations apart cost as much as the epoch's training)."""
        head, classification = self.trainers[0].head, self.trainers[0].classification
        parts = []  # each (K,)
        for split in ("train", "test"):
            z = self.stack.forward(self.data[f"x_{split}"])  # (K, N, n_out)
            t = self.data[f"t_{split}"]
            parts.append(torch.stack([head.loss(z[r], t[r]) for r in range(len(z))]))
            if classification:  # classes() reads each row alone: all K runs' rows at once
                hits = head.classes(z.flatten(0, 1)).view(z.shape[:2]) == self.data[f"y_{split}"]
                parts.append(hits.float().mean(1))
        rows = []
        for values in torch.stack(parts, 1).tolist():
            if classification:
                tr_loss, tr_acc, te_loss, te_acc = values
            else:
                (tr_loss, te_loss), tr_acc, te_acc = values, None, None
            rows.append({"train_loss": tr_loss, "test_loss": te_loss,
                         "train_acc": tr_acc, "test_acc": te_acc})
        return rows
