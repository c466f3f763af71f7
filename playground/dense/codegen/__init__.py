"""Runnable code from a spec: a standalone PyTorch script and the same model in Keras.

The code is shown to learners, so it reads as a person would write it: a plain
top-to-bottom script with comments, the settings as literals, and nothing imported
from the playground. Both scripts take `--epochs` and end with one line
`final: train_loss=0.1234 test_loss=0.2345 test_acc=0.9500` (no `test_acc` for regression).
"""

from __future__ import annotations

import sys

from playground.core import catalog
from playground.dense.codegen import data, settings
from playground.dense.codegen.render import in_docstring, render, shell_word

NAMES = {"torch": "PyTorch", "keras": "Keras"}
NEEDS = {"torch": "", "keras": "keras 3 (here on the PyTorch backend), "}
# Imports beyond the data part's; keras's own come after the backend (header.tmpl).
IMPORTS = {
    "torch": {"import argparse", "import numpy as np", "import torch",
              "import torch.nn.functional as F", "from torch import nn"},
    "keras": {"import argparse", "import os", "import numpy as np"},
}


def pytorch_script(spec, n_in: int | None = None, epochs: int = 100, *,
                   filename: str = "train.py") -> str:
    """A standalone PyTorch script that trains the spec's network on its data.
    `n_in`, a table's number of encoded input columns, only goes into a comment;
    `epochs` is the default of --epochs; `filename` is in the "Run it with" line."""
    return _script("torch", spec, n_in, epochs, filename)


def keras_code(spec, n_in: int | None = None, epochs: int = 100, *,
               filename: str = "train_keras.py") -> str:
    """The same network and training in Keras 3, as a script with the same data code.
    Arguments as for pytorch_script."""
    return _script("keras", spec, n_in, epochs, filename)


def _script(kind: str, spec, n_in: int | None, epochs: int, filename: str) -> str:
    for layer in spec.hidden:
        if layer.activation not in settings.TORCH_ACTIVATIONS:
            raise ValueError(f"unknown activation {layer.activation!r}")
    if spec.loss not in catalog.LOSSES:
        raise ValueError(f"unknown loss {spec.loss!r}")
    source, choices, values = data.part(spec, n_in)
    choices |= {kind, source, *settings.choices(spec)}
    values = {**settings.values(spec, epochs, values["inputs"]), **values}
    values["data"] = render(f"{source}_data.tmpl", choices, values)
    values.update(framework=NAMES[kind], script=in_docstring(shell_word(filename)),
                  needs=NEEDS[kind] + values["needs"])
    imports = IMPORTS[kind] | set(values["data_imports"].splitlines())
    if kind == "torch" and spec.init == "default":
        imports.add("import math")  # PyTorch's default initialisation, written out
    values["imports"] = _import_block(imports)
    values["header"] = render("header.tmpl", choices, values)
    return render(f"{kind}_script.tmpl", choices, values) + "\n"


def _import_block(lines: set[str]) -> str:
    """isort's order: the standard library, a blank line, the rest; in each, plain
    imports before from-imports, each alphabetical."""
    ordered = sorted(lines, key=lambda line: (line.startswith("from"), line.split()[1].lower()))
    std = [line for line in ordered if line.split()[1] in sys.stdlib_module_names]
    return "\n".join(std) + "\n\n" + "\n".join(line for line in ordered if line not in std)

