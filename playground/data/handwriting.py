"""The learner's own drawing or photo, turned into an image like those the network saw.

MNIST digits are light ink on black, the longer side 20 px, the centre of mass
in the middle of 28x28; sklearn's 8x8 digits count ink in 4x4 cells of a 32x32
bitmap the digit fills. A canvas gives dark strokes on white, anywhere, at any
size: without this a good network gives silly answers.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

BLANK = 0.1  # ink contrast below this counts as an empty canvas
BOX_INK = 0.1  # pixels above this share of the peak ink define the digit's box
MNIST_SIZE, MNIST_BOX = 28, 20  # frame and box side of the MNIST preprocessing
DIGITS_CELL = 4  # sklearn digits: each 8x8 value counts a 4x4 cell of a 32x32 bitmap
MAX_UPLOAD_SIDE = 1024  # phone photos are huge; a digit needs far fewer pixels


def to_grayscale(image: np.ndarray) -> np.ndarray:
    """(H, W), (H, W, 3) or (H, W, 4) uint8 or float -> (H, W) float32 ink in [0, 1].

    Transparent pixels count as white paper (a canvas's empty background is
    transparent). Ink polarity follows the border: a light border means dark
    ink on paper, which is flipped so that 1 = ink, as in MNIST.
    """
    pixels = np.asarray(image, dtype=np.float32)
    if np.issubdtype(np.asarray(image).dtype, np.integer) or pixels.max(initial=0) > 1:
        pixels = pixels / 255.0
    if pixels.ndim == 3:
        pixels = flatten_colour(pixels)
    if pixels.ndim != 2:
        raise ValueError(f"expected an (H, W), (H, W, 3) or (H, W, 4) image, got {image.shape}")
    light = np.clip(pixels, 0.0, 1.0)  # (H, W) 1 = white
    return (1.0 - light if np.median(border(light)) > 0.5 else light).astype(np.float32)


def flatten_colour(pixels: np.ndarray) -> np.ndarray:
    """(H, W, C) in [0, 1] -> (H, W) lightness, alpha composited onto white."""
    channels = pixels.shape[2]
    if channels not in (3, 4):
        raise ValueError(f"expected 3 (RGB) or 4 (RGBA) channels, got {channels}")
    # ITU-R 601 luma, the weights PIL's "L" conversion uses.
    gray = pixels[..., :3] @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    if channels == 4:
        alpha = pixels[..., 3]
        gray = alpha * gray + (1.0 - alpha)
    return gray


def border(image: np.ndarray) -> np.ndarray:
    """The outermost ring of pixels of (H, W), as one flat array."""
    return np.concatenate([image[0], image[-1], image[:, 0], image[:, -1]])


def prepare_digit(image: np.ndarray, size: int, mnist_style: bool = True) -> np.ndarray | None:
    """Drawing or photo -> (1, size, size) float32 in [0, 1] like the data, None when blank.

    size 28 with mnist_style follows the MNIST recipe; otherwise (size 8, the
    sklearn digits) the digit fills a 32x32 bitmap averaged over 4x4 cells.
    """
    ink = stretch_contrast(to_grayscale(image))
    if ink is None:
        return None
    glyph = crop_to_ink(ink)
    if mnist_style and size == MNIST_SIZE:
        frame = centre_by_mass(fit_longer_side(glyph, MNIST_BOX), MNIST_SIZE)
    else:
        frame = centre_by_box(fit_longer_side(glyph, size * DIGITS_CELL), size * DIGITS_CELL)
        frame = frame.reshape(size, DIGITS_CELL, size, DIGITS_CELL).mean(axis=(1, 3))
    peak = frame.max()
    frame = frame / peak if peak > 0 else frame  # the data's strokes reach full ink
    return frame[None].astype(np.float32)


def stretch_contrast(ink: np.ndarray) -> np.ndarray | None:
    """Paper -> 0, darkest stroke -> 1, so grey paper in a photo is not read as ink."""
    paper = float(np.median(border(ink)))
    contrast = float(ink.max()) - paper
    if contrast < BLANK:
        return None
    return np.clip((ink - paper) / contrast, 0.0, 1.0)


def crop_to_ink(ink: np.ndarray) -> np.ndarray:
    """(H, W) -> (h, w), the tight box around the pixels that are clearly ink."""
    rows = np.flatnonzero((ink > BOX_INK).any(axis=1))
    cols = np.flatnonzero((ink > BOX_INK).any(axis=0))
    return ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def fit_longer_side(glyph: np.ndarray, side: int) -> np.ndarray:
    """(h, w) -> scaled so the longer side is `side`, aspect kept, antialiased."""
    h, w = glyph.shape
    scale = side / max(h, w)
    new_w, new_h = max(1, round(w * scale)), max(1, round(h * scale))
    picture = Image.fromarray(glyph.astype(np.float32))
    resized = picture.resize((new_w, new_h), Image.Resampling.LANCZOS)
    return np.clip(np.asarray(resized), 0.0, 1.0)  # Lanczos rings slightly past [0, 1]


def centre_by_box(glyph: np.ndarray, size: int) -> np.ndarray:
    """Paste (h, w) into the middle of a (size, size) black frame."""
    h, w = glyph.shape
    return paste(glyph, size, (size - h) // 2, (size - w) // 2)


def centre_by_mass(glyph: np.ndarray, size: int) -> np.ndarray:
    """Paste (h, w) so that its centre of mass lands on the frame's centre (whole pixels)."""
    h, w = glyph.shape
    rows, cols = np.indices(glyph.shape)
    mass = glyph.sum()
    cy, cx = (rows * glyph).sum() / mass, (cols * glyph).sum() / mass
    middle = (size - 1) / 2  # pixel-index coordinates: 13.5 in a 28 frame
    top = int(np.clip(round(middle - cy), 0, size - h))
    left = int(np.clip(round(middle - cx), 0, size - w))
    return paste(glyph, size, top, left)


def paste(glyph: np.ndarray, size: int, top: int, left: int) -> np.ndarray:
    frame = np.zeros((size, size), dtype=np.float32)
    h, w = glyph.shape
    frame[top : top + h, left : left + w] = glyph
    return frame


def load_upload(data: bytes) -> np.ndarray:
    """Uploaded PNG/JPEG bytes -> (H, W, 4) uint8 RGBA, upright, at most 1024 px a side."""
    try:
        with Image.open(io.BytesIO(data)) as opened:
            opened.load()
            picture = ImageOps.exif_transpose(opened)  # phones store "rotate me" in EXIF
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as err:
        raise ValueError(f"not a readable image (PNG or JPEG expected): {err}") from err
    picture.thumbnail((MAX_UPLOAD_SIDE, MAX_UPLOAD_SIDE))
    return np.asarray(picture.convert("RGBA"))
