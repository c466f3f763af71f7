"""Spec fields and notes: how every spec is declared, read and written.

A spec is a frozen dataclass whose field metadata says how a value is read:
`number` (clamped), `choice` (one of a few names) or `parsed` (its own
parser); the UI builds its widgets from the same metadata. `Spec.parse` never
raises: a bad value is clamped or replaced and reported as a `Note`.
"""

from __future__ import annotations

import difflib
import json
import math
import re
import string
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from typing import Self  # Python 3.11+; only read by type checkers here


@dataclass(frozen=True)
class Note:
    """One change validation made. `code` picks the message; the rest fills it."""

    code: str  # "clamped", "unknown", "bad_value", "incompatible_loss", "ignored", ...
    # Notes whose code has no replacement ("ignored", "unknown_feature",
    # "bad_layer") leave `fixed` empty: the thing was simply left out.
    field: str
    value: str = ""
    fixed: str = ""


# ---- declaring fields ----------------------------------------------------------
def number(default: float, lo: float, hi: float) -> Any:
    """An int or float field (by its default's type), clamped into lo..hi."""
    return field(default=default, metadata={"min": lo, "max": hi})


def choice(default: str, choices) -> Any:
    """A name out of `choices` (a tuple, or a dict's keys)."""
    return field(default=default, metadata={"choices": tuple(choices)})


def parsed(default: Any, parse: Callable[[Any, list[Note]], Any]) -> Any:
    """A field read by its own parser: parse(raw value, notes) -> value."""
    return field(default=default, metadata={"parse": parse})


# ---- the round trip ------------------------------------------------------------
class Spec:
    """What every spec shares: parsing, and the JSON and link round trip.
    Subclasses are frozen dataclasses whose every field has a default."""

    # Written as "kind" in JSON files, and checked when one is read, where a
    # file of another page's spec would otherwise load silently.
    JSON_KIND: ClassVar[str] = ""

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> tuple[Self, list[Note]]:
        """Any mapping (widgets, URL query, JSON) -> a valid spec + notes.
        Missing keys take defaults silently; unknown keys are ignored with a note."""
        known = {f.name for f in fields(cls)}
        notes = [Note("ignored", str(key), short(value)) for key, value in raw.items()
                 if key not in known]
        spec = cls(**{f.name: parse_field(f, raw[f.name], notes)
                      for f in fields(cls) if f.name in raw})
        return spec.consistent(raw, notes), notes

    def consistent(self, raw: Mapping[str, Any], notes: list[Note]) -> Self:
        """Fix values that are each valid alone but not together (`raw` says
        which keys were asked for)."""
        return self

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict; `parse(to_dict())` gives the same spec."""
        return {f.name: plain(getattr(self, f.name)) for f in fields(self)}

    def to_json(self) -> str:
        kind = {"kind": self.JSON_KIND} if self.JSON_KIND else {}
        return json.dumps({**kind, **self.to_dict()}, indent=2)

    @classmethod
    def from_json(cls, text: str) -> tuple[Self, list[Note]]:
        raw, notes = read_json_object(text)
        if raw is None:
            return cls(), notes
        if cls.JSON_KIND and raw.pop("kind", cls.JSON_KIND) != cls.JSON_KIND:
            return cls(), [Note("bad_file", "json", f"not a {cls.JSON_KIND} experiment")]
        return cls.parse(raw)

    def to_query(self) -> dict[str, str]:
        """Flat str -> str dict for a URL; only fields that differ from the
        defaults, so links stay short and new defaults reach old links."""
        default = type(self)()
        return {f.name: encode(getattr(self, f.name)) for f in fields(self)
                if getattr(self, f.name) != getattr(default, f.name)}

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> tuple[Self, list[Note]]:
        return cls.parse(dict(query))

    @classmethod
    def link_keys(cls) -> tuple[str, ...]:
        """The keys a link may set: the field names, in declaration order."""
        return tuple(f.name for f in fields(cls))


def read_json_object(text: str) -> tuple[dict | None, list[Note]]:
    """A settings file's JSON object, or None and a "bad_file" note saying why not."""
    try:
        raw = json.loads(text)
    except (ValueError, TypeError, RecursionError) as exc:
        return None, [Note("bad_file", "json", short(exc))]
    if not isinstance(raw, dict):
        return None, [Note("bad_file", "json", type(raw).__name__)]
    return raw, []


def fit_batch(spec, notes: list[Note]):
    """The spec with a batch no larger than its training part (`n_train`)."""
    if spec.batch_size <= spec.n_train:
        return spec
    notes.append(Note("clamped", "batch_size", str(spec.batch_size), str(spec.n_train)))
    return replace(spec, batch_size=spec.n_train)


# ---- writing values ------------------------------------------------------------
def short(value: Any, limit: int = 40) -> str:
    """A value as text for a note, cut to `limit` characters."""
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def encode(value: Any) -> str:
    """A field's value as link text: booleans 1/0, floats exactly, tuples
    comma-separated ("none" when empty)."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (tuple, list)):
        items = (v if isinstance(v, str) else v.encode() for v in value)
        return ",".join(items) if value else "none"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def plain(value: Any) -> Any:
    """A field's value as JSON-able data: tuples become lists."""
    if isinstance(value, tuple):
        return [plain(v) for v in value]
    return value.plain() if hasattr(value, "plain") else value


# ---- reading values ------------------------------------------------------------
def parse_field(f, raw: Any, notes: list[Note]) -> Any:
    """One field's value, read as its metadata and default say."""
    default = f.default
    if "parse" in f.metadata:
        return f.metadata["parse"](raw, notes)
    if "choices" in f.metadata:
        return parse_choice(f.name, raw, str(raw), f.metadata["choices"], default, notes)
    if isinstance(default, bool):
        return parse_bool(f.name, raw, default, notes)
    if isinstance(default, str):  # free text, such as a column name
        if isinstance(raw, (str, int, float)) and not isinstance(raw, bool):
            return str(raw).strip()
        notes.append(Note("bad_value", f.name, short(raw), default))
        return default
    kind = int if isinstance(default, int) else float
    return parse_number(f.name, raw, kind, f.metadata["min"], f.metadata["max"], default, notes)


def parse_choice(name: str, raw: Any, value: str, choices, default: str, notes: list[Note]):
    """`value` (read from `raw`) when it is one of `choices`, else the default with a note."""
    if value in choices:
        return value
    notes.append(Note("unknown", name, short(raw), default))
    return default


def parse_stack(name: str, raw: Any, notes: list[Note], default: tuple, most: int,
                parse_item: Callable[[Any, list[Note]], Any]) -> tuple:
    """A stack of layers from text ("a,b"; "" or "none" for none) or a list,
    each item read by parse_item(item, notes) (None: left out, with its note).
    Items beyond `most` are cut with a note; any other value gives the default."""
    if isinstance(raw, str):
        items = [] if raw.strip().lower() in ("", "none") else raw.split(",")
    elif isinstance(raw, (list, tuple)):
        items = list(raw)
    else:
        notes.append(Note("bad_value", name, short(raw), encode(default)))
        return default
    start = len(notes)
    if len(items) > most:
        notes.append(Note("too_many_layers", name, str(len(items)), str(most)))
        items = items[:most]
    layers = tuple(layer for layer in (parse_item(item, notes) for item in items)
                   if layer is not None)
    if items and not layers:
        # Nothing readable is garbage, not a request for no layers ("none"
        # asks for that): the default stack, with one note instead of one per item.
        del notes[start:]
        notes.append(Note("bad_value", name, short(raw), encode(default)))
        return default
    return layers


TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off")


def parse_bool(name: str, raw: Any, default: bool, notes: list[Note]) -> bool:
    """A yes/no word; an empty value (`?normalize=`) is no answer, so the default."""
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in TRUE_WORDS or text in FALSE_WORDS:
        return text in TRUE_WORDS
    if text == "":
        return default
    notes.append(Note("bad_value", name, short(raw), encode(default)))
    return default


# A number as the page writes one: ASCII digits, one dot, a sign, an exponent,
# or inf. float() would also read "５" and "1_000", which no page shows, so a
# link that has them was not typed from one and is noted rather than guessed.
NUMBER_TEXT = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?|[+-]?inf(inity)?",
                         re.ASCII | re.IGNORECASE)


def read_number(raw: Any) -> float:
    """`raw` as a float; ValueError for text that is no ASCII decimal number."""
    if isinstance(raw, bool):
        raise ValueError(raw)
    if isinstance(raw, str) and not NUMBER_TEXT.fullmatch(raw.strip(string.whitespace)):
        raise ValueError(raw)
    return float(raw)


def parse_number(name: str, raw: Any, kind: type, lo, hi, default, notes: list[Note]):
    """`raw` as an int or float (`kind`) clamped into lo..hi; the default,
    with a note, when it is no number (or no whole one for an int)."""
    try:
        value = read_number(raw)
        if math.isnan(value) or (kind is int and value != int(value)):
            raise ValueError
    except (ValueError, TypeError, OverflowError):
        notes.append(Note("bad_value", name, short(raw), str(default)))
        return default
    clamped = min(max(value, lo), hi)
    if clamped != value:
        notes.append(Note("clamped", name, short(raw), str(kind(clamped))))
    return kind(clamped)


# ---- link keys -----------------------------------------------------------------
def close_key(key: str, spellings: Mapping[str, str]) -> str | None:
    """The key a mistyped one most likely meant, or None. `spellings` maps
    ways of writing a key (its name, its label in lower case) to the key, so
    "layers" finds "hidden" through its label "hidden layers"."""
    word = key.strip().lower().replace("_", " ")
    match = difflib.get_close_matches(word, list(spellings), n=1, cutoff=0.6)
    return spellings[match[0]] if match else None


def listed(items: Iterable[str], most: int = 3) -> tuple[list[str], int]:
    """The first `most` items, and how many more there are."""
    items = list(items)
    return items[:most], max(0, len(items) - most)
