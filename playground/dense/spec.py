"""The Experiment: one validated description of a run.

Everything a run depends on lives here: data, features, network, training
settings and the seed. Widgets, URL queries, JSON files and code all go
through `Experiment.parse`, which clamps numbers into range and replaces
unknown names with defaults, reporting each change as a `Note`, so a bad value
from anywhere becomes a visible message instead of an exception.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from playground.core import catalog

MAX_HIDDEN_LAYERS = 8
MAX_WIDTH = 64


@dataclass(frozen=True)
class Layer:
    width: int = 8
    activation: str = "tanh"


@dataclass(frozen=True)
class Note:
    """One change validation made. `code` picks the message; the rest fills it."""

    code: str  # "clamped", "unknown", "bad_value", "incompatible_loss", "ignored", ...
    # Notes whose code has no replacement ("ignored", "unknown_feature",
    # "bad_layer") leave `fixed` empty: the thing was simply left out.
    field: str
    value: str = ""
    fixed: str = ""


def _limits(lo, hi, **meta):
    return {"min": lo, "max": hi, **meta}


@dataclass(frozen=True)
class Experiment:
    # Data. Noise is a fraction of the plot's scale; samples are split
    # train/test by `train_ratio` after a seeded shuffle.
    dataset: str = field(default="spiral", metadata={"choices": tuple(catalog.DATASETS)})
    n_classes: int = field(default=3, metadata=_limits(3, 5))  # blobs only
    noise: float = field(default=0.0, metadata=_limits(0.0, 0.5))
    n_samples: int = field(default=400, metadata=_limits(50, 2000))
    train_ratio: float = field(default=0.5, metadata=_limits(0.1, 0.9))
    seed: int = field(default=1, metadata=_limits(0, 2**31 - 1))
    features: tuple[str, ...] = ("x1", "x2")

    # Network: hidden layers only; the output layer follows from the loss.
    hidden: tuple[Layer, ...] = (Layer(8, "tanh"), Layer(8, "tanh"))
    loss: str = field(default="bce", metadata={"choices": tuple(catalog.LOSSES)})
    init: str = field(default="default", metadata={"choices": catalog.INITS})

    # Training.
    optimizer: str = field(default="adam", metadata={"choices": catalog.OPTIMIZERS})
    lr: float = field(default=0.03, metadata=_limits(1e-5, 10.0))
    momentum: float = field(default=0.0, metadata=_limits(0.0, 0.99))
    nesterov: bool = False
    batch_size: int = field(default=10, metadata=_limits(1, 2000))
    regularization: str = field(default="none", metadata={"choices": catalog.REGULARIZERS})
    reg_rate: float = field(default=0.0, metadata=_limits(0.0, 1.0))

    # View options: shared in links, no effect on training.
    show_test: bool = False
    discretize: bool = False

    # ---- derived -------------------------------------------------------
    @property
    def problem(self) -> str:
        return catalog.DATASETS[self.dataset].problem

    @property
    def classes(self) -> int:
        """Number of classes (0 for regression)."""
        if self.problem == "multiclass":
            return self.n_classes
        return 2 if self.problem == "binary" else 0

    @property
    def n_train(self) -> int:
        return max(1, min(self.n_samples - 1, round(self.n_samples * self.train_ratio)))

    # ---- parsing -------------------------------------------------------
    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> tuple[Experiment, list[Note]]:
        """Any mapping (widgets, URL query, JSON) -> a valid Experiment + notes.

        Missing keys take defaults silently; unknown keys are ignored with a
        note; bad values are clamped or replaced with a note each.
        """
        notes: list[Note] = []
        spec = cls(**parse_fields(cls, raw, notes))
        spec = fit_training(spec, "loss" in raw, notes)
        if spec.batch_size > spec.n_train:
            notes.append(
                Note("clamped", "batch_size", str(spec.batch_size), str(spec.n_train))
            )
            spec = replace(spec, batch_size=spec.n_train)
        return spec, notes

    # ---- serialising ---------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict; `parse(to_dict())` gives the same Experiment."""
        return plain_dict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_json(cls, text: str) -> tuple[Experiment, list[Note]]:
        raw, notes = read_json_object(text)
        return (cls(), notes) if raw is None else cls.parse(raw)

    def to_query(self) -> dict[str, str]:
        """Flat str -> str dict for a URL; only fields that differ from the
        defaults, so links stay short and new defaults reach old links."""
        default = Experiment()
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value != getattr(default, f.name):
                out[f.name] = _encode(value)
        return out

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> tuple[Experiment, list[Note]]:
        return cls.parse(dict(query))


# ---- field parsing -----------------------------------------------------------
def plain_dict(spec) -> dict[str, Any]:
    """A spec with `features` and `hidden` fields as a JSON-able dict: the
    features a list, each hidden layer [width, activation]."""
    d = asdict(spec)
    d["features"] = list(spec.features)
    d["hidden"] = [[layer.width, layer.activation] for layer in spec.hidden]
    return d


def parse_fields(cls, raw: Mapping[str, Any], notes: list[Note],
                 parsers: Mapping[str, Callable[[Any, list[Note]], Any]] | None = None) -> dict:
    """The values of a spec dataclass's fields present in `raw`, each parsed
    by its own parser in `parsers` (raw value, notes) or by its metadata;
    keys that are no field are ignored with a note."""
    parsers = parsers or {}
    known = {f.name for f in fields(cls)}
    for key in raw:
        if key not in known:
            notes.append(Note("ignored", str(key), _short(raw[key])))
    values: dict[str, Any] = {}
    for f in fields(cls):
        if f.name in raw:
            parse = parsers.get(f.name)
            value = raw[f.name]
            values[f.name] = parse(value, notes) if parse else _parse_field(f, value, notes)
    return values


def fit_training(spec, loss_asked: bool, notes: list[Note]):
    """Fix training settings that are each valid alone but not together: a
    loss that can't serve the problem (replaced silently when no loss was
    asked for: the data's usual one), Nesterov without momentum."""
    if spec.problem not in catalog.LOSSES[spec.loss].problems:
        fixed = catalog.DEFAULT_LOSS[spec.problem]
        if loss_asked:
            notes.append(Note("incompatible_loss", "loss", spec.loss, fixed))
        spec = replace(spec, loss=fixed)
    if spec.nesterov and not (spec.optimizer == "sgd" and spec.momentum > 0):
        notes.append(Note("nesterov_needs_momentum", "nesterov", "1", "0"))
        spec = replace(spec, nesterov=False)
    return spec

def read_json_object(text: str) -> tuple[dict | None, list[Note]]:
    """A settings file's JSON object, or None and a "bad_file" note saying why not."""
    try:
        raw = json.loads(text)
    except (ValueError, TypeError, RecursionError) as exc:
        return None, [Note("bad_file", "json", _short(exc))]
    if not isinstance(raw, dict):
        return None, [Note("bad_file", "json", type(raw).__name__)]
    return raw, []


def _short(value: Any, limit: int = 40) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _encode(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, tuple) and value and isinstance(value[0], Layer):
        return ",".join(f"{layer.width}-{layer.activation}" for layer in value)
    if isinstance(value, tuple):
        return ",".join(value) if value else "none"
    if value == () or value == []:
        return "none"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _parse_field(f, raw: Any, notes: list[Note]) -> Any:
    default = f.default
    if f.name == "features":
        return _parse_features(raw, notes)
    if f.name == "hidden":
        return _parse_hidden(raw, notes)
    if "choices" in f.metadata:
        value = str(raw)
        if value not in f.metadata["choices"]:
            notes.append(Note("unknown", f.name, _short(raw), default))
            return default
        return value
    if isinstance(default, bool):
        return _parse_bool(f.name, raw, default, notes)
    kind = int if isinstance(default, int) else float
    return _parse_number(f.name, raw, kind, f.metadata["min"], f.metadata["max"], default, notes)


def _parse_bool(name: str, raw: Any, default: bool, notes: list[Note]) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    notes.append(Note("bad_value", name, _short(raw), _encode(default)))
    return default


def _parse_number(name, raw, kind, lo, hi, default, notes):
    try:
        if isinstance(raw, bool):
            raise ValueError
        value = float(raw)
        if kind is int and value != int(value):
            raise ValueError
    except (ValueError, TypeError, OverflowError):
        notes.append(Note("bad_value", name, _short(raw), str(default)))
        return default
    if math.isnan(value):
        notes.append(Note("bad_value", name, _short(raw), str(default)))
        return default
    clamped = min(max(value, lo), hi)
    if clamped != value:
        notes.append(Note("clamped", name, _short(raw), str(kind(clamped))))
    return kind(clamped)


def _parse_features(raw: Any, notes: list[Note]) -> tuple[str, ...]:
    items = raw.split(",") if isinstance(raw, str) else raw
    try:
        items = [str(x).strip() for x in items if str(x).strip()]
    except TypeError:
        notes.append(Note("bad_value", "features", _short(raw), "x1,x2"))
        return Experiment.features
    if items == ["none"]:
        items = []
    good = []
    for name in items:
        if name not in catalog.FEATURE_NAMES:
            notes.append(Note("unknown_feature", "features", _short(name)))
        elif name not in good:
            good.append(name)
    if not good:
        notes.append(Note("no_features", "features", _short(raw), "x1,x2"))
        return Experiment.features
    # Canonical order, so the same set always builds the same network.
    return tuple(n for n in catalog.FEATURE_NAMES if n in good)


def _parse_hidden(raw: Any, notes: list[Note]) -> tuple[Layer, ...]:
    if isinstance(raw, str):
        items = [] if raw.strip() in ("", "none") else raw.split(",")
    else:
        items = list(raw) if isinstance(raw, (list, tuple)) else None
    if items is None:
        default = Experiment.hidden
        notes.append(Note("bad_value", "hidden", _short(raw), _encode(default)))
        return default
    if len(items) > MAX_HIDDEN_LAYERS:
        notes.append(Note("too_many_layers", "hidden", str(len(items)), str(MAX_HIDDEN_LAYERS)))
        items = items[:MAX_HIDDEN_LAYERS]
    layers = []
    for item in items:
        if isinstance(item, Layer):
            width, act = item.width, item.activation
        elif isinstance(item, str):
            width, _, act = item.strip().partition("-")
        elif isinstance(item, (list, tuple)) and len(item) == 2:
            width, act = item
        elif isinstance(item, Mapping):
            width, act = item.get("width", 8), item.get("activation", "tanh")
        else:
            notes.append(Note("bad_layer", "hidden", _short(item)))
            continue
        width = _parse_number("width", width, int, 1, MAX_WIDTH, 8, notes)
        act = str(act) or "tanh"
        if act not in catalog.ACTIVATIONS:
            notes.append(Note("unknown", "activation", _short(act), "tanh"))
            act = "tanh"
        layers.append(Layer(width, act))
    return tuple(layers)
