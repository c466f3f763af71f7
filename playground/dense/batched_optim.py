"""torch.optim's foreach updates for K runs at once, on (K, P) tensors.

Each run keeps a torch.optim optimizer over its one flat parameter; here its
state tensors (moments, step count) become row k of (K, P) buffers and the
update is torch's own sequence of kernels, op for op, with per-run values
(learning rate, momentum, bias corrections) as (K, 1) columns where torch
passes Python scalars. `addcmul_(t, col)` rounds as `add_(t, alpha=s)` does
and `(t * col) / d` as `addcdiv_(t, d, value=s)`, so a run steps exactly as
its own optimizer would; the state views stay in the run's optimizer, so it
can also step alone at any time.
"""

from __future__ import annotations

import torch

# optimizer name -> state keys holding one tensor shaped like the parameter.
ROW_STATE = {
    "sgd": ("momentum_buffer",),
    "adam": ("exp_avg", "exp_avg_sq"),
    "adamw": ("exp_avg", "exp_avg_sq"),
    "rmsprop": ("square_avg", "momentum_buffer"),
    "adagrad": ("sum",),
}
# Settings the vectorised updates implement, at the values they support;
# anything else keeps the run on its own optimizer.
FIXED = {"weight_decay": 0, "maximize": False, "amsgrad": False, "centered": False,
         "dampening": 0, "lr_decay": 0, "initial_accumulator_value": 0,
         "differentiable": False, "capturable": False}


def supported(name: str, group: dict) -> bool:
    return name in ROW_STATE and all(group.get(k, v) == v for k, v in FIXED.items())


def shared_settings(group: dict) -> tuple:
    """The optimizer settings that must be equal across a batch (all but the
    per-run learning rate and momentum), hashable."""
    return tuple(sorted((k, v) for k, v in group.items()
                        if k not in ("params", "lr", "momentum", "initial_lr")))


class BatchedOptimizer:
    """One update of K runs' (K, P) parameters from their (K, P) gradients.
    `optimizers[k]` and `params[k]` are run k's torch optimizer and flat
    parameter, whose storage is already row k of `param`."""

    def __init__(self, name: str, optimizers: list, params: list, param: torch.Tensor,
                 grad: torch.Tensor) -> None:
        self.name, self.optimizers, self.params = name, optimizers, params
        self.param, self.grad = param, grad
        k = param.shape[0]
        group = optimizers[0].param_groups[0]
        self.momentum_on = group.get("momentum", 0) > 0
        self.nesterov = group.get("nesterov", False)
        self.keys = [key for key in ROW_STATE[name]
                     if key != "momentum_buffer" or self.momentum_on]
        self.counted = name != "sgd"  # torch keeps a step count for all but SGD
        self.rows = {key: torch.zeros_like(param) for key in self.keys}
        # Step counts as torch keeps them for these optimizers: float, on the CPU.
        self.steps = torch.zeros(k, dtype=torch.float32)
        self.views: list[dict[str, torch.Tensor]] = []
        for i, (opt, p) in enumerate(zip(optimizers, params)):
            own = opt.state.get(p, {})
            if "step" in own:
                self.steps[i] = own["step"]
            for key in self.keys:
                if own.get(key) is not None:
                    self.rows[key][i] = own[key]
            self.views.append({key: self.rows[key][i] for key in self.keys})
            if self.counted:
                self.views[i]["step"] = self.steps[i]
            opt.state[p] = dict(self.views[i])

    def refresh(self) -> None:
        """Before an epoch: a run whose optimizer state was cleared (new
        weights loaded) starts its moments over, as it would alone; settings
        are read again (a new learning rate)."""
        for i, (opt, p) in enumerate(zip(self.optimizers, self.params)):
            own = opt.state.get(p)
            if own is None or any(own.get(key) is not view for key, view in self.views[i].items()):
                for row in self.rows.values():
                    row[i].zero_()
                self.steps[i] = 0
                opt.state[p] = dict(self.views[i])
        groups = [opt.param_groups[0] for opt in self.optimizers]
        self.group = groups[0]
        self.lrs = [g["lr"] for g in groups]
        self.counts = self.steps.tolist()
        col = {"dtype": self.param.dtype, "device": self.param.device}
        self.neg_lr = torch.tensor([-lr for lr in self.lrs], **col).unsqueeze(1)  # (K, 1)
        if self.momentum_on:
            self.momentum = torch.tensor([g["momentum"] for g in groups], **col).unsqueeze(1)
        self.col = col

    def plan(self, n_steps: int) -> None:
        """Per-step, per-run scalars of the coming epoch, computed in Python
        doubles exactly as torch computes them: (S, K, 1) tensors."""
        if self.name in ("adam", "adamw"):
            beta1, beta2 = self.group["betas"]
            size, bc2 = [], []
            for s in range(1, n_steps + 1):
                ts = [c + s for c in self.counts]
                size.append([(lr / (1 - beta1 ** t)) * -1 for lr, t in zip(self.lrs, ts)])
                bc2.append([(1 - beta2 ** t) ** 0.5 for t in ts])
            self.step_size = torch.tensor(size, **self.col).unsqueeze(2)
            self.bc2_sqrt = torch.tensor(bc2, **self.col).unsqueeze(2)
        elif self.name == "adagrad":
            decay = self.group["lr_decay"]
            self.minus_clr = torch.tensor(
                [[-lr / (1 + (c + s - 1) * decay) for lr, c in zip(self.lrs, self.counts)]
                 for s in range(1, n_steps + 1)], **self.col).unsqueeze(2)

    @torch.no_grad()
    def step(self, s: int) -> None:
        """Step `s` (0-based) of the planned epoch, for all K runs."""
        p, g, rows = self.param, self.grad, self.rows
        if self.counted:
            self.steps.add_(1)
        if self.name == "sgd":
            if self.momentum_on:
                buf = rows["momentum_buffer"]
                buf.mul_(self.momentum).add_(g)  # dampening 0: alpha 1
                if self.nesterov:
                    g.addcmul_(buf, self.momentum)  # torch adds into the gradient too
                else:
                    g = buf
            p.addcmul_(g, self.neg_lr)
        elif self.name in ("adam", "adamw"):
            beta1, beta2 = self.group["betas"]
            rows["exp_avg"].lerp_(g, 1 - beta1)
            rows["exp_avg_sq"].mul_(beta2).addcmul_(g, g, value=1 - beta2)
            denom = rows["exp_avg_sq"].sqrt().div_(self.bc2_sqrt[s]).add_(self.group["eps"])
            p.add_(rows["exp_avg"].mul(self.step_size[s]).div_(denom))
        elif self.name == "rmsprop":
            alpha = self.group["alpha"]
            sq = rows["square_avg"]
            sq.mul_(alpha).addcmul_(g, g, value=1 - alpha)
            avg = sq.sqrt().add_(self.group["eps"])
            if self.momentum_on:
                buf = rows["momentum_buffer"]
                buf.mul_(self.momentum).add_(g / avg)
                p.addcmul_(buf, self.neg_lr)
            else:
                p.add_(g.mul(self.neg_lr).div_(avg))
        else:  # adagrad
            rows["sum"].addcmul_(g, g, value=1)
            std = rows["sum"].sqrt().add_(self.group["eps"])
            p.add_(g.mul(self.minus_clr[s]).div_(std))
