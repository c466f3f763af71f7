"""Hand-derived forward and backward pass for dense networks.

A 2 -> 8 -> 8 -> 1 network spends almost all of a step in per-call overhead
(autograd's graph, a tensor per gradient, an optimizer loop over six tensors).
Here every parameter is a view into one flat buffer, gradients are written
straight into a matching one with `out=` kernels, and the optimizer updates a
single tensor: the same mathematics as autograd, three to four times faster.
"""

from __future__ import annotations

import torch
from torch import nn

from playground.core.losses import HUBER_DELTA
from playground.dense.stacked import Stack

aten = torch.ops.aten

# activation name -> its function, as the model's modules compute it.
ACT_FORWARD = {
    "linear": lambda z: z,
    "relu": torch.relu,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "leaky_relu": lambda z: torch.nn.functional.leaky_relu(z, 0.01),
    "elu": torch.nn.functional.elu,
    "gelu": torch.nn.functional.gelu,
    "silu": torch.nn.functional.silu,
    "softplus": torch.nn.functional.softplus,
}

# activation -> d(loss)/d(z) from d(loss)/d(a), pre-activation z and output a.
ACT_BACKWARD = {
    "linear": lambda da, z, a: da,
    "relu": lambda da, z, a: aten.threshold_backward(da, a, 0),
    "tanh": lambda da, z, a: aten.tanh_backward(da, a),
    "sigmoid": lambda da, z, a: aten.sigmoid_backward(da, a),
    "leaky_relu": lambda da, z, a: aten.leaky_relu_backward(da, z, 0.01, False),
    "elu": lambda da, z, a: aten.elu_backward(da, 1.0, 1, 1, False, z),
    "gelu": lambda da, z, a: aten.gelu_backward(da, z),
    "silu": lambda da, z, a: aten.silu_backward(da, z),
    "softplus": lambda da, z, a: aten.softplus_backward(da, z, 1, 20),
}


def loss_grad(head: str, z: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """d(mean loss)/dz for a batch: z (B, n_out), t as Head.targets gives it."""
    b = z.shape[0]
    if head == "bce":
        return torch.sigmoid(z).sub_(t).div_(b)
    if head == "ce":
        g = torch.softmax(z, dim=1)
        g[torch.arange(b, device=z.device), t] -= 1
        return g.div_(b)
    if head == "tanh_mse":
        a = torch.tanh(z)
        return aten.tanh_backward((a - t).mul_(2 / b), a)
    if head == "huber":
        return (z - t).clamp_(-HUBER_DELTA, HUBER_DELTA).div_(b)
    return (z - t).mul_(2 / b)  # mse


class FlatParams:
    """Rebinds a module's parameters as views of one flat tensor. The model
    works as before (probes, edits, state_dict); an optimizer given
    `[flat.param]` updates every layer in one call."""

    def __init__(self, model: nn.Module) -> None:
        params = list(model.parameters())
        total = sum(p.numel() for p in params)
        ref = params[0]
        self.param = nn.Parameter(torch.empty(total, dtype=ref.dtype, device=ref.device))
        self.param.grad = torch.zeros_like(self.param)
        self.grads: list[torch.Tensor] = []
        offset = 0
        with torch.no_grad():
            for p in params:
                n = p.numel()
                view = self.param[offset : offset + n]
                view.copy_(p.detach().reshape(-1))
                p.data = view.view_as(p)
                self.grads.append(self.param.grad[offset : offset + n].view_as(p))
                offset += n


class FastMLP:
    """One training step of an nn.Sequential of Linear + activation pairs."""

    def __init__(self, model: nn.Sequential, spec, flat: FlatParams) -> None:
        self.linears = [m for m in model if isinstance(m, nn.Linear)]
        self.acts = [layer.activation for layer in spec.hidden]
        self.weights = [lin.weight for lin in self.linears]  # (out, in) each
        self.biases = [lin.bias for lin in self.linears]  # (out,) each
        self.head = spec.loss
        self.reg = spec.regularization if spec.reg_rate > 0 else "none"
        self.reg_rate = spec.reg_rate
        self.shapes = [p.shape for p in model.parameters()]  # nn.Linear: weight, then bias
        self.bind(flat.param, flat.param.grad)

    def bind(self, param: torch.Tensor, grad: torch.Tensor) -> None:
        """Compute on these flat (P,) parameters and gradients: the run as a
        batch of one (stacked.py), so it computes what it computes in a batch
        of K (batched.py, which moves a run's storage and binds it again)."""
        self.stack = Stack(param.detach().view(1, -1), grad.view(1, -1), self.shapes, self.acts,
                           [ACT_FORWARD[a] for a in self.acts],
                           [ACT_BACKWARD[a] for a in self.acts], self.head)
        rate = self.reg_rate
        self.stack.penalties([rate if self.reg == "l1" else 0.0],
                             [rate if self.reg == "l2" else 0.0])
        self.gw = [g[0] for g in self.stack.gws]  # (out, in) views of the flat gradient
        self.gb = [g[0] for g in self.stack.gbs]

    @staticmethod
    def supports(spec) -> bool:
        """Every activation has a hand-derived backward; dropout (a random
        mask per step) is left to autograd."""
        return (getattr(spec, "dropout", 0.0) == 0
                and all(layer.activation in ACT_BACKWARD for layer in spec.hidden))

    def gradients(self, x: torch.Tensor, t: torch.Tensor) -> None:
        """Fills the flat gradient buffer for batch x (B, F), targets t. (No
        autograd to switch off: the stack's views are detached.)"""
        self.stack.gradients(x.unsqueeze(0), t.unsqueeze(0))

    @torch.no_grad()
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Raw outputs (N, n_out), with the kernels training uses (the model's
        own forward may round its last bit differently)."""
        return self.stack.forward(x.unsqueeze(0))[0]
