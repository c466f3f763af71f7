"""One layer of an image network, its compact text form, and its validation.

A stack is one layer per comma-separated item: "conv:32:3:1:valid:relu"
(filters:kernel:stride:padding:activation), "maxpool:2:0" and "avgpool:2:0"
(kernel:stride, 0 = stride equals kernel, as Keras), "dense:512:relu",
"dropout:0.5", "flatten", "batchnorm"; trailing values may be left out. JSON
may also give a layer as a dict {"kind": "conv", ...} or a list ["conv", 32, 3].
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from playground.core import catalog
from playground.core.fields import Note, encode, parse_choice, parse_number, parse_stack, short

LAYER_KINDS = ("dense", "conv", "maxpool", "avgpool", "flatten", "dropout", "batchnorm")
POOL_KINDS = ("maxpool", "avgpool")
PADDINGS = ("valid", "same")
MAX_IMAGE_LAYERS = 12

# The fields that mean something for each kind, in the order of the text form.
LAYER_FIELDS: dict[str, tuple[str, ...]] = {
    "dense": ("units", "activation"),
    "conv": ("filters", "kernel", "stride", "padding", "activation"),
    "maxpool": ("kernel", "stride"),
    "avgpool": ("kernel", "stride"),
    "flatten": (),
    "dropout": ("rate",),
    "batchnorm": (),
}

# Defaults of every field, and the pools' own (Keras: a 2x2 window, stride = window).
BASE_DEFAULTS: dict[str, Any] = {
    "units": 64, "filters": 32, "kernel": 3, "stride": 1, "padding": "valid",
    "activation": "relu", "rate": 0.5,
}  # fmt: skip
POOL_DEFAULTS: dict[str, int] = {"kernel": 2, "stride": 0}

# (min, max) of the numeric fields; pools have their own kernel and stride ranges.
LAYER_LIMITS: dict[str, tuple[float, float]] = {
    "units": (1, 1024), "filters": (1, 256), "kernel": (1, 11), "stride": (1, 4),
    "rate": (0.0, 0.9),
}  # fmt: skip
POOL_LIMITS: dict[str, tuple[int, int]] = {"kernel": (1, 8), "stride": (0, 8)}


def layer_default(kind: str, name: str) -> Any:
    return (POOL_DEFAULTS if kind in POOL_KINDS else {}).get(name, BASE_DEFAULTS[name])


@dataclass(frozen=True)
class ImageLayer:
    """One layer of the stack (never the output layer: the builder adds it).

    Fields a kind does not use are reset to their defaults, so equal layers
    compare equal; None takes the kind's default. `parse_layer` checks ranges.
    """

    kind: str  # one of LAYER_KINDS
    units: int = 64  # dense, 1..1024
    filters: int = 32  # conv, 1..256
    kernel: int | None = None  # conv 1..11 (default 3), pools 1..8 (default 2)
    stride: int | None = None  # conv 1..4 (default 1); pools 0..8, 0 = "= kernel" (default)
    padding: str = "valid"  # conv: "valid" (none) or "same" (out = ceil(in / stride))
    activation: str = "relu"  # dense, conv: a catalog.ACTIVATIONS name; "linear" = none
    rate: float = 0.5  # dropout, 0..0.9

    def __post_init__(self):
        if self.kind not in LAYER_FIELDS:
            raise ValueError(f"unknown layer kind {self.kind!r}; parse_layer reports these")
        for name in BASE_DEFAULTS:
            if name not in LAYER_FIELDS[self.kind] or getattr(self, name) is None:
                object.__setattr__(self, name, layer_default(self.kind, name))

    # Constructors that read like Keras.
    @classmethod
    def conv(cls, filters=32, kernel=3, stride=1, padding="valid", activation="relu"):
        return cls("conv", filters=filters, kernel=kernel, stride=stride, padding=padding,
                   activation=activation)  # fmt: skip

    @classmethod
    def dense(cls, units=64, activation="relu"):
        return cls("dense", units=units, activation=activation)

    @classmethod
    def pool(cls, kind="maxpool", kernel=2, stride=0):
        return cls(kind, kernel=kernel, stride=stride)

    @property
    def pool_stride(self) -> int:
        """The stride a pool really uses (0 stands for the kernel size)."""
        return self.stride or self.kernel

    def encode(self) -> str:
        """Compact text form, e.g. "conv:32:3:1:valid:relu"; parse_layer reads it back."""
        values = (encode(getattr(self, name)) for name in LAYER_FIELDS[self.kind])
        return ":".join([self.kind, *values])

    def __repr__(self) -> str:  # only the fields that mean something
        return f"ImageLayer<{self.encode()}>"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, **{n: getattr(self, n) for n in LAYER_FIELDS[self.kind]}}

    plain = to_dict  # the form a JSON file holds (playground.core.fields.plain)


DEFAULT_LAYERS = (ImageLayer("flatten"), ImageLayer.dense(64, "relu"))


# A stack's link text: "conv:32:3:1:valid:relu,flatten", or "none" when empty.
encode_layers = encode


def parse_layers(raw: Any, notes: list[Note]) -> tuple[ImageLayer, ...]:
    """A stack as text ("conv:32:3,maxpool:2"), or a list of texts, dicts or lists."""
    return parse_stack("layers", raw, notes, DEFAULT_LAYERS, MAX_IMAGE_LAYERS, parse_layer)


def parse_layer(item: Any, notes: list[Note]) -> ImageLayer | None:
    """One layer from text, a dict, a list or an ImageLayer. Bad values are
    clamped or replaced with a Note each; None (noted) when it cannot be read."""
    if isinstance(item, ImageLayer):
        item = item.to_dict()
    if isinstance(item, str):
        kind, *values = item.strip().split(":")
    elif isinstance(item, (list, tuple)) and item:
        kind, *values = item
    elif isinstance(item, Mapping):
        kind, values = item.get("kind"), dict(item)
    else:
        kind, values = None, []
    kind = kind.strip().lower() if isinstance(kind, str) else None
    names = LAYER_FIELDS.get(kind, ())
    if kind not in LAYER_FIELDS or (isinstance(values, list) and len(values) > len(names)):
        notes.append(Note("bad_image_layer", "layers", short(item)))
        return None
    if isinstance(values, dict):
        for key in values:
            if key != "kind" and key not in BASE_DEFAULTS:  # other kinds' fields: silent
                notes.append(Note("ignored", f"layers.{short(key)}", short(values[key])))
        given = {name: values[name] for name in names if name in values}
    else:
        given = {name: v for name, v in zip(names, values) if str(v).strip() != ""}
    return ImageLayer(kind, **{name: _field(kind, name, v, notes) for name, v in given.items()})


def _field(kind: str, name: str, raw: Any, notes: list[Note]) -> Any:
    default = layer_default(kind, name)
    if name in ("padding", "activation"):
        choices = PADDINGS if name == "padding" else catalog.ACTIVATIONS
        return parse_choice(name, raw, str(raw).strip().lower(), choices, default, notes)
    lo, hi = (POOL_LIMITS if kind in POOL_KINDS else LAYER_LIMITS)[name]
    return parse_number(name, raw, float if name == "rate" else int, lo, hi, default, notes)


assert {f.name for f in fields(ImageLayer)} == {"kind", *BASE_DEFAULTS}
