"""The data part of a script. A 2D toy set's embeds the source of its generator,
with the toy2d helpers and constants it uses, and of its features, then shuffles and
splits as make_dataset does, so it sees the very points the playground trained on.
A table's reads the CSV (`--csv`) and encodes it as data.table prepares it.
"""

from __future__ import annotations

import inspect
import re

from playground.core import catalog
from playground.data import features, toy2d
from playground.dense.codegen.render import in_docstring, py_literal, shell_word

LABEL_WORDS = {
    "binary": "class labels 0 and 1",
    "multiclass": "class labels 0 to {last}",
    "regression": "a target value in [-1, 1]",
}


def part(spec, n_in: int | None) -> tuple[str, set[str], dict[str, str]]:
    """The data source's name, the names that pick its template's blocks, and the
    values it and the words about the data need beyond the spec's fields."""
    # The one place that tells the data sources apart: a table spec names a target.
    if not hasattr(spec, "target"):
        return "toy2d", set(), toy2d_values(spec)
    # How missing values are handled; whether the target and the inputs are named.
    named = {spec.missing, "named" if spec.target else "last", "chosen" if spec.features else "all"}
    return "table", named, table_values(spec, n_in)


def table_values(spec, n_in: int | None) -> dict[str, str]:
    """`n_in`, the number of encoded input columns, only goes into a comment: the
    script counts them in the table it reads."""
    name = spec.source or "data.csv"
    target = f'target column "{spec.target}"' if spec.target else "target: the last column"
    return {
        "data_imports": "import pandas as pd\nfrom sklearn.model_selection import train_test_split",
        "target_name": py_literal(spec.target),
        "feature_names": "\n".join(f"{py_literal(column)}," for column in spec.features),
        "train_percent": f"{spec.train_ratio:.0%}",
        "what": in_docstring(f'the table "{name}" ({target})'),
        "needs": "torch, numpy, pandas and scikit-learn",
        "csv_option": in_docstring(f" --csv {shell_word(name)}"),
        "csv_literal": py_literal(name),
        "inputs": "n_inputs",
        "n_in_note": f"  # {n_in} for the table this script was made from" if n_in else "",
        # The classes are counted in the table the script reads.
        **({"n_out": "len(CLASS_NAMES)"} if spec.loss == "ce" else {}),
    }


def toy2d_values(spec) -> dict[str, str]:
    generator = catalog.DATASETS[spec.dataset].make
    if getattr(generator, "__module__", None) != toy2d.__name__:
        raise ValueError(f"dataset {spec.dataset!r} has no toy2d generator")
    parts, imports = generator_parts(generator.__name__)
    sources = feature_sources()
    return {
        "data_imports": "\n".join(imports),
        "extent": f"{toy2d.EXTENT:g}",
        "label_words": LABEL_WORDS[spec.problem].format(last=spec.n_classes - 1),
        "generator_source": "\n\n\n".join(parts),
        "feature_lines": "\n".join(f'"{name}": {sources[name]},' for name in spec.features),
        "generator": generator.__name__,
        "class_count": f", n_classes={spec.n_classes}" if spec.problem == "multiclass" else "",
        "n_train": str(spec.n_train),
        "n_test": str(spec.n_samples - spec.n_train),
        "what": f'the "{spec.dataset}" dataset',
        "needs": "torch, numpy and scikit-learn",
        "csv_option": "",
        "inputs": str(len(spec.features)),
        "added_points": added_points(spec.points),
    }


def added_points(points) -> str:
    """The training points added by clicking on the plane, appended to the
    training part as the playground appends them; "" for none."""
    if not points:
        return ""
    rows = "\n".join(f"    [{p.x!r}, {p.y!r}, {p.label}]," for p in points)
    return (f"# {len(points)} training points added by clicking on the plane: (x1, x2, class).\n"
            f"ADDED = np.array([\n{rows}\n], dtype=np.float32)\n"
            "x_train = np.concatenate([x_train, feature_matrix(ADDED[:, :2])])\n"
            "y_train = np.concatenate([y_train, ADDED[:, 2].astype(y_train.dtype)])")


def generator_parts(generator: str) -> tuple[list[str], list[str]]:
    """The source of toy2d's function `generator` and of every constant and function
    of toy2d it uses, in toy2d's order; and the imports of the modules they use."""
    needed = [generator]
    for used in needed:  # grows as it goes: the names each function uses
        value = vars(toy2d)[used]
        if inspect.isfunction(value):
            needed += global_names(value.__code__) & vars(toy2d).keys() - {*needed}
    source = inspect.getsource(toy2d)
    parts, imports = [], []
    for name in sorted(needed, key=list(vars(toy2d)).index):
        value = vars(toy2d)[name]
        if inspect.ismodule(value):
            imports.append(re.search(rf"^(from|import) .* {name}$", source, re.M)[0])
        elif inspect.isfunction(value):
            parts.append(inspect.getsource(value).rstrip())
        else:  # a constant, with its comment
            parts.append(re.search(rf"^{name}\b.*=.*", source, re.M)[0])
    return parts, imports


def global_names(code) -> set[str]:
    """The global names a function's code reads, in its comprehensions and lambdas too."""
    nested = (global_names(const) for const in code.co_consts if inspect.iscode(const))
    return set(code.co_names).union(*nested)


def feature_sources() -> dict[str, str]:
    """Feature name -> its lambda's source, numpy instead of torch."""
    source = inspect.getsource(features).replace("torch.", "np.")
    return dict(re.findall(r'^    "(\w+)": (lambda .+),$', source, re.M))
