"""Named image networks: dicts of overrides on an ImageExperiment.

A preset sets the layer stack and training settings of a classic primer model
and nothing else, so "cnn" can be tried on MNIST or on Fashion-MNIST alike;
PRESET_SIZES says which image size it needs.
Values are written as a link writes them and parsed like any input. The spec
class is passed in, so this module needs nothing from images/spec.py (which
reads PRESETS). Parameter counts are on a 28x28 input; tests check them.
Which data set a preset can use is decided in fit.py.
"""

from __future__ import annotations

from dataclasses import replace
from functools import cache
from typing import Any

# Keys a preset may set; everything else stays as it was. max_epochs is set
# by the course's models only (their published epoch count).
PRESET_KEYS = ("layers", "optimizer", "lr", "batch_size", "max_epochs")
COURSE_SIZE = (28, 28)  # (H, W) of MNIST, which the course's models are made for


def _preset(layers: str, batch_size: int, optimizer: str = "adam", lr: float = 0.001,
            **more) -> dict:
    return {"layers": layers, "optimizer": optimizer, "lr": lr, "batch_size": batch_size, **more}


PRESETS: dict[str, dict] = {
    # Small and fast: the default network, sized for the 8x8 digits.
    "digits_mlp": _preset("flatten,dense:64:relu", 64),
    # Two same-padded convolutions that fit an 8x8 image (8 -> 4 -> 2).
    "digits_cnn": _preset("conv:16:3:1:same:relu,maxpool:2:0,conv:32:3:1:same:relu,maxpool:2:0,"
                          "flatten,dense:64:relu", 64),
    # Deep Learning with Python, chapter 2: Dense(512, relu) on 784 pixels,
    # RMSprop, batch 128, 5 epochs (defined on MNIST). 407,050 parameters.
    "mlp512": _preset("dense:512:relu", 128, optimizer="rmsprop", max_epochs=5),
    # The TensorFlow beginner quickstart without its Dropout(0.2): Flatten,
    # Dense(128, relu), Adam at Keras's defaults (lr 0.001, batch 32), 5 epochs.
    # 101,770 parameters.
    "mlp128": _preset("flatten,dense:128:relu", 32, max_epochs=5),
    # Two small hidden layers with a bold learning rate. 55,050 parameters.
    # Its source gives no epoch count: 5, as the other course models.
    "mlp64x2": _preset("dense:64:relu,dense:64:relu", 32, lr=0.01, max_epochs=5),
    # The TensorFlow CNN tutorial's stack on one channel, as Deep Learning with
    # Python (1st edition, 5.1) trains it on MNIST: batch 64, 5 epochs. 93,322 parameters.
    "cnn": _preset("conv:32:3:1:valid:relu,maxpool:2:0,conv:64:3:1:valid:relu,maxpool:2:0,"
                   "conv:64:3:1:valid:relu,flatten,dense:64:relu", 64, max_epochs=5),
}

# The image size (H, W) a preset needs; None: any size. The CNN cannot run on
# 8x8 digits at all, and the dense course models are defined on 784 pixels.
PRESET_SIZES: dict[str, tuple[int, int] | None] = {
    "digits_mlp": None, "digits_cnn": None,
    "mlp512": COURSE_SIZE, "mlp128": COURSE_SIZE, "mlp64x2": COURSE_SIZE, "cnn": COURSE_SIZE,
}  # fmt: skip


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
