"""The ImageExperiment: one validated description of an image-classifier run.

The image counterpart of playground.dense.spec.Experiment, parsed the same way
(playground.core.fields). Layers and their text form live in layers.py, presets
in presets.py. The stack never holds the output layer: the model builder
appends Dense(n_classes), its softmax in the loss.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from playground.core import catalog
from playground.core.fields import Note, Spec, choice, fit_batch, number, parsed
from playground.data.images import IMAGE_DATASETS, part_sizes
from playground.images.layers import DEFAULT_LAYERS, ImageLayer, parse_layers
from playground.images.presets import PRESETS, matches_preset, preset_values

DATASET_SIZES: dict[str, int] = {name: meta.size for name, meta in IMAGE_DATASETS.items()}
DATASET_SHAPES: dict[str, tuple[int, int, int]] = {
    name: meta.shape for name, meta in IMAGE_DATASETS.items()
}
N_CLASSES = 10  # digits, MNIST and Fashion-MNIST all have ten classes


@dataclass(frozen=True)
class ImageExperiment(Spec):
    # Data. `subset` images are drawn (class-stratified, seeded) from the set,
    # never more than it has; they are split into train / validation / test.
    dataset: str = choice("digits", IMAGE_DATASETS)
    subset: int = number(5000, 500, 70_000)
    val_ratio: float = number(0.1, 0.05, 0.3)
    test_ratio: float = number(0.2, 0.1, 0.3)
    normalize: bool = True  # standardise pixels with the training part's mean and std
    seed: int = number(1, 0, 2**31 - 1)

    # Network: the stack without its output layer (see the module docstring).
    # An empty stack is logistic regression on the flattened pixels.
    layers: tuple[ImageLayer, ...] = parsed(DEFAULT_LAYERS, parse_layers)

    # Training.
    optimizer: str = choice("adam", catalog.OPTIMIZERS)
    lr: float = number(0.001, 1e-5, 1.0)
    batch_size: int = number(64, 1, 1024)
    weight_decay: float = number(0.0, 0.0, 0.1)  # L2
    early_stopping: bool = False  # stop when validation loss stops improving
    patience: int = number(3, 1, 20)  # epochs without improvement
    max_epochs: int = number(20, 1, 200)  # training stops here
    augment: bool = False  # small random shifts of the training images
    mixed_precision: bool = False  # autocast on a GPU; ignored on the CPU

    # The preset this spec came from; "custom" once any of its values changed.
    # A named preset fills in the keys it sets that the input leaves out.
    preset: str = choice("custom", ("custom", *PRESETS))

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

    def consistent(self, raw: Mapping[str, Any], notes: list[Note]) -> ImageExperiment:
        spec = self
        if spec.preset != "custom":
            values = preset_values(ImageExperiment, spec.preset)
            spec = replace(spec, **{k: v for k, v in values.items() if k not in raw})
        spec = fit_batch(spec, notes)
        if spec.preset != "custom" and not matches_preset(spec, spec.preset):
            spec = replace(spec, preset="custom")  # a label, not a setting: no note
        return spec
