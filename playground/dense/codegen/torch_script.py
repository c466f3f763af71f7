"""The PyTorch script's model, loss and training, filled into torch_script.tmpl."""

from __future__ import annotations

from playground.dense.codegen.settings import optimizer_args, regularized

KIND = "torch"
NAME = "PyTorch"
NEEDS = ""  # nothing beyond what the data part needs
IMPORTS = ["import numpy as np", "import torch", "import torch.nn.functional as F",
           "from torch import nn"]

# Activation name -> PyTorch module, as catalog.ACTIVATIONS builds them.
TORCH_ACTIVATIONS = {
    "relu": "nn.ReLU()",
    "tanh": "nn.Tanh()",
    "sigmoid": "nn.Sigmoid()",
    "linear": "nn.Identity()",
    "leaky_relu": "nn.LeakyReLU(0.01)",
    "elu": "nn.ELU()",
    "gelu": "nn.GELU()",
    "silu": "nn.SiLU()",
    "softplus": "nn.Softplus()",
}


def std_imports(spec) -> list[str]:
    # PyTorch's default initialisation, written out, needs math.sqrt.
    return ["import argparse", *(["import math"] if spec.init == "default" else [])]


def values(spec, shared: dict[str, str]) -> dict[str, str]:
    """`shared`: the values of the settings and the data part."""
    layers, width = [], shared["inputs"]
    for layer in spec.hidden:
        layers += [f"nn.Linear({width}, {layer.width}),",
                   f"{TORCH_ACTIVATIONS[layer.activation]},"]
        width = str(layer.width)
    return {
        "hidden_layers": "\n".join(layers),
        "last_width": width,
        "optimizer_args": optimizer_args(spec, "lr"),
        "plus_penalty": " + penalty()" if regularized(spec) else "",
    }

