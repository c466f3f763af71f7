"""Experiment -> torch.nn.Module, plus a per-layer summary.

The network is a plain nn.Sequential of Linear layers and activations; the
output layer is linear and its squashing (sigmoid, softmax, tanh) belongs to
the loss head (core/losses.py). Initialisation draws from a seeded
generator, so the same seed gives the same weights in any thread.
"""

from __future__ import annotations

import math

import pandas as pd
import torch
from torch import nn

from playground.core import catalog


def build_model(spec, n_in: int, n_out: int, generator: torch.Generator) -> nn.Sequential:
    layers: list[nn.Module] = []
    widths = [n_in, *(layer.width for layer in spec.hidden)]
    for width_in, layer in zip(widths, spec.hidden):
        layers += [nn.Linear(width_in, layer.width), activation(layer.activation, spec)]
    model = nn.Sequential(*layers, nn.Linear(widths[-1], n_out))
    init_weights(model, spec.init, generator)
    return model


def activation(name: str, spec) -> nn.Module:
    """A hidden layer's activation, followed by dropout when the spec has a
    rate. The two share one slot of the Sequential, so the Linear layers keep
    their indices (and a weights file its keys) with or without dropout, and
    each slot's output is still the layer's output (probe.forward_all)."""
    act = catalog.ACTIVATIONS[name]()
    rate = getattr(spec, "dropout", 0.0)
    return nn.Sequential(act, nn.Dropout(rate)) if rate > 0 else act


def linear_layers(model: nn.Module) -> list[nn.Linear]:
    return [m for m in model.modules() if isinstance(m, nn.Linear)]


@torch.no_grad()
def init_weights(model: nn.Module, scheme: str, generator: torch.Generator) -> None:
    for lin in linear_layers(model):
        w, b = lin.weight, lin.bias  # (out, in), (out,)
        if scheme == "zeros":
            w.zero_()
        elif scheme == "xavier":
            nn.init.xavier_uniform_(w, generator=generator)
        elif scheme == "he":
            nn.init.kaiming_uniform_(w, nonlinearity="relu", generator=generator)
        else:  # PyTorch's own nn.Linear default, drawn from our generator
            nn.init.kaiming_uniform_(w, a=math.sqrt(5), generator=generator)
        if scheme == "default":
            bound = 1 / math.sqrt(w.shape[1])  # 1 / sqrt(fan_in)
            nn.init.uniform_(b, -bound, bound, generator=generator)
        else:
            b.zero_()


def summary(model: nn.Module, n_in: int) -> pd.DataFrame:
    """One row per layer: name, output shape, parameter count (as Keras's summary)."""
    rows = [{"layer": "input", "output": f"(N, {n_in})", "params": 0}]
    width = n_in
    for i, module in enumerate(model):
        name = " + ".join(type(m).__name__.lower() for m in _parts(module))
        if isinstance(module, nn.Linear):
            width, name = module.out_features, "dense"
        rows.append({"layer": f"{i}: {name}", "output": f"(N, {width})",
                     "params": count_params(module)})
    return pd.DataFrame(rows)


def _parts(module: nn.Module) -> list[nn.Module]:
    """An activation + dropout slot's two modules; any other module alone."""
    return list(module) if isinstance(module, nn.Sequential) else [module]


def count_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def layer_widths(spec, n_in: int | None = None) -> list[int]:
    """Neurons per layer, inputs first and outputs last: [F, h1, ..., out].
    F is the spec's feature count unless given (a table's encoded inputs)."""
    n_out = catalog.LOSSES[spec.loss].n_out(spec.classes)
    n_in = len(spec.features) if n_in is None else n_in
    return [n_in, *(layer.width for layer in spec.hidden), n_out]


def dense_param_count(widths: list[int]) -> int:
    """Weights plus biases of a dense stack, without building it."""
    return sum(a * b + b for a, b in zip(widths, widths[1:]))
