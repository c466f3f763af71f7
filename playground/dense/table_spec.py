"""TableExperiment: one validated description of a run on an uploaded table.

The network and training part is the 2D experiment's `NetworkSettings`; the
data part says which columns of the user's CSV to use and how. `problem` and
`n_classes` follow from the data: the page fills them in from the prepared
table, and recomputes them when a settings file is loaded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from playground.core.fields import Note, Spec, choice, number, parsed, short
from playground.dense.spec import Layer, NetworkSettings, parse_hidden

TASKS = ("auto", "classification", "regression")
MISSING = ("drop", "impute")
PROBLEMS = ("binary", "multiclass", "regression")
MAX_CLASSES = 20


def _parse_columns(raw: Any, notes: list[Note]) -> tuple[str, ...]:
    if isinstance(raw, str):
        raw = [raw] if raw.strip() else []
    if not isinstance(raw, (list, tuple)):
        notes.append(Note("bad_value", "features", short(raw), ""))
        return ()
    out: list[str] = []
    for item in raw:
        if isinstance(item, (str, int, float)) and not isinstance(item, bool):
            name = str(item).strip()
            if name and name not in out:
                out.append(name)
        else:
            notes.append(Note("bad_value", "features", short(item), ""))
    return tuple(out)


@dataclass(frozen=True)
class TableData:
    """The data part: the uploaded file (name and content digest, so a
    settings file can say which table it was made for), the columns and their
    handling, and what the data resolved to (see the module docstring)."""

    source: str = ""
    digest: str = ""
    target: str = ""  # "" = the page picks the last usable column
    features: tuple[str, ...] = parsed((), _parse_columns)  # () = every usable column
    task: str = choice("auto", TASKS)
    missing: str = choice("drop", MISSING)
    train_ratio: float = number(0.7, 0.1, 0.9)
    seed: int = number(1, 0, 2**31 - 1)

    # Resolved from the data.
    problem: str = choice("binary", PROBLEMS)
    n_classes: int = number(2, 2, MAX_CLASSES)


# Fields come base by base from the last one: the data, then the network and
# training (a field declared again here keeps its place).
@dataclass(frozen=True)
class TableExperiment(NetworkSettings, TableData, Spec):
    JSON_KIND = "table"

    # Network and training as in Experiment, sized for tables.
    hidden: tuple[Layer, ...] = parsed((Layer(16, "relu"), Layer(16, "relu")), parse_hidden)
    lr: float = number(0.01, 1e-5, 10.0)
    batch_size: int = number(32, 1, 20_000)

    def consistent(self, raw: Mapping[str, Any], notes: list[Note]) -> TableExperiment:
        return self.fit_training("loss" in raw, notes)

    def with_problem(self, problem: str, n_classes: int) -> TableExperiment:
        """The spec for data of this kind; the loss follows the problem when
        the old one can't serve it (no note: the data changed, not the user)."""
        spec = replace(self, problem=problem, n_classes=max(2, min(MAX_CLASSES, n_classes)))
        return spec.fit_training(False, [])
