"""The spec's network and training settings as the scripts write them: the words
of the docstring, the names that pick template blocks, and each framework's
layers, loss and optimizer."""

from __future__ import annotations

import textwrap
from dataclasses import fields

from playground.core import catalog
from playground.core.losses import HUBER_DELTA

# Activation name -> the PyTorch module catalog.ACTIVATIONS builds, written out.
TORCH_ACTIVATIONS = {name: f"nn.{make.__name__}()" for name, make in catalog.ACTIVATIONS.items()}
TORCH_ACTIVATIONS["leaky_relu"] = "nn.LeakyReLU(0.01)"  # catalog's is a lambda, for the slope

# Keras names these activations as we do (its gelu is exact, as nn.GELU). Leaky
# ReLU is the exception: Keras's "leaky_relu" has slope 0.2, PyTorch's 0.01, so
# it gets its own layer.
KERAS_ACTIVATIONS = {"relu", "tanh", "sigmoid", "linear", "leaky_relu", "elu", "gelu", "silu",
                     "softplus"}

# Loss name -> the docstring's words for the output, its squashing, and Keras's loss.
HEADS = {
    "bce": ("sigmoid + binary cross-entropy", "sigmoid", '"binary_crossentropy"'),
    "tanh_mse": ("tanh + mean squared error on labels ±1", "tanh", '"mse"'),
    "ce": ("softmax + cross-entropy", "softmax", '"sparse_categorical_crossentropy"'),
    "mse": ("mean squared error", "linear", '"mse"'),
    "huber": (f"Huber loss (delta {HUBER_DELTA})", "linear",
              f"keras.losses.Huber(delta={HUBER_DELTA})"),
}

# Init name -> Keras initializer and its words.
KERAS_INITS = {"xavier": ("glorot_uniform", "Glorot (Xavier) uniform"),
               "he": ("he_uniform", "He uniform"), "zeros": ("zeros", "all-zero")}

REG_WORDS = {"l1": "absolute values", "l2": "squares"}

# Optimizer name -> class name, the same in torch.optim and keras.optimizers.
OPTIMIZER_CLASSES = {"sgd": "SGD", "adam": "Adam", "adamw": "AdamW", "rmsprop": "RMSprop",
                     "adagrad": "Adagrad"}

# Optimizer settings where Keras's defaults differ from PyTorch's (the template says why).
PYTORCH_DEFAULTS = {"rmsprop": ("rho=0.99",), "adagrad": ("initial_accumulator_value=0.0",)}


def regularized(spec) -> bool:
    return spec.regularization != "none" and spec.reg_rate > 0


def choices(spec) -> set[str]:
    """The names that pick template blocks: the task, loss, init, optimizer,
    regulariser and early stopping (the data source and the framework add their own)."""
    task = "regression" if spec.problem == "regression" else "classification"
    reg = {"regularized", spec.regularization} if regularized(spec) else set()
    stop = {"early_stopping"} if spec.early_stopping else set()
    return {task, spec.loss, spec.init, spec.optimizer, *reg, *stop}


def remedies_words(spec) -> str:
    """The docstring's lines about dropout and early stopping; "" without either."""
    lines = [f"  dropout: {spec.dropout:g} after each hidden layer" if spec.dropout > 0 else "",
             f"  early stopping: patience {spec.patience} epochs, on the test loss"
             if spec.early_stopping else ""]
    return "\n".join(line for line in lines if line)


def values(spec, epochs: int, inputs: str) -> dict[str, str]:
    """Every field of the spec as text (floats and ints read as in Python), and what
    both scripts make of them. `inputs`: the input width, a number or a name."""
    widths = [inputs, *(str(layer.width) for layer in spec.hidden)]
    # Dropout follows each hidden activation; it is active in model.train() only.
    dropout = f"\nnn.Dropout({spec.dropout!r})," if spec.dropout > 0 else ""
    torch_layers = [f"nn.Linear({n}, {width}),\n{TORCH_ACTIVATIONS[layer.activation]},{dropout}"
                    for n, width, layer in zip(widths, widths[1:], spec.hidden)]
    hidden = ", ".join(f"{layer.width} {layer.activation}" for layer in spec.hidden)
    head_words, squash, keras_loss = HEADS[spec.loss]
    return {
        **{f.name: str(getattr(spec, f.name)) for f in fields(spec)},
        **keras_layers(spec),
        "epochs": str(int(epochs)),
        "hidden_words": hidden or "none",
        "remedies": remedies_words(spec),
        "head_words": head_words,
        "n_out": str(catalog.LOSSES[spec.loss].n_out(spec.classes)),
        "squash": squash,
        "huber_delta": str(HUBER_DELTA),
        "optimizer_class": OPTIMIZER_CLASSES[spec.optimizer],
        "reg_upper": spec.regularization.upper(),
        "reg_words": REG_WORDS.get(spec.regularization, ""),
        "torch_layers": "\n".join(torch_layers),
        "last_width": widths[-1],
        "torch_optimizer_args": optimizer_args(spec, "lr"),
        "plus_penalty": " + penalty()" if regularized(spec) else "",
        "keras_optimizer_args": optimizer_args(spec, "learning_rate",
                                               PYTORCH_DEFAULTS.get(spec.optimizer, ())),
        "keras_loss": keras_loss,
        "metrics": '["accuracy"]' if spec.loss in ("bce", "ce") else "[]",
    }


def keras_layers(spec) -> dict[str, str]:
    """The hidden Dense layers, and `dense = dict(...)`: the options they all share,
    under a comment that says what they do, one option a line when one line is too long."""
    options, words = [], []
    if spec.init in KERAS_INITS:
        initializer, word = KERAS_INITS[spec.init]
        options.append(f'kernel_initializer="{initializer}"')
        words.append(f"{word} initial weights")
    if regularized(spec):
        reg, rate = spec.regularization.upper(), spec.reg_rate
        options.append(f"kernel_regularizer=keras.regularizers.{reg}({rate})")
        words.append(f"{reg} regularisation ({rate} × the sum of the "
                     f"{REG_WORDS[spec.regularization]} of the weights)")
    more = ", **dense" if options else ""
    layers = []
    for layer in spec.hidden:
        if layer.activation == "leaky_relu":
            layers += [f"layers.Dense({layer.width}{more}),",
                       "layers.LeakyReLU(negative_slope=0.01),  # PyTorch's slope"]
        else:
            layers.append(f'layers.Dense({layer.width}, activation="{layer.activation}"{more}),')
        if spec.dropout > 0:
            layers.append(f"layers.Dropout({spec.dropout!r}),  # while training only")
    dense = f"dense = dict({', '.join(options)})"
    if len(dense) > 92:
        dense = "\n".join(["dense = dict(", *(f"    {option}," for option in options), ")"])
    text = "Every Dense layer: " + " and ".join(words) + "."
    comment = textwrap.wrap(text, 86, initial_indent="# ", subsequent_indent="# ")
    return {"dense": "\n".join([*comment, dense]) if options else "",
            "keras_layers": "\n".join(layers), "dense_args": more}


def optimizer_args(spec, lr_name: str, pytorch_defaults: tuple[str, ...] = ()) -> str:
    """The optimizer's arguments; `pytorch_defaults` set another framework's defaults
    to PyTorch's."""
    momentum = spec.optimizer in ("sgd", "rmsprop") and spec.momentum > 0
    args = [f"{lr_name}={spec.lr!r}", *pytorch_defaults,
            f"momentum={spec.momentum!r}" if momentum else "",
            "nesterov=True" if spec.optimizer == "sgd" and spec.nesterov and momentum else "",
            "weight_decay=0.0" if spec.optimizer == "adamw" else ""]
    return ", ".join(filter(None, args))
