"""A comparison or a sweep of 2D runs: what the page trains side by side.

`Comparison` is a spec like the Experiment (core/fields.py): it parses any
mapping with notes for bad values and round-trips through JSON and a link.
It holds no Experiment of its own: its runs are overrides on the page's
experiment (the base), so a link reads `?lr=1&mode=compare&runs=lr:0.03|base`
("base": the page's experiment as it is), and a sweep is one setting and a
range: `?mode=sweep&sweep=lr&sweep_from=0.001&sweep_to=1&sweep_n=5`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np

from playground.core import catalog
from playground.core.fields import Note, Spec, choice, encode, number, parse_field, parsed, short
from playground.dense.spec import DEFAULT_HIDDEN, MAX_HIDDEN_LAYERS, MAX_WIDTH, Experiment, Layer

MODES = ("one", "compare", "sweep")
MAX_RUNS = 8  # one training process trains them all; each costs a share of its core
RUN_SEP, PART_SEP = "|", ";"  # runs in a link, and settings within a run ("," is in values)
BASE_WORD = "base"  # a run that is the page's experiment as it is
# What a run may override: any setting that trains differently (view options don't).
OVERRIDABLE = tuple(f.name for f in fields(Experiment) if f.name not in ("show_test", "discretize"))
_FIELDS = {f.name: f for f in fields(Experiment)}


# ---- runs: overrides on the base ------------------------------------------------
@dataclass(frozen=True)
class Runs:
    """The comparison's runs, each a tuple of (setting, link text) pairs in
    canonical form (read by the setting's own parser, written back by
    `encode`), so equal runs compare equal."""

    items: tuple[tuple[tuple[str, str], ...], ...] = ()

    def __str__(self) -> str:  # the link: "lr:0.01|lr:1;optimizer:sgd"
        return RUN_SEP.join(PART_SEP.join(f"{k}:{v}" for k, v in run) or BASE_WORD
                            for run in self.items) if self.items else "none"

    def plain(self) -> list[dict[str, str]]:  # the JSON: [{"lr": "0.01"}, ...]
        return [dict(run) for run in self.items]

    def __len__(self) -> int:
        return len(self.items)


def overrides(base: Experiment, spec: Experiment) -> tuple[tuple[str, str], ...]:
    """The settings of `spec` that differ from `base`, as link text."""
    return tuple((name, encode(getattr(spec, name))) for name in OVERRIDABLE
                 if getattr(spec, name) != getattr(base, name))


def runs_of(base: Experiment, specs: list[Experiment]) -> Runs:
    return Runs(tuple(overrides(base, s) for s in specs[:MAX_RUNS]))


def parse_runs(raw: Any, notes: list[Note]) -> Runs:
    """Runs from link text ("lr:0.01|base|hidden:4-relu,4-relu;lr:1") or a
    JSON list of {setting: value} objects. A setting that is unknown or whose
    value its parser would change is left out with a note; runs beyond
    MAX_RUNS are cut with a note."""
    if isinstance(raw, Runs):
        return raw
    if isinstance(raw, str):
        items = [] if raw.strip().lower() in ("", "none") else raw.split(RUN_SEP)
    elif isinstance(raw, (list, tuple)):
        items = list(raw)
    else:
        notes.append(Note("bad_value", "runs", short(raw), "none"))
        return Runs()
    if len(items) > MAX_RUNS:
        notes.append(Note("too_many_runs", "runs", str(len(items)), str(MAX_RUNS)))
        items = items[:MAX_RUNS]
    runs = (_parse_run(item, notes) for item in items)
    return Runs(tuple(run for run in runs if run is not None))


def _parse_run(item: Any, notes: list[Note]) -> tuple[tuple[str, str], ...] | None:
    """One run's overrides; None (left out) when it has settings but none readable."""
    if isinstance(item, Mapping):
        pairs = list(item.items())
    elif isinstance(item, str):
        text = item.strip()
        parts = [] if text.lower() in ("", BASE_WORD) else text.split(PART_SEP)
        pairs = [part.partition(":")[::2] for part in parts]
    else:
        notes.append(Note("bad_run", "runs", short(item)))
        return None
    found: dict[str, str] = {}
    for key, value in pairs:
        key = str(key).strip()
        if key not in OVERRIDABLE:
            notes.append(Note("bad_run", "runs", short(f"{key}:{value}")))
            continue
        mine: list[Note] = []
        parsed_value = parse_field(_FIELDS[key], value, mine)
        if mine:  # the parser changed or left out something: not what the link said
            notes.append(Note("bad_run", "runs", short(f"{key}:{value}")))
            continue
        found[key] = encode(parsed_value)
    if pairs and not found:
        return None
    return tuple((k, found[k]) for k in OVERRIDABLE if k in found)


def apply(base: Experiment, changes: Mapping[str, Any]) -> tuple[Experiment, list[Note]]:
    """The base with `changes` on top, made consistent (a batch larger than
    the training part is cut, and so on) with notes; view options at their
    defaults (see as_run)."""
    spec, notes = Experiment.parse({**base.to_dict(), **dict(changes)})
    return as_run(spec), notes


def as_run(spec: Experiment) -> Experiment:
    """The spec as a compared run: its view options (which the page's own
    spec sets for every tile) at their defaults, so showing the test points
    restarts no run."""
    return replace(spec, show_test=False, discretize=False)


# ---- sweeps -----------------------------------------------------------------------
@dataclass(frozen=True)
class Sweep:
    """One setting a sweep can vary. `scale`: "log" (geometric values),
    "int" (whole numbers, evenly spaced; "logint": geometrically), "linear",
    or "choice" (every name in `choices`, up to MAX_RUNS)."""

    scale: str
    lo: float = 0.0
    hi: float = 0.0
    start: float = 0.0  # the range a new sweep of this setting offers
    stop: float = 0.0
    choices: tuple[str, ...] = ()
    # value -> the settings it changes on the base (hidden layers need the base)
    changes: Callable[[Experiment, Any], dict] | None = None

    @property
    def log(self) -> bool:
        return self.scale in ("log", "logint")


def _widths(base: Experiment, width: int) -> dict:
    hidden = base.hidden or (DEFAULT_HIDDEN[0],)
    return {"hidden": [[width, layer.activation] for layer in hidden]}


def _depth(base: Experiment, depth: int) -> dict:
    layer = base.hidden[0] if base.hidden else Layer()
    return {"hidden": [[layer.width, layer.activation]] * depth}


def _activation(base: Experiment, act: str) -> dict:
    return {"hidden": [[layer.width, act] for layer in base.hidden]}


# The activations a sweep shows first (all but the last fit MAX_RUNS runs).
ACTIVATION_ORDER = ("relu", "tanh", "sigmoid", "linear", "leaky_relu", "elu", "gelu", "silu",
                    "softplus")
SWEEPS: dict[str, Sweep] = {
    "lr": Sweep("log", 1e-5, 10.0, 0.001, 1.0, changes=lambda b, v: {"lr": v}),
    "width": Sweep("int", 1, MAX_WIDTH, 2, 16, changes=_widths),
    "depth": Sweep("int", 0, MAX_HIDDEN_LAYERS, 0, 4, changes=_depth),
    "batch_size": Sweep("logint", 1, 2000, 1, 100, changes=lambda b, v: {"batch_size": v}),
    "l1": Sweep("log", 1e-5, 1.0, 1e-4, 0.1,
                changes=lambda b, v: {"regularization": "l1", "reg_rate": v}),
    "l2": Sweep("log", 1e-5, 1.0, 1e-4, 0.1,
                changes=lambda b, v: {"regularization": "l2", "reg_rate": v}),
    "noise": Sweep("linear", 0.0, 0.5, 0.0, 0.5, changes=lambda b, v: {"noise": v}),
    "n_samples": Sweep("int", 50, 2000, 100, 1000, changes=lambda b, v: {"n_samples": v}),
    "dropout": Sweep("linear", 0.0, 0.9, 0.0, 0.6, changes=lambda b, v: {"dropout": v}),
    "activation": Sweep("choice", choices=tuple(a for a in ACTIVATION_ORDER
                                                if a in catalog.ACTIVATIONS)[:MAX_RUNS],
                        changes=_activation),
    "optimizer": Sweep("choice", choices=tuple(catalog.OPTIMIZERS)[:MAX_RUNS],
                       changes=lambda b, v: {"optimizer": v}),
    "init": Sweep("choice", choices=tuple(catalog.INITS)[:MAX_RUNS],
                  changes=lambda b, v: {"init": v}),
}


def sweep_values(name: str, start: float, stop: float, n: int) -> list:
    """The values a sweep of `name` trains, in increasing order, without repeats."""
    sweep = SWEEPS[name]
    if sweep.scale == "choice":
        return list(sweep.choices)
    lo, hi = sorted((start, stop))
    if sweep.log:
        raw = np.geomspace(max(lo, sweep.lo), max(hi, sweep.lo), n)
    else:
        raw = np.linspace(lo, hi, n)
    if sweep.scale in ("int", "logint"):
        values = [int(round(v)) for v in raw]
    elif sweep.log:  # two significant digits: "lr 0.032", not "lr 0.031622776"
        values = [float(f"{v:.2g}") for v in raw]
    else:
        values = [round(float(v), 4) for v in raw]
    return list(dict.fromkeys(values))


# ---- the comparison spec -----------------------------------------------------------
@dataclass(frozen=True)
class Comparison(Spec):
    """What the page compares: nothing ("one": the single run), the pinned
    `runs`, or a sweep of one setting over a range."""

    JSON_KIND = "comparison"

    mode: str = choice("one", MODES)
    runs: Runs = parsed(Runs(), parse_runs)
    sweep: str = choice("lr", SWEEPS)
    # The range of a numeric sweep (a choice sweep takes all its names);
    # clamped into the setting's own range by `consistent`.
    sweep_from: float = number(0.001, 0.0, 2000.0)
    sweep_to: float = number(1.0, 0.0, 2000.0)
    sweep_n: int = number(5, 2, MAX_RUNS)

    def consistent(self, raw: Mapping[str, Any], notes: list[Note]) -> Comparison:
        """A range the link leaves out (or gives no number for) is the
        setting's own; a range end outside the setting's limits is clamped
        with a note. A choice sweep takes every name: it keeps no range."""
        sweep = SWEEPS[self.sweep]
        if sweep.scale == "choice":
            return replace(self, sweep_from=Comparison.sweep_from, sweep_to=Comparison.sweep_to)
        whole = sweep.scale in ("int", "logint")
        ends = {}
        for name, default in (("sweep_from", sweep.start), ("sweep_to", sweep.stop)):
            bad = [i for i, n in enumerate(notes) if n.field == name and n.code == "bad_value"]
            for i in bad:  # the note names the value used instead: the setting's own
                notes[i] = replace(notes[i], fixed=f"{default:g}")
            if name not in raw or bad:
                ends[name] = default
                continue
            value = getattr(self, name)
            clamped = min(max(value, sweep.lo), sweep.hi)
            if whole and clamped != int(clamped):
                notes[:] = [n for n in notes if n.field != name]
                notes.append(Note("bad_value", name, short(raw[name]), str(int(clamped))))
            elif clamped != value:
                notes[:] = [n for n in notes if n.field != name]
                notes.append(Note("clamped", name, short(raw[name]), f"{clamped:g}"))
            ends[name] = int(clamped) if whole else clamped
        return replace(self, **ends)

    def to_query(self) -> dict[str, str]:
        """Only what differs from the defaults; a range only where it differs
        from the swept setting's own (and a choice sweep has none)."""
        query = {k: v for k, v in super().to_query().items()
                 if k not in ("sweep_from", "sweep_to")}
        sweep = SWEEPS[self.sweep]
        if sweep.scale != "choice":
            for name, default in (("sweep_from", sweep.start), ("sweep_to", sweep.stop)):
                if getattr(self, name) != default:
                    query[name] = encode(getattr(self, name))
        return query

    def values(self) -> list:
        """The sweep's values, in increasing order."""
        return sweep_values(self.sweep, self.sweep_from, self.sweep_to, self.sweep_n)

    def specs(self, base: Experiment) -> tuple[list[Experiment], list[str], list[Note]]:
        """The runs this comparison trains on `base`: (specs, names, notes
        about values the base made inconsistent). "one" trains none."""
        if self.mode == "compare":
            specs, notes = [], []
            for run in self.runs.items:
                spec, more = apply(base, dict(run))
                specs.append(spec)
                notes.extend(more)
            return specs, run_names(specs), notes
        if self.mode == "sweep":
            sweep, specs, notes = SWEEPS[self.sweep], [], []
            values = self.values()
            for value in values:
                spec, more = apply(base, sweep.changes(base, value))
                specs.append(spec)
                notes.extend(more)
            return specs, [f"{self.sweep} {_label(v)}" for v in values], notes
        return [], [], []


def _label(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def run_names(specs: list[Experiment]) -> list[str]:
    """Each run named by the settings in which it differs from run 1 (run 1
    by those in which it differs from run 2): "lr 0.1 · optimizer sgd". Runs
    that differ in nothing are "run 1", "run 2", ..."""
    def differs(spec: Experiment, other: Experiment) -> list[str]:
        return [f"{name} {encode(getattr(spec, name))}" for name in OVERRIDABLE
                if getattr(spec, name) != getattr(other, name)]

    names = []
    for i, spec in enumerate(specs):
        other = specs[1 if i == 0 else 0] if len(specs) > 1 else spec
        names.append(" · ".join(differs(spec, other)) or f"run {i + 1}")
    return names


def is_log(name: str) -> bool:
    """Whether a sweep of `name` is drawn on a log axis."""
    return name in SWEEPS and SWEEPS[name].log
