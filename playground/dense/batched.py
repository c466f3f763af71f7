"""K dense runs of one architecture trained in one vectorised step.

Each run keeps its own Trainer (history, counters, model, optimizer); this
module only moves storage: run k's weights, gradients and optimizer state
become row k of (K, P) buffers (as FlatParams makes them one flat vector for
one run), so one torch.baddbmm per layer forwards all K networks and one
elementwise kernel updates all K weight vectors. The mathematics is
FastMLP's, layer by layer, with a leading K dimension, and torch.optim's
(batched_optim.py); each run draws its own shuffle from its own generator, so
it sees the batches it sees alone. Its curves are the ones it draws alone to
rounding, not bit for bit: a batched matrix product may sum in another order
than one run's (the BLAS picks its kernel by shape), a last bit that a run
near instability can grow.
"""

from __future__ import annotations

import dataclasses

import torch

from playground.dense.batched_optim import ROW_STATE, BatchedOptimizer, shared_settings, supported
from playground.dense.fastpath import ACT_BACKWARD, ACT_FORWARD, FastMLP, loss_grad
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


def batched_loss_grad(head: str, z: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """fastpath.loss_grad for K batches at once: z (K, B, n_out)."""
    if head != "ce":
        # Elementwise heads: the same kernels on a (B, K, n_out) view, whose
        # leading size is the batch size loss_grad divides by.
        return loss_grad(head, z.transpose(0, 1), t.transpose(0, 1)).transpose(0, 1)
    g = torch.softmax(z, dim=2)
    idx = t.unsqueeze(2)  # (K, B, 1) class of each row
    g.scatter_(2, idx, g.gather(2, idx) - 1)
    return g.div_(z.shape[1])


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
                views = self._views(self.param[i], shapes)
                for p, view in zip(tr.model.parameters(), views):
                    p.data = view
                grads = self._views(self.grad[i], shapes)
                tr.fast.gw, tr.fast.gb = grads[0::2], grads[1::2]
        stacked = self._views(self.param, shapes, k)
        self.ws, self.bs = stacked[0::2], stacked[1::2]  # (K, out, in), (K, out)
        self.wts = [w.transpose(1, 2) for w in self.ws]  # (K, in, out)
        self.bias_rows = [b.unsqueeze(1) for b in self.bs]  # (K, 1, out)
        stacked = self._views(self.grad, shapes, k)
        self.gws, self.gbs = stacked[0::2], stacked[1::2]
        self.acts, self.head, self.bsz = ref.fast.acts, ref.fast.head, ref.spec.batch_size
        # 1 on weights, 0 on biases: the penalties apply to weights only.
        self.weight_mask = torch.cat([torch.full((s.numel(),), float(len(s) == 2))
                                      for s in shapes]).to(self.param)
        self.optimizer = BatchedOptimizer(ref.spec.optimizer, [tr.optimizer for tr in trainers],
                                          flats, self.param, self.grad)
        self.data_of: list = []

    @staticmethod
    def _views(flat: torch.Tensor, shapes: list, k: int | None = None) -> list[torch.Tensor]:
        """Views of consecutive slices of the last dim, shaped like `shapes`
        (with a leading K when `k` is given)."""
        views, offset = [], 0
        for shape in shapes:
            size = shape.numel()
            part = flat[..., offset : offset + size]
            views.append(part.view(*(() if k is None else (k,)), *shape))
            offset += size
        return views

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
        col = {"dtype": self.param.dtype, "device": self.param.device}
        self.l1 = self.l2 = None
        if any(f.reg == "l2" for f in fasts):  # FastMLP adds 2 * rate * W
            rates = torch.tensor([2 * f.reg_rate if f.reg == "l2" else 0.0 for f in fasts], **col)
            self.l2 = rates.unsqueeze(1) * self.weight_mask  # (K, P)
        if any(f.reg == "l1" for f in fasts):  # and rate * sign(W)
            rates = torch.tensor([f.reg_rate if f.reg == "l1" else 0.0 for f in fasts], **col)
            self.l1 = rates.unsqueeze(1) * self.weight_mask
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
            self.gradients(xs[:, i : i + self.bsz], ts[:, i : i + self.bsz])
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
            z = self.forward(self.data[f"x_{split}"])  # (K, N, n_out)
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

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Raw outputs (K, N, n_out) of every run's network for inputs x (K, N, F)."""
        last = len(self.ws) - 1
        for i, (wt, b) in enumerate(zip(self.wts, self.bias_rows)):
            x = torch.baddbmm(b, x, wt)
            if i < last:
                x = ACT_FORWARD[self.acts[i]](x)
        return x

    def gradients(self, x: torch.Tensor, t: torch.Tensor) -> None:
        """FastMLP.gradients of K runs: fills the (K, P) gradient buffer for
        batches x (K, B, F) and targets t."""
        ws, last = self.ws, len(self.ws) - 1
        inputs, zs = [], []  # per layer: input (K, B, in), pre-activation (K, B, out)
        a = x
        for i, (wt, b) in enumerate(zip(self.wts, self.bias_rows)):
            inputs.append(a)
            z = torch.baddbmm(b, a, wt)  # (K, B, out)
            if i < last:
                zs.append(z)
                a = ACT_FORWARD[self.acts[i]](z)
        dz = batched_loss_grad(self.head, z, t)  # (K, B, n_out)
        for i in range(last, -1, -1):
            torch.bmm(dz.transpose(1, 2), inputs[i], out=self.gws[i])  # (K, out, in)
            torch.sum(dz, 1, out=self.gbs[i])  # (K, out)
            if i > 0:
                da = torch.bmm(dz, ws[i])  # (K, B, in)
                dz = ACT_BACKWARD[self.acts[i - 1]](da, zs[i - 1], inputs[i])
        if self.l2 is not None:
            self.grad.addcmul_(self.param, self.l2)
        if self.l1 is not None:
            self.grad.addcmul_(self.param.sign(), self.l1)
