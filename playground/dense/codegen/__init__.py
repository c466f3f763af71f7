"""Runnable code from a spec: a standalone PyTorch script and the same model in Keras.

The code is shown to learners, so it is written the way a person would write
it: plain top-to-bottom scripts with comments, the settings filled in as
literals, and nothing imported from the playground. Each script is a template
(torch_script.tmpl, keras_script.tmpl) under a shared header, and both take
their data part from the spec's data source: a 2D toy dataset (toy2d_data) or
a user's table (table_data).

Both scripts take `--epochs` and end with one line
`final: train_loss=0.1234 test_loss=0.2345 test_acc=0.9500`
(`test_acc` left out for regression).
"""

from __future__ import annotations

from playground.core import catalog
from playground.dense.codegen import keras_script, settings, table_data, torch_script, toy2d_data
from playground.dense.codegen.render import render, shell_word
from playground.dense.codegen.torch_script import TORCH_ACTIVATIONS


def pytorch_script(spec, n_in: int | None = None, epochs: int = 100, *,
                   filename: str = "train.py") -> str:
    """A standalone PyTorch script that trains the spec's network on its data.

    `n_in` (the number of encoded input columns) is only used for tables, in a
    comment; the script computes it from the data it reads. `epochs` is the
    default of its --epochs option; `filename` appears in its "Run it with" line.
    """
    return _script(torch_script, spec, n_in, epochs, filename)


def keras_code(spec, n_in: int | None = None, epochs: int = 100, *,
               filename: str = "train_keras.py") -> str:
    """The same network and training in Keras 3, as a script with the same data code.
    Arguments as for pytorch_script."""
    return _script(keras_script, spec, n_in, epochs, filename)


def _script(framework, spec, n_in: int | None, epochs: int, filename: str) -> str:
    for layer in spec.hidden:
        if layer.activation not in TORCH_ACTIVATIONS:
            raise ValueError(f"unknown activation {layer.activation!r}")
    if spec.loss not in catalog.LOSSES:
        raise ValueError(f"unknown loss {spec.loss!r}")
    # The one place that tells the data sources apart: a table spec names a target.
    data = table_data if hasattr(spec, "target") else toy2d_data
    choices = {*settings.choices(spec), *data.choices(spec), data.KIND, framework.KIND}
    values = {**settings.values(spec, epochs), **data.values(spec, n_in)}
    values.update(framework.values(spec, values))
    values["data"] = render(f"{data.KIND}_data.tmpl", choices, values)
    values["docstring"] = _docstring(render("docstring.tmpl", choices, {
        **values,
        "framework": framework.NAME,
        "script": shell_word(filename),
        "needs": framework.NEEDS + values["needs"],
    }))
    # isort's order: plain imports, then from-imports, each alphabetical.
    third = sorted({*framework.IMPORTS, *data.imports(spec)},
                   key=lambda line: (line.startswith("from"), line.split()[1].lower()))
    values["imports"] = "\n".join(framework.std_imports(spec)) + "\n\n" + "\n".join(third)
    values["header"] = render("header.tmpl", choices, values)
    return render(f"{framework.KIND}_script.tmpl", choices, values) + "\n"


def _docstring(text: str) -> str:
    """Column and file names are the user's: keep them from ending or breaking the docstring."""
    text = text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    return "".join(c for c in text if c >= " " or c == "\n")
