"""The learner's drawing -> an image preprocessed like MNIST or sklearn's digits."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image
from sklearn.datasets import load_digits

from playground.data.handwriting import load_upload, prepare_digit, to_grayscale


def canvas(size=280) -> np.ndarray:
    """An empty drawing canvas: (size, size, 4) RGBA, transparent (reads as white paper)."""
    return np.zeros((size, size, 4), dtype=np.uint8)


def stroke(image: np.ndarray, rows: slice, cols: slice) -> np.ndarray:
    image[rows, cols] = (0, 0, 0, 255)  # opaque black ink
    return image


def centre_of_mass(frame: np.ndarray) -> tuple[float, float]:
    rows, cols = np.indices(frame.shape)
    mass = frame.sum()
    return (rows * frame).sum() / mass, (cols * frame).sum() / mass


def ink_box(frame: np.ndarray, level=0.1) -> tuple[int, int]:
    rows = np.flatnonzero((frame > level).any(axis=1))
    cols = np.flatnonzero((frame > level).any(axis=0))
    return rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1


# --- to_grayscale ---------------------------------------------------------------------------


def test_dark_ink_on_a_canvas_becomes_light_on_dark():
    gray = to_grayscale(stroke(canvas(50), slice(10, 40), slice(20, 25)))
    assert gray.shape == (50, 50) and gray.dtype == np.float32
    assert gray[20, 22] == pytest.approx(1.0) and gray[0, 0] == pytest.approx(0.0)


def test_white_rgb_paper_and_float_input_agree():
    rgb = np.full((30, 30, 3), 255, np.uint8)
    rgb[5:25, 12:16] = 0
    as_uint8 = to_grayscale(rgb)
    np.testing.assert_allclose(to_grayscale(rgb / 255.0), as_uint8, atol=1e-6)
    np.testing.assert_allclose(to_grayscale(rgb.astype(np.float64)), as_uint8, atol=1e-6)
    assert as_uint8[10, 13] == pytest.approx(1.0) and as_uint8[0, 0] == pytest.approx(0.0)


def test_light_ink_on_black_is_kept_as_it_is():
    mnist_like = np.zeros((28, 28), np.uint8)
    mnist_like[5:20, 10:14] = 255
    gray = to_grayscale(mnist_like)
    assert gray[10, 12] == pytest.approx(1.0) and gray[0, 0] == 0.0


def test_half_transparent_ink_is_half_ink():
    image = canvas(20)
    image[5:15, 5:15] = (0, 0, 0, 128)
    assert to_grayscale(image)[10, 10] == pytest.approx(128 / 255, abs=1e-3)


def test_bad_shapes_are_refused():
    with pytest.raises(ValueError, match="channels"):
        to_grayscale(np.zeros((10, 10, 2), np.uint8))
    with pytest.raises(ValueError):
        to_grayscale(np.zeros((2, 10, 10, 3), np.uint8))


# --- prepare_digit --------------------------------------------------------------------------


@pytest.mark.parametrize("image", [canvas(), np.full((100, 100, 3), 255, np.uint8),
                                   np.zeros((28, 28), np.uint8)])  # fmt: skip
def test_blank_gives_none(image):
    assert prepare_digit(image, 28) is None
    assert prepare_digit(image, 8) is None


def test_faint_smudge_is_still_blank():
    paper = np.full((60, 60), 250, np.uint8)
    paper[20:30, 20:30] = 240  # 4% darker: not a stroke
    assert prepare_digit(paper, 28) is None


def test_stroke_becomes_a_centred_mnist_style_digit():
    digit = prepare_digit(stroke(canvas(), slice(40, 240), slice(90, 190)), 28)
    assert digit.shape == (1, 28, 28) and digit.dtype == np.float32
    frame = digit[0]
    assert frame.max() == pytest.approx(1.0) and frame.min() >= 0.0
    assert frame[0].max() == 0 and frame[:, 0].max() == 0  # dark background
    cy, cx = centre_of_mass(frame)
    assert abs(cy - 13.5) <= 1 and abs(cx - 13.5) <= 1
    assert max(ink_box(frame)) == 20  # the longer side is 20 px, as in MNIST


def test_off_centre_stroke_gets_centred():
    corner = prepare_digit(stroke(canvas(), slice(5, 60), slice(200, 230)), 28)[0]
    middle = prepare_digit(stroke(canvas(), slice(110, 165), slice(120, 150)), 28)[0]
    cy, cx = centre_of_mass(corner)
    assert abs(cy - 13.5) <= 1 and abs(cx - 13.5) <= 1
    np.testing.assert_allclose(corner, middle, atol=1e-5)  # where it was drawn does not matter


def test_an_l_shape_centres_its_mass_not_its_box():
    image = stroke(canvas(), slice(40, 240), slice(60, 90))  # the upright
    image = stroke(image, slice(210, 240), slice(60, 220))  # the foot
    frame = prepare_digit(image, 28)[0]
    cy, cx = centre_of_mass(frame)
    assert abs(cy - 13.5) <= 1 and abs(cx - 13.5) <= 1


def test_tall_thin_stroke_stays_tall():
    frame = prepare_digit(stroke(canvas(), slice(20, 260), slice(130, 150)), 28)[0]
    height, width = ink_box(frame)
    assert height == 20 and width <= 4


def test_digits_style_output():
    digit = prepare_digit(stroke(canvas(), slice(40, 240), slice(90, 190)), 8, mnist_style=False)
    assert digit.shape == (1, 8, 8) and digit.dtype == np.float32
    assert digit.max() == pytest.approx(1.0) and digit.min() >= 0.0
    assert ink_box(digit[0])[0] == 8  # like sklearn's digits, top to bottom
    assert prepare_digit(stroke(canvas(), slice(40, 240), slice(90, 190)), 8).shape == (1, 8, 8)


def as_canvas(digit: np.ndarray, side=200) -> np.ndarray:
    """An 8x8 sklearn digit (0..16) as a drawing: dark ink on white, side x side RGB."""
    paper = (255 - digit / 16 * 255).astype(np.uint8)
    big = Image.fromarray(paper).resize((side, side), Image.Resampling.BILINEAR)
    return np.stack([np.asarray(big)] * 3, axis=-1)


def test_a_real_digit_drawn_large_comes_back_like_the_data():
    images = load_digits().images  # (1797, 8, 8) values 0..16
    scores = []
    for original in images[:30]:
        prepared = prepare_digit(as_canvas(original), 8)[0]
        scores.append(np.corrcoef(prepared.ravel(), original.ravel())[0, 1])
    assert scores[0] > 0.8
    assert np.median(scores) > 0.9 and np.mean(scores) > 0.8


# --- load_upload ----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_upload_round_trip(fmt):
    picture = np.full((40, 30, 3), 255, np.uint8)
    picture[10:30, 12:18] = 0
    buffer = io.BytesIO()
    Image.fromarray(picture).save(buffer, format=fmt)
    decoded = load_upload(buffer.getvalue())
    assert decoded.shape == (40, 30, 4) and decoded.dtype == np.uint8
    assert prepare_digit(decoded, 28) is not None


def test_huge_upload_is_shrunk():
    buffer = io.BytesIO()
    Image.new("L", (3000, 1500), 255).save(buffer, format="PNG")
    assert load_upload(buffer.getvalue()).shape == (512, 1024, 4)


@pytest.mark.parametrize("data", [b"", b"hello, not a picture", b"\x89PNG\r\n\x1a\n broken"])
def test_non_image_upload_is_a_clear_value_error(data):
    with pytest.raises(ValueError, match="not a readable image"):
        load_upload(data)
