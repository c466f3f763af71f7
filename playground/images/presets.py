"""Named image networks: dicts of overrides on an ImageExperiment.

Each preset sets the layer stack and the training settings of a classic primer
model (optimizer, learning rate, batch size) and nothing else: the dataset,
subset and seed stay as the user chose, so "cnn" can be tried on digits or on
Fashion-MNIST alike. The output layer, Dense(10) with softmax, is never part of
a stack: the model builder always appends it.

Values are written the way a link or a JSON file writes them, and go through
`ImageExperiment.parse` like any other input (see `apply_preset`).
Parameter counts below are on a 28x28 input; tests check them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playground.images.spec import ImageExperiment

# Keys a preset may set; everything else stays as it was.
PRESET_KEYS = ("layers", "optimizer", "lr", "batch_size")

PRESETS: dict[str, dict] = {
    # Small and fast: the default network, sized for the 8x8 digits.
    "digits_mlp": {
        "layers": "flatten,dense:64:relu",
        "optimizer": "adam",
        "lr": 0.001,
        "batch_size": 64,
    },
    # Two same-padded convolutions that fit an 8x8 image (8 -> 4 -> 2).
    "digits_cnn": {
        "layers": "conv:16:3:1:same:relu,maxpool:2:0,conv:32:3:1:same:relu,maxpool:2:0,"
        "flatten,dense:64:relu",
        "optimizer": "adam",
        "lr": 0.001,
        "batch_size": 64,
    },
    # Deep Learning with Python, chapter 2: Dense(512, relu) on 784 pixels,
    # RMSprop, batch 128 (defined on MNIST). 407,050 parameters.
    "mlp512": {
        "layers": "dense:512:relu",
        "optimizer": "rmsprop",
        "lr": 0.001,
        "batch_size": 128,
    },
    # The TensorFlow beginner quickstart without its Dropout(0.2): Flatten,
    # Dense(128, relu), Adam at Keras's defaults (lr 0.001, batch 32). 101,770 parameters.
    "mlp128": {
        "layers": "flatten,dense:128:relu",
        "optimizer": "adam",
        "lr": 0.001,
        "batch_size": 32,
    },
    # Two small hidden layers with a bold learning rate. 55,050 parameters.
    "mlp64x2": {
        "layers": "dense:64:relu,dense:64:relu",
        "optimizer": "adam",
        "lr": 0.01,
        "batch_size": 32,
    },
    # The TensorFlow CNN tutorial's stack on one channel: 93,322 parameters.
    "cnn": {
        "layers": "conv:32:3:1:valid:relu,maxpool:2:0,conv:64:3:1:valid:relu,maxpool:2:0,"
        "conv:64:3:1:valid:relu,flatten,dense:64:relu",
        "optimizer": "adam",
        "lr": 0.001,
        "batch_size": 64,
    },
}


def apply_preset(spec: ImageExperiment, name: str) -> ImageExperiment:
    """The spec with a preset's layers and training settings (see image_spec.apply_preset)."""
    from playground.images import (
        spec as image_spec,  # imported here: image_spec reads PRESETS at import
    )

    return image_spec.apply_preset(spec, name)
