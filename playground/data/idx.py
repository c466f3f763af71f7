"""MNIST and Fashion-MNIST: the published IDX files, fetched once, checked and cached.

IDX is the tiny format those files use: two zero bytes, a type code, the
number of dimensions, one big-endian int32 per dimension, then the values in
C order. The published files are gzip-compressed IDX.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import os
import tempfile
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np

# Refused or unresolved hosts, timeouts, resets, cut-off bodies: no usable network.
NETWORK_ERRORS = (urllib.error.URLError, TimeoutError, ConnectionError, http.client.HTTPException)
ROLES = ("train_images", "train_labels", "test_images", "test_labels")
CHUNK = 64 * 1024

# IDX type code -> big-endian numpy dtype of one value.
IDX_DTYPES = {0x08: np.dtype(">u1"), 0x09: np.dtype(">i1"), 0x0B: np.dtype(">i2"),
              0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}


class IdxError(ValueError):
    """The bytes are not a well-formed IDX file."""


class DataUnavailable(Exception):
    """A data set could not be obtained; the page shows `reason` translated.

    reason is one of "offline", "checksum", "corrupt", "http" (keep stable:
    the translation tables key on it); detail is English for logs.
    """

    def __init__(self, reason: str, detail: str):
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class Source:
    mirrors: tuple[str, ...]  # base URLs, tried in order
    files: dict[str, tuple[str, str]]  # role -> (file name, md5 hex)


SOURCES = {
    "mnist": Source(
        mirrors=(
            "https://ossci-datasets.s3.amazonaws.com/mnist/",
            "http://yann.lecun.com/exdb/mnist/",
        ),
        files={
            "train_images": ("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
            "train_labels": ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
            "test_images": ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
            "test_labels": ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"),
        },
    ),
    "fashion": Source(
        mirrors=("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
        files={
            "train_images": ("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
            "train_labels": ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
            "test_images": ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
            "test_labels": ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310"),
        },
    ),
}


def parse_idx(raw: bytes) -> np.ndarray:
    """IDX bytes (plain or gzip) -> array of the stated shape, native byte order."""
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as err:
            raise IdxError(f"corrupt gzip data: {err}") from err
    if len(raw) < 4:
        raise IdxError(f"too short for an IDX header: {len(raw)} bytes")
    if raw[0] != 0 or raw[1] != 0:
        raise IdxError(f"bad magic: expected 00 00, found {raw[0]:02x} {raw[1]:02x}")
    code, ndim = raw[2], raw[3]
    if code not in IDX_DTYPES:
        raise IdxError(f"unknown IDX type code 0x{code:02x}")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise IdxError(f"header says {ndim} dimensions but the file ends after {len(raw)} bytes")
    shape = tuple(int(d) for d in np.frombuffer(raw, ">i4", count=ndim, offset=4))
    dtype = IDX_DTYPES[code]
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    body = len(raw) - header
    if body < expected:
        raise IdxError(f"truncated: dimensions {shape} need {expected} bytes, found {body}")
    if body > expected:
        raise IdxError(f"{body - expected} unexpected bytes after the data of shape {shape}")
    values = np.frombuffer(raw, dtype, offset=header).reshape(shape)
    return values.astype(dtype.newbyteorder("="))


def cache_dir() -> Path:
    """Where downloads live: $PLAYGROUND_DATA_DIR, else the user's cache folder."""
    if explicit := os.environ.get("PLAYGROUND_DATA_DIR"):
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "nn-playground"


def is_cached(name: str, root: Path | None = None, sources: dict | None = None) -> bool:
    """All four files on disk (not checked): the page asks before offering a download."""
    folder = (root or cache_dir()) / name
    files = (sources or SOURCES)[name].files.values()
    return all((folder / fname).is_file() for fname, _ in files)


def md5_of(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def fetch(name: str, *, root: Path | None = None, sources: dict | None = None,
          progress: Callable[[int, int], None] | None = None,
          timeout: float = 30) -> dict[str, np.ndarray]:
    """Data set name -> {role: array}: images (N, 28, 28) uint8, labels (N,) uint8.

    Cached files are reused when their md5 matches; anything else is
    downloaded. Raises DataUnavailable when the data cannot be had.
    """
    source = (sources or SOURCES)[name]  # looked up now, so tests can swap SOURCES
    folder = (root or cache_dir()) / name
    folder.mkdir(parents=True, exist_ok=True)
    missing = [role for role in ROLES if not has_good_file(folder, source.files[role])]
    download_all(source, missing, folder, progress, timeout)
    arrays = {role: read_cached(folder / source.files[role][0]) for role in ROLES}
    for part in ("train", "test"):
        n_images, n_labels = len(arrays[f"{part}_images"]), len(arrays[f"{part}_labels"])
        if n_images != n_labels:
            raise DataUnavailable("corrupt", f"{part}: {n_images} images but {n_labels} labels")
    return arrays


def has_good_file(folder: Path, entry: tuple[str, str]) -> bool:
    fname, md5 = entry
    path = folder / fname
    return path.is_file() and md5_of(path) == md5


def read_cached(path: Path) -> np.ndarray:
    """Parse a cached file; a bad one is deleted so that the next try downloads it again."""
    try:
        return parse_idx(path.read_bytes())
    except IdxError as err:
        path.unlink(missing_ok=True)
        raise DataUnavailable("corrupt", f"{path.name}: {err}") from err


def download_all(source, roles, folder, progress, timeout) -> None:
    """Download each role's file, reporting bytes done over all files.

    The total is the sum of the Content-Lengths, so it is only known once every
    file has answered; until then progress gets total 0 (show bytes, not a bar).
    """
    done = 0
    sizes: dict[str, int] = {}

    def report(role: str, got: int, size: int) -> None:
        sizes[role] = size
        total = sum(sizes.values()) if len(sizes) == len(roles) and all(sizes.values()) else 0
        if progress is not None:
            progress(done + got, total)

    for role in roles:
        done += download_one(source, source.files[role], folder, timeout, partial(report, role))


def download_one(source, entry, folder, timeout, report) -> int:
    """Try each mirror until one gives a file with the right md5; returns its size."""
    fname, md5 = entry
    failures: list[tuple[str, str]] = []  # (reason, detail) per mirror
    for base in source.mirrors:
        url = base + fname
        try:
            size = stream_to(url, folder / fname, md5, timeout, report)
        except urllib.error.HTTPError as err:
            failures.append(("http", f"{url}: HTTP {err.code}"))
            continue
        except NETWORK_ERRORS as err:
            failures.append(("offline", f"{url}: {getattr(err, 'reason', err)}"))
            continue
        if size is not None:
            return size
        failures.append(("checksum", f"{url}: md5 differs from {md5}"))
    # The most telling failure wins: a bad file beats an HTTP error beats no network.
    reasons = [reason for reason, _ in failures]
    reason = next(r for r in ("checksum", "http", "offline") if r in reasons)
    raise DataUnavailable(reason, "; ".join(detail for _, detail in failures))


def stream_to(url: str, path: Path, md5: str, timeout: float, report) -> int | None:
    """Download url into path; returns its size, or None (and no file) when the md5 differs.

    Bytes go to a temp file next to path and are renamed in only once checked,
    so a half or wrong download never looks cached, even to another session.
    """
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    digest = hashlib.md5(usedforsecurity=False)
    try:
        with os.fdopen(handle, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as resp:
            size = int(resp.headers.get("Content-Length") or 0)
            got = 0
            report(got, size)
            for chunk in iter(lambda: resp.read(CHUNK), b""):
                out.write(chunk)
                digest.update(chunk)
                got += len(chunk)
                report(got, size)
        if digest.hexdigest() != md5:
            return None
        os.replace(tmp, path)
        return got
    finally:
        Path(tmp).unlink(missing_ok=True)
