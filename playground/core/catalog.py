"""Stable names -> implementations. One table feeds the select boxes, the URL
values and validation, so a name that works in one place works in all.

Names are short ASCII slugs (they appear in links); the words a user reads
come from the translation tables under assets/i18n, keyed by these names.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from playground.core.losses import HEADS
from playground.data import toy2d
from playground.data.features import FEATURES


@dataclass(frozen=True)
class DatasetInfo:
    problem: str  # "binary", "multiclass" or "regression"
    make: Callable  # (n, noise, rng, n_classes) -> (X, y)


DATASETS: dict[str, DatasetInfo] = {
    "circle": DatasetInfo("binary", toy2d.circle),
    "xor": DatasetInfo("binary", toy2d.xor),
    "gauss": DatasetInfo("binary", toy2d.gauss),
    "spiral": DatasetInfo("binary", toy2d.spiral),
    "moons": DatasetInfo("binary", toy2d.moons),
    "blobs": DatasetInfo("multiclass", toy2d.blobs),
    "plane": DatasetInfo("regression", toy2d.plane),
    "bump": DatasetInfo("regression", toy2d.bump),
}

FEATURE_NAMES: tuple[str, ...] = tuple(FEATURES)

ACTIVATIONS: dict[str, Callable[[], nn.Module]] = {
    "relu": nn.ReLU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
    "linear": nn.Identity,
    "leaky_relu": lambda: nn.LeakyReLU(0.01),
    "elu": nn.ELU,
    "gelu": nn.GELU,
    "silu": nn.SiLU,
    "softplus": nn.Softplus,
}

LOSSES = HEADS

# First loss offered for each kind of problem.
DEFAULT_LOSS = {"binary": "bce", "multiclass": "ce", "regression": "mse"}

INITS: tuple[str, ...] = ("default", "xavier", "he", "zeros")

REGULARIZERS: tuple[str, ...] = ("none", "l1", "l2")


def make_optimizer(
    name: str, params, lr: float, momentum: float = 0.0, nesterov: bool = False,
    weight_decay: float = 0.0,
) -> torch.optim.Optimizer:
    """torch.optim with foreach kernels: one fused call per step over all
    parameters instead of a Python loop (tiny networks are overhead-bound).
    weight_decay is torch.optim's L2 term (decoupled for AdamW)."""
    common = {"lr": lr, "foreach": True, "weight_decay": weight_decay}
    if name == "sgd":
        # Nesterov needs momentum > 0; the spec guarantees it, this keeps code safe.
        return torch.optim.SGD(params, momentum=momentum, nesterov=nesterov and momentum > 0,
                               **common)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, momentum=momentum, **common)
    by_name = {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW, "adagrad": torch.optim.Adagrad}
    return by_name[name](params, **common)


OPTIMIZERS: tuple[str, ...] = ("sgd", "adam", "adamw", "rmsprop", "adagrad")
