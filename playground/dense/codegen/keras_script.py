"""The Keras code's model and training, filled into keras_script.tmpl."""

from __future__ import annotations

import textwrap

from playground.core.losses import HUBER_DELTA
from playground.dense.codegen.settings import optimizer_args, regularized

KIND = "keras"
NAME = "Keras"
NEEDS = "keras 3 (here on the PyTorch backend), "
IMPORTS = ["import numpy as np"]  # keras itself after the backend is chosen

# Activation name -> Keras activation name. Leaky ReLU is the exception:
# Keras's "leaky_relu" has slope 0.2, PyTorch's 0.01, so it gets its own layer.
KERAS_ACTIVATIONS = {
    "relu": "relu",
    "tanh": "tanh",
    "sigmoid": "sigmoid",
    "linear": "linear",
    "leaky_relu": "linear",
    "elu": "elu",
    "gelu": "gelu",  # Keras 3's gelu is exact (approximate=False), as nn.GELU
    "silu": "silu",
    "softplus": "softplus",
}

KERAS_INITS = {"xavier": "glorot_uniform", "he": "he_uniform", "zeros": "zeros"}
INIT_WORDS = {"xavier": "Glorot (Xavier) uniform", "he": "He uniform", "zeros": "all-zero"}

# Optimizer settings where Keras's defaults differ from PyTorch's (the template says why).
PYTORCH_DEFAULTS = {"rmsprop": ("rho=0.99",), "adagrad": ("initial_accumulator_value=0.0",)}

KERAS_LOSSES = {
    "bce": '"binary_crossentropy"',
    "tanh_mse": '"mse"',
    "ce": '"sparse_categorical_crossentropy"',
    "mse": '"mse"',
    "huber": f"keras.losses.Huber(delta={HUBER_DELTA})",
}


def std_imports(spec) -> list[str]:
    return ["import argparse", "import os"]  # os: to choose the backend


def values(spec, shared: dict[str, str]) -> dict[str, str]:
    """`shared`: the values of the settings and the data part."""
    options, words = [], []
    if spec.init in KERAS_INITS:
        options.append(f'kernel_initializer="{KERAS_INITS[spec.init]}"')
        words.append(f"{INIT_WORDS[spec.init]} initial weights")
    if regularized(spec):
        options.append("kernel_regularizer=keras.regularizers.{reg_upper}({reg_rate})"
                       .format_map(shared))
        words.append("{reg_upper} regularisation ({reg_rate} × the sum of the {reg_words} of "
                     "the weights)".format_map(shared))
    more = ", **dense" if options else ""
    layers = []
    for layer in spec.hidden:
        if layer.activation == "leaky_relu":
            layers += [f"layers.Dense({layer.width}{more}),",
                       "layers.LeakyReLU(negative_slope=0.01),  # PyTorch's slope"]
        else:
            activation = KERAS_ACTIVATIONS[layer.activation]
            layers.append(f'layers.Dense({layer.width}, activation="{activation}"{more}),')
    return {
        "dense": dense_options(options, words),
        "hidden_layers": "\n".join(layers),
        "dense_args": more,
        "optimizer_args": optimizer_args(spec, "learning_rate",
                                         PYTORCH_DEFAULTS.get(spec.optimizer, ())),
        "keras_loss": KERAS_LOSSES[spec.loss],
        "metrics": '["accuracy"]' if spec.loss in ("bce", "ce") else "[]",
    }


def dense_options(options: list[str], words: list[str]) -> str:
    """`dense = dict(...)`, the options every Dense layer shares, under a comment
    that says what they do; one option a line when one line is too long."""
    if not options:
        return ""
    text = "Every Dense layer: " + " and ".join(words) + "."
    comment = textwrap.wrap(text, 86, initial_indent="# ", subsequent_indent="# ")
    line = f"dense = dict({', '.join(options)})"
    if len(line) > 92:
        line = "\n".join(["dense = dict(", *(f"    {option}," for option in options), ")"])
    return "\n".join([*comment, line])
