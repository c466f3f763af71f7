"""TableExperiment: one validated description of a run on an uploaded table.

The network and training fields mean exactly what they mean in
`playground.dense.spec.Experiment` (and are parsed by the same functions), so the
trainer, the model builder and the code exports take either spec. What is
new is the data part: which columns of the user's CSV to use and how.

`problem` and `n_classes` follow from the data (the target column and the
task), not from the user: the page fills them in from the prepared table
before it accepts a spec, and a settings file's values are recomputed the
same way when it is loaded.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

from playground.core import catalog
from playground.dense.spec import (
    Layer,
    Note,
    _limits,
    _short,
    fit_training,
    parse_fields,
    plain_dict,
    read_json_object,
)

TASKS = ("auto", "classification", "regression")
MISSING = ("drop", "impute")
PROBLEMS = ("binary", "multiclass", "regression")
MAX_CLASSES = 20
# Fields whose values are column names of the user's table: any text is valid
# here; whether the column exists is checked against the table on the page.
COLUMN_FIELDS = ("target", "features")


@dataclass(frozen=True)
class TableExperiment:
    # Data: the uploaded file (name and content digest, so a settings file
    # can say which table it was made for), the columns and their handling.
    source: str = ""
    digest: str = ""
    target: str = ""  # "" = the page picks the last usable column
    features: tuple[str, ...] = ()  # source columns; () = every usable column
    task: str = field(default="auto", metadata={"choices": TASKS})
    missing: str = field(default="drop", metadata={"choices": MISSING})
    train_ratio: float = field(default=0.7, metadata=_limits(0.1, 0.9))
    seed: int = field(default=1, metadata=_limits(0, 2**31 - 1))

    # Resolved from the data (see the module docstring).
    problem: str = field(default="binary", metadata={"choices": PROBLEMS})
    n_classes: int = field(default=2, metadata=_limits(2, MAX_CLASSES))

    # Network and training: as in Experiment.
    hidden: tuple[Layer, ...] = (Layer(16, "relu"), Layer(16, "relu"))
    loss: str = field(default="bce", metadata={"choices": tuple(catalog.LOSSES)})
    init: str = field(default="default", metadata={"choices": catalog.INITS})
    optimizer: str = field(default="adam", metadata={"choices": catalog.OPTIMIZERS})
    lr: float = field(default=0.01, metadata=_limits(1e-5, 10.0))
    momentum: float = field(default=0.0, metadata=_limits(0.0, 0.99))
    nesterov: bool = False
    batch_size: int = field(default=32, metadata=_limits(1, 20_000))
    regularization: str = field(default="none", metadata={"choices": catalog.REGULARIZERS})
    reg_rate: float = field(default=0.0, metadata=_limits(0.0, 1.0))

    @property
    def classes(self) -> int:
        """Number of classes (0 for regression), as Experiment.classes."""
        if self.problem == "multiclass":
            return self.n_classes
        return 2 if self.problem == "binary" else 0

    # ---- parsing -------------------------------------------------------
    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> tuple[TableExperiment, list[Note]]:
        """Any mapping (widgets, a settings file) -> a valid spec + notes;
        the same rules as Experiment.parse."""
        notes: list[Note] = []
        texts = {name: partial(_parse_text, name) for name in ("source", "digest", "target")}
        spec = cls(**parse_fields(cls, raw, notes, {**texts, "features": _parse_columns}))
        return fit_training(spec, "loss" in raw, notes), notes

    def with_problem(self, problem: str, n_classes: int) -> TableExperiment:
        """The spec for data of this kind; the loss follows the problem when
        the old one can't serve it (no note: the data changed, not the user)."""
        spec = replace(self, problem=problem, n_classes=max(2, min(MAX_CLASSES, n_classes)))
        if problem not in catalog.LOSSES[spec.loss].problems:
            spec = replace(spec, loss=catalog.DEFAULT_LOSS[problem])
        return spec

    # ---- serialising ---------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return plain_dict(self)

    def to_json(self) -> str:
        return json.dumps({"kind": "table", **self.to_dict()}, indent=2)

    @classmethod
    def from_json(cls, text: str) -> tuple[TableExperiment, list[Note]]:
        raw, notes = read_json_object(text)
        if raw is None:
            return cls(), notes
        raw = dict(raw)
        if raw.pop("kind", "table") != "table":
            return cls(), [Note("bad_file", "json", "not a table experiment")]
        return cls.parse(raw)


def _parse_text(name: str, raw: Any, notes: list[Note]) -> str:
    if isinstance(raw, (str, int, float)) and not isinstance(raw, bool):
        return str(raw).strip()
    notes.append(Note("bad_value", name, _short(raw), ""))
    return ""


def _parse_columns(raw: Any, notes: list[Note]) -> tuple[str, ...]:
    if isinstance(raw, str):
        raw = [raw] if raw.strip() else []
    if not isinstance(raw, (list, tuple)):
        notes.append(Note("bad_value", "features", _short(raw), ""))
        return ()
    out: list[str] = []
    for item in raw:
        if isinstance(item, (str, int, float)) and not isinstance(item, bool):
            name = str(item).strip()
            if name and name not in out:
                out.append(name)
        else:
            notes.append(Note("bad_value", "features", _short(item), ""))
    return tuple(out)
