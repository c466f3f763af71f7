"""Input feature maps: (N, 2) raw points -> (N, F) network inputs.

The same function feeds training data and the boundary grid, so what the
network sees and what the page draws can never disagree.
"""

from __future__ import annotations

import torch

# name -> function of the two coordinates, each a (N,) tensor.
FEATURES = {
    "x1": lambda a, b: a,
    "x2": lambda a, b: b,
    "x1_sq": lambda a, b: a * a,
    "x2_sq": lambda a, b: b * b,
    "x1_x2": lambda a, b: a * b,
    "sin_x1": lambda a, b: torch.sin(a),
    "sin_x2": lambda a, b: torch.sin(b),
}


def feature_matrix(points: torch.Tensor, names: tuple[str, ...]) -> torch.Tensor:
    """(N, 2) -> (N, len(names)), columns in the order given."""
    a, b = points[:, 0], points[:, 1]
    return torch.stack([FEATURES[name](a, b) for name in names], dim=1).contiguous()
