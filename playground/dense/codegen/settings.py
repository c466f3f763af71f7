"""The spec's settings as both scripts show them: the words of the docstring,
the names that pick template blocks, and the tables both frameworks share."""

from __future__ import annotations

from dataclasses import fields

from playground.core.losses import HUBER_DELTA

HEAD_WORDS = {
    "bce": "sigmoid + binary cross-entropy",
    "tanh_mse": "tanh + mean squared error on labels ±1",
    "ce": "softmax + cross-entropy",
    "mse": "mean squared error",
    "huber": f"Huber loss (delta {HUBER_DELTA})",
}

# Optimizer name -> class name, the same in torch.optim and keras.optimizers.
OPTIMIZER_CLASSES = {"sgd": "SGD", "adam": "Adam", "adamw": "AdamW", "rmsprop": "RMSprop",
                     "adagrad": "Adagrad"}


def regularized(spec) -> bool:
    return spec.regularization != "none" and spec.reg_rate > 0


def choices(spec) -> set[str]:
    """The names that pick template blocks: the task, loss, init, optimizer and
    regulariser (the data source and the framework add their own)."""
    task = "regression" if spec.problem == "regression" else "classification"
    reg = {"regularized", spec.regularization} if regularized(spec) else set()
    return {task, spec.loss, spec.init, spec.optimizer, *reg}


def values(spec, epochs: int) -> dict[str, str]:
    """Every field of the spec as text (floats and ints read the same as in Python),
    and what follows from them."""
    hidden = ", ".join(f"{layer.width} {layer.activation}" for layer in spec.hidden)
    return {
        **{f.name: str(getattr(spec, f.name)) for f in fields(spec)},
        "epochs": str(int(epochs)),
        "optimizer_class": OPTIMIZER_CLASSES[spec.optimizer],
        "hidden_words": hidden or "none",
        "head_words": HEAD_WORDS[spec.loss],
        "squash": {"bce": "sigmoid", "tanh_mse": "tanh", "ce": "softmax"}.get(spec.loss, "linear"),
        "huber_delta": str(HUBER_DELTA),
        "reg_upper": spec.regularization.upper(),
        "reg_words": "absolute values" if spec.regularization == "l1" else "squares",
    }


def optimizer_args(spec, lr_name: str, pytorch_defaults: tuple[str, ...] = ()) -> str:
    """The optimizer's arguments; `pytorch_defaults` set another framework's defaults
    to PyTorch's."""
    momentum = spec.optimizer in ("sgd", "rmsprop") and spec.momentum > 0
    args = [f"{lr_name}={spec.lr!r}", *pytorch_defaults,
            f"momentum={spec.momentum!r}" if momentum else "",
            "nesterov=True" if spec.optimizer == "sgd" and spec.nesterov and momentum else "",
            "weight_decay=0.0" if spec.optimizer == "adamw" else ""]
    return ", ".join(filter(None, args))
