"""The training loop of a dense network: epochs of mini-batch steps, with
early stopping on the test loss when the spec asks for it.

Tiny networks are bound by per-call overhead, not arithmetic, so the loop
avoids per-step host syncs (no .item() until the epoch ends), slices
contiguous pre-shuffled batches instead of gathering them, and uses foreach
optimizer kernels.
"""

from __future__ import annotations

import math

import torch

from playground.core import catalog
from playground.core.loss_watch import LossWatch
from playground.core.training import BaseTrainer
from playground.data.dataset import Dataset, make_dataset
from playground.data.features import feature_matrix
from playground.dense.fastpath import FastMLP, FlatParams
from playground.dense.model import build_model, linear_layers


class Trainer(BaseTrainer):
    def __init__(self, spec, device: torch.device | None = None, fast: bool = True,
                 data: Dataset | None = None) -> None:
        """`data` replaces the spec's generated 2D set (a user's table, whose
        rows are already network inputs: `data.inputs_ready`)."""
        super().__init__(spec, device)
        self.head = catalog.LOSSES[spec.loss]
        self.classification = spec.problem != "regression"
        self.set_data(data if data is not None else make_dataset(spec))

        n_in, n_out = self.x_train.shape[1], self.head.n_out(spec.classes)
        self.model = build_model(spec, n_in, n_out, self.init_gen).to(self.device)
        # The fast path (hand-derived gradients into one flat buffer) is the
        # same mathematics as autograd; autograd stays for anything it can't do.
        self.fast: FastMLP | None = None
        params = list(self.model.parameters())
        if fast and FastMLP.supports(spec):
            flat = FlatParams(self.model)
            self.fast = FastMLP(self.model, spec, flat)
            params = [flat.param]
        self.optimizer = catalog.make_optimizer(spec.optimizer, params, spec.lr, spec.momentum,
                                                spec.nesterov)
        self.weights = [lin.weight for lin in linear_layers(self.model)]
        self.best: tuple[float, int, dict] | None = None  # (test loss, epoch, weights)
        self.record()

    def set_data(self, data: Dataset) -> None:
        """Train and test on `data` from now on: (N, F) features and targets,
        on the device once. The weights stay (points added to a running set)."""
        self.data = data
        self.x_train = self.inputs(torch.from_numpy(data.x_train))
        self.x_test = self.inputs(torch.from_numpy(data.x_test))
        self.y_train = torch.from_numpy(data.y_train).to(self.device)
        self.y_test = torch.from_numpy(data.y_test).to(self.device)
        self.t_train, self.t_test = self.head.targets(self.y_train), self.head.targets(self.y_test)

    def inputs(self, points: torch.Tensor) -> torch.Tensor:
        """Points -> (N, F) network inputs on the device: (N, 2) plane points go
        through the spec's features; a table's rows (and the plane of a table
        with two input columns) are inputs already."""
        if self.data.inputs_ready:
            return points.float().to(self.device)
        return feature_matrix(points, self.spec.features).to(self.device)

    # ---- commands --------------------------------------------------------
    @torch.no_grad()
    def edit(self, kind: str, layer: int, row: int, col: int, value: float) -> bool:
        """Set one weight (kind "w": W[row, col] of dense layer `layer`) or bias
        (kind "b": b[row]). Applies in place, also while paused. False if the
        address doesn't exist or the value isn't finite."""
        linears = linear_layers(self.model)
        if not (0 <= layer < len(linears)) or not math.isfinite(value):
            return False
        lin = linears[layer]
        if kind == "w" and 0 <= row < lin.out_features and 0 <= col < lin.in_features:
            lin.weight[row, col] = value
            return True
        if kind == "b" and 0 <= row < lin.out_features:
            lin.bias[row] = value
            return True
        return False

    @torch.no_grad()
    def load_state(self, state: dict[str, torch.Tensor]) -> None:
        """Replace every weight with a checked state dict (same keys and
        shapes). Copies in place, so the fast path's flat views stay bound;
        the optimizer's moments belonged to the old weights and start over."""
        own = self.model.state_dict()
        for name, value in state.items():
            own[name].copy_(value.to(own[name].dtype))
        self.optimizer.state.clear()
        self.diverged = self.finished = self.best = None
        self.watch = LossWatch(self.watch.start)  # new weights, judged on the run's scale
        self.record()

    def parameters_by_layer(self) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """(W (out, in), b (out,)) of each dense layer."""
        return [(lin.weight, lin.bias) for lin in linear_layers(self.model)]

    def gradients_by_layer(self) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """Gradients of the latest step, shaped like parameters_by_layer();
        zeros before the first step."""
        if self.fast:
            return list(zip(self.fast.gw, self.fast.gb))
        return [tuple(p.grad if p.grad is not None else torch.zeros_like(p) for p in pair)
                for pair in self.parameters_by_layer()]

    # ---- training --------------------------------------------------------
    def penalty(self) -> torch.Tensor | None:
        spec = self.spec
        if spec.regularization == "none" or spec.reg_rate == 0:
            return None
        if spec.regularization == "l1":
            return spec.reg_rate * sum(w.abs().sum() for w in self.weights)
        return spec.reg_rate * sum((w * w).sum() for w in self.weights)

    def train_epoch(self) -> None:
        """One pass over the training set in shuffled mini-batches, then record."""
        if self.done:
            return
        n = self.x_train.shape[0]
        bs = self.spec.batch_size
        perm = torch.randperm(n, generator=self.shuffle_gen).to(self.device)
        xs, ts = self.x_train[perm], self.t_train[perm]  # contiguous, pre-shuffled
        model, head, opt = self.model, self.head, self.optimizer
        model.train()
        for i in range(0, n, bs):
            if self.fast:
                self.fast.gradients(xs[i : i + bs], ts[i : i + bs])
            else:
                loss = head.loss(model(xs[i : i + bs]), ts[i : i + bs])
                pen = self.penalty()
                if pen is not None:
                    loss = loss + pen
                opt.zero_grad(set_to_none=True)
                loss.backward()
            opt.step()
        self.step += (n + bs - 1) // bs
        self.epoch += 1
        self.record()

    @torch.inference_mode()
    def evaluate(self) -> dict[str, float | None]:
        """Loss (data term only, comparable across sets) and accuracy, train and test."""
        self.model.eval()
        parts = []
        for x, t, y in ((self.x_train, self.t_train, self.y_train),
                        (self.x_test, self.t_test, self.y_test)):
            # The fast path's kernels, as in a batch of runs (stacked.py): the
            # same curve alone and beside others, to the bit.
            z = self.fast.forward(x) if self.fast else self.model(x)
            parts.append(self.head.loss(z, t))
            if self.classification:
                parts.append((self.head.classes(z) == y).float().mean())
        # One host sync for all four numbers.
        values = torch.stack(parts).tolist()
        if self.classification:
            tr_loss, tr_acc, te_loss, te_acc = values
        else:
            (tr_loss, te_loss), tr_acc, te_acc = values, None, None
        return {"train_loss": tr_loss, "test_loss": te_loss,
                "train_acc": tr_acc, "test_acc": te_acc}

    def record(self) -> None:
        row = self.evaluate()
        self.append_row(**row)
        if self.spec.early_stopping and not self.diverged:
            self.check_stop(row["test_loss"])

    def check_stop(self, test_loss: float) -> None:
        """Keep the weights of the lowest test loss; once it is `patience`
        epochs old, go back to them and stop (as Keras's EarlyStopping with
        restore_best_weights, and the images page)."""
        if self.best is None or test_loss < self.best[0]:
            state = {k: v.detach().clone() for k, v in self.model.state_dict().items()}
            self.best = (test_loss, self.epoch, state)
        elif self.epoch - self.best[1] >= self.spec.patience:
            with torch.no_grad():  # in place: the fast path's flat views stay bound
                for name, value in self.model.state_dict().items():
                    value.copy_(self.best[2][name])
            self.finished = "early_stop"
