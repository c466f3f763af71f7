"""Named image networks: dicts of overrides on an ImageExperiment.

A preset sets the layer stack and training settings of a classic primer model
and nothing else, so "cnn" can be tried on digits or on Fashion-MNIST alike.
Values are written as a link writes them and parsed like any input. The spec
class is passed in, so this module needs nothing from images/spec.py (which
reads PRESETS). Parameter counts are on a 28x28 input; tests check them.
"""

from __future__ import annotations

from dataclasses import replace
from functools import cache
from typing import Any

# Keys a preset may set; everything else stays as it was.
PRESET_KEYS = ("layers", "optimizer", "lr", "batch_size")


def _preset(layers: str, batch_size: int, optimizer: str = "adam", lr: float = 0.001) -> dict:
    return {"layers": layers, "optimizer": optimizer, "lr": lr, "batch_size": batch_size}


PRESETS: dict[str, dict] = {
    # Small and fast: the default network, sized for the 8x8 digits.
    "digits_mlp": _preset("flatten,dense:64:relu", 64),
    # Two same-padded convolutions that fit an 8x8 image (8 -> 4 -> 2).
    "digits_cnn": _preset("conv:16:3:1:same:relu,maxpool:2:0,conv:32:3:1:same:relu,maxpool:2:0,"
                          "flatten,dense:64:relu", 64),
    # Deep Learning with Python, chapter 2: Dense(512, relu) on 784 pixels,
    # RMSprop, batch 128 (defined on MNIST). 407,050 parameters.
    "mlp512": _preset("dense:512:relu", 128, optimizer="rmsprop"),
    # The TensorFlow beginner quickstart without its Dropout(0.2): Flatten,
    # Dense(128, relu), Adam at Keras's defaults (lr 0.001, batch 32). 101,770 parameters.
    "mlp128": _preset("flatten,dense:128:relu", 32),
    # Two small hidden layers with a bold learning rate. 55,050 parameters.
    "mlp64x2": _preset("dense:64:relu,dense:64:relu", 32, lr=0.01),
    # The TensorFlow CNN tutorial's stack on one channel: 93,322 parameters.
    "cnn": _preset("conv:32:3:1:valid:relu,maxpool:2:0,conv:64:3:1:valid:relu,maxpool:2:0,"
                   "conv:64:3:1:valid:relu,flatten,dense:64:relu", 64),
}


@cache
def preset_values(spec_class, name: str) -> dict[str, Any]:
    """A preset's overrides as parsed field values (layers as ImageLayer tuples)."""
    overrides = PRESETS[name]
    assert set(overrides) <= set(PRESET_KEYS), f"preset {name} sets {set(overrides)}"
    spec, notes = spec_class.parse(overrides)
    assert not notes, f"preset {name} is not valid: {notes}"
    return {key: getattr(spec, key) for key in overrides}


def matches_preset(spec, name: str) -> bool:
    return name in PRESETS and all(
        getattr(spec, key) == value for key, value in preset_values(type(spec), name).items()
    )


def apply_preset(spec, name: str):
    """The spec with a preset's layers and training settings; data and seed are kept.
    "custom" only relabels. Raises KeyError for a name that is no preset."""
    if name == "custom":
        return replace(spec, preset="custom")
    return type(spec).parse({**spec.to_dict(), **PRESETS[name], "preset": name})[0]
