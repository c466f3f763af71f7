"""The data part of a script for a user's table.

The script reads the CSV (`--csv`), handles missing values, one-hot encodes
text columns, standardises numbers, encodes the target and splits with
scikit-learn's `train_test_split`, as playground.data.table prepares it.
"""

from __future__ import annotations

from playground.core import catalog
from playground.dense.codegen.render import py_literal, shell_word

KIND = "table"


def imports(spec) -> list[str]:
    return ["import pandas as pd", "from sklearn.model_selection import train_test_split"]


def choices(spec) -> set[str]:
    """Which of table_data.tmpl's blocks: how missing values are handled, whether
    the target and the input columns are named or left to the table."""
    return {spec.missing, "named" if spec.target else "last", "chosen" if spec.features else "all"}


def values(spec, n_in: int | None) -> dict[str, str]:
    """What table_data.tmpl and the words about the data need, beyond the spec's fields.
    `n_in`, the number of encoded input columns, only goes into a comment:
    the script counts them in the table it reads."""
    name = spec.source or "data.csv"
    target = f'target column "{spec.target}"' if spec.target else "target: the last column"
    n_out = catalog.LOSSES[spec.loss].n_out(spec.classes)
    return {
        "target_name": py_literal(spec.target),
        "feature_names": "\n".join(f"{py_literal(name)}," for name in spec.features),
        "train_percent": f"{spec.train_ratio:.0%}",
        "what": f'the table "{name}" ({target})',
        "needs": "torch, numpy, pandas and scikit-learn",
        "csv_option": f" --csv {shell_word(name)}",
        "csv_literal": py_literal(name),
        "inputs": "n_inputs",
        "n_in_note": f"  # {n_in} for the table this script was made from" if n_in else "",
        # The classes are counted in the table the script reads.
        "n_out": "len(CLASS_NAMES)" if spec.loss == "ce" else str(n_out),
    }

