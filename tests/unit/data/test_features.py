"""Feature maps: each column is its formula, in the order the names are given."""

from __future__ import annotations

import itertools

import pytest
import torch

from playground.core import catalog
from playground.data.features import FEATURES, feature_matrix

FORMULAS = {
    "x1": lambda a, b: a,
    "x2": lambda a, b: b,
    "x1_sq": lambda a, b: a**2,
    "x2_sq": lambda a, b: b**2,
    "x1_x2": lambda a, b: a * b,
    "sin_x1": lambda a, b: torch.sin(a),
    "sin_x2": lambda a, b: torch.sin(b),
}


@pytest.fixture
def points() -> torch.Tensor:
    g = torch.Generator().manual_seed(0)
    return (torch.rand(50, 2, generator=g) * 12 - 6).float()


def test_catalog_offers_exactly_these_features_in_this_order():
    assert catalog.FEATURE_NAMES == tuple(FORMULAS)
    assert tuple(FEATURES) == tuple(FORMULAS)


@pytest.mark.parametrize("name", list(FORMULAS))
def test_single_feature_equals_its_formula(points, name):
    out = feature_matrix(points, (name,))
    assert out.shape == (50, 1)
    expected = FORMULAS[name](points[:, 0], points[:, 1])
    torch.testing.assert_close(out[:, 0], expected, rtol=0, atol=1e-6)


def test_known_values_at_a_hand_picked_point():
    pts = torch.tensor([[2.0, -3.0], [0.0, 0.5]])
    out = feature_matrix(pts, catalog.FEATURE_NAMES)
    s2, s3, s05 = torch.sin(torch.tensor([2.0, -3.0, 0.5])).tolist()
    expected = torch.tensor([
        [2.0, -3.0, 4.0, 9.0, -6.0, s2, s3],
        [0.0, 0.5, 0.0, 0.25, 0.0, 0.0, s05],
    ])
    torch.testing.assert_close(out, expected)


def test_all_features_column_by_column(points):
    out = feature_matrix(points, catalog.FEATURE_NAMES)
    assert out.shape == (50, len(FORMULAS))
    for j, name in enumerate(catalog.FEATURE_NAMES):
        torch.testing.assert_close(out[:, j], FORMULAS[name](points[:, 0], points[:, 1]))


@pytest.mark.parametrize(
    "names",
    [
        ("x2", "x1"),
        ("sin_x2", "x1_sq", "x1"),
        tuple(reversed(catalog.FEATURE_NAMES)),
        *itertools.islice(itertools.permutations(("x1_x2", "x2_sq", "sin_x1")), 6),
    ],
)
def test_columns_follow_the_order_of_the_names(points, names):
    out = feature_matrix(points, names)
    assert out.shape == (50, len(names))
    for j, name in enumerate(names):
        torch.testing.assert_close(out[:, j], FORMULAS[name](points[:, 0], points[:, 1]))


def test_output_is_contiguous_float32(points):
    out = feature_matrix(points, ("x2", "x1_x2", "x1"))
    assert out.dtype == torch.float32
    assert out.is_contiguous()


def test_repeated_name_gives_repeated_column(points):
    out = feature_matrix(points, ("x1", "x1"))
    torch.testing.assert_close(out[:, 0], out[:, 1])


def test_unknown_feature_name_raises(points):
    with pytest.raises(KeyError):
        feature_matrix(points, ("x3",))
