"""The ImageExperiment: one validated description of an image-classifier run.

The image counterpart of playground.dense.spec.Experiment, with the same contract:
widgets, URL queries and JSON files all go through `ImageExperiment.parse`,
which clamps numbers, replaces unknown names and drops unreadable layers,
reporting each change as a `Note`; it never raises.

Layers and their text form ("conv:32:3:1:valid:relu,maxpool:2:0,...") live in
playground/image_layers.py and are re-exported here. The output layer is never
in the stack: the model builder appends Dense(n_classes), softmax in the loss.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from functools import cache
from typing import Any

from playground.core import catalog
from playground.data.images import IMAGE_DATASETS, part_sizes
from playground.dense.spec import Note, _encode, _parse_field, _short, read_json_object
from playground.images.layers import (
    DEFAULT_LAYERS,
    LAYER_KINDS,
    MAX_IMAGE_LAYERS,
    ImageLayer,
    encode_layers,
    parse_layer,
    parse_layers,
)
from playground.images.presets import PRESET_KEYS, PRESETS

__all__ = [
    "DATASET_SHAPES", "DATASET_SIZES", "DEFAULT_LAYERS", "LAYER_KINDS", "MAX_IMAGE_LAYERS",
    "N_CLASSES", "ImageExperiment", "ImageLayer", "Note", "apply_preset", "encode_layers",
    "matches_preset", "parse_layer", "parse_layers", "preset_values",
]  # fmt: skip

DATASET_SIZES: dict[str, int] = {name: meta.size for name, meta in IMAGE_DATASETS.items()}
DATASET_SHAPES: dict[str, tuple[int, int, int]] = {
    name: meta.shape for name, meta in IMAGE_DATASETS.items()
}
N_CLASSES = 10  # digits, MNIST and Fashion-MNIST all have ten classes


def _limits(lo, hi, **meta):
    return {"min": lo, "max": hi, **meta}


@dataclass(frozen=True)
class ImageExperiment:
    # Data. `subset` images are drawn (class-stratified, seeded) from the set,
    # never more than it has; they are split into train / validation / test.
    dataset: str = field(default="digits", metadata={"choices": tuple(IMAGE_DATASETS)})
    subset: int = field(default=5000, metadata=_limits(500, 70_000))
    val_ratio: float = field(default=0.1, metadata=_limits(0.05, 0.3))
    test_ratio: float = field(default=0.2, metadata=_limits(0.1, 0.3))
    normalize: bool = True  # standardise pixels with the training part's mean and std
    seed: int = field(default=1, metadata=_limits(0, 2**31 - 1))

    # Network: the stack without its output layer (see the module docstring).
    # An empty stack is logistic regression on the flattened pixels.
    layers: tuple[ImageLayer, ...] = DEFAULT_LAYERS

    # Training.
    optimizer: str = field(default="adam", metadata={"choices": catalog.OPTIMIZERS})
    lr: float = field(default=0.001, metadata=_limits(1e-5, 1.0))
    batch_size: int = field(default=64, metadata=_limits(1, 1024))
    weight_decay: float = field(default=0.0, metadata=_limits(0.0, 0.1))  # L2
    early_stopping: bool = False  # stop when validation loss stops improving
    patience: int = field(default=3, metadata=_limits(1, 20))  # epochs without improvement
    max_epochs: int = field(default=20, metadata=_limits(1, 200))  # training stops here
    augment: bool = False  # small random shifts of the training images
    mixed_precision: bool = False  # autocast on a GPU; ignored on the CPU

    # The preset this spec came from; "custom" once any of its values changed.
    preset: str = field(default="custom", metadata={"choices": ("custom", *PRESETS)})

    # ---- derived -------------------------------------------------------
    @property
    def input_shape(self) -> tuple[int, int, int]:
        return DATASET_SHAPES[self.dataset]  # (C, H, W)

    @property
    def n_classes(self) -> int:
        return N_CLASSES

    @property
    def n_images(self) -> int:
        """Images used: the subset, silently capped at the dataset's size."""
        return min(self.subset, DATASET_SIZES[self.dataset])

    @property
    def n_test(self) -> int:
        return part_sizes(self.n_images, self.test_ratio, self.val_ratio)[0]

    @property
    def n_val(self) -> int:
        return part_sizes(self.n_images, self.test_ratio, self.val_ratio)[1]

    @property
    def n_train(self) -> int:
        return self.n_images - self.n_test - self.n_val

    # ---- parsing -------------------------------------------------------
    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> tuple[ImageExperiment, list[Note]]:
        """Any mapping (widgets, URL query, JSON) -> a valid ImageExperiment + notes.

        Missing keys take defaults silently, except that a named preset fills
        in the keys it sets; unknown keys are ignored with a note; bad values
        are clamped or replaced with a note each.
        """
        notes: list[Note] = []
        known = {f.name: f for f in fields(cls)}
        for key in raw:
            if key not in known:
                notes.append(Note("ignored", str(key), _short(raw[key])))
        raw = {k: v for k, v in raw.items() if k in known}
        if "preset" in raw:
            preset = _parse_field(known["preset"], raw["preset"], notes)
            raw = {**PRESETS.get(preset, {}), **raw, "preset": preset}
        values = {name: _parse_value(known[name], value, notes) for name, value in raw.items()}
        return cls(**values)._consistent(notes), notes

    def _consistent(self, notes: list[Note]) -> ImageExperiment:
        """Fix combinations that are each valid alone but not together."""
        spec = self
        if spec.batch_size > spec.n_train:
            notes.append(Note("clamped", "batch_size", str(spec.batch_size), str(spec.n_train)))
            spec = replace(spec, batch_size=spec.n_train)
        if spec.preset != "custom" and not matches_preset(spec, spec.preset):
            spec = replace(spec, preset="custom")  # a label, not a setting: no note
        return spec

    # ---- serialising ---------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict; `parse(to_dict())` gives the same ImageExperiment."""
        d = asdict(self)
        d["layers"] = [layer.to_dict() for layer in self.layers]
        return d

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_json(cls, text: str) -> tuple[ImageExperiment, list[Note]]:
        raw, notes = read_json_object(text)
        return (cls(), notes) if raw is None else cls.parse(raw)

    def to_query(self) -> dict[str, str]:
        """Flat str -> str dict for a URL: only the fields that differ from the defaults."""
        default = ImageExperiment()
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value != getattr(default, f.name):
                out[f.name] = encode_layers(value) if f.name == "layers" else _encode(value)
        return out

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> tuple[ImageExperiment, list[Note]]:
        return cls.parse(dict(query))


# ---- presets -----------------------------------------------------------------
@cache
def preset_values(name: str) -> dict[str, Any]:
    """A preset's overrides as parsed field values (layers as ImageLayer tuples)."""
    overrides = PRESETS[name]
    assert set(overrides) <= set(PRESET_KEYS), f"preset {name} sets {set(overrides)}"
    known = {f.name: f for f in fields(ImageExperiment)}
    notes: list[Note] = []
    values = {key: _parse_value(known[key], value, notes) for key, value in overrides.items()}
    assert not notes, f"preset {name} is not valid: {notes}"
    return values


def matches_preset(spec: ImageExperiment, name: str) -> bool:
    return name in PRESETS and all(
        getattr(spec, key) == value for key, value in preset_values(name).items()
    )


def apply_preset(spec: ImageExperiment, name: str) -> ImageExperiment:
    """The spec with a preset's layers and training settings; data and seed are kept.
    "custom" only relabels. Raises KeyError for a name that is no preset."""
    if name == "custom":
        return replace(spec, preset="custom")
    raw = {**spec.to_dict(), **PRESETS[name], "preset": name}
    return ImageExperiment.parse(raw)[0]


def _parse_value(f, raw: Any, notes: list[Note]) -> Any:
    return parse_layers(raw, notes) if f.name == "layers" else _parse_field(f, raw, notes)
