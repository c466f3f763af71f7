"""What we look at: the model's output over the input plane.

Probes run under inference_mode (no graph, no version counters) and return
plain numpy arrays, so charts never touch a model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from playground.data.features import feature_matrix


@dataclass(frozen=True)
class Grid:
    xs: np.ndarray  # (R,) x1 coordinates of the columns
    ys: np.ndarray  # (R,) x2 coordinates of the rows
    values: np.ndarray  # (R, R) binary/regression surface, or (R, R, K) class probabilities


def grid_points(extent: float, resolution: int) -> tuple[np.ndarray, torch.Tensor]:
    """(R,) axis and (R*R, 2) points, row-major: row i is ys[i], column j is xs[j]."""
    axis = np.linspace(-extent, extent, resolution, dtype=np.float32)
    gx, gy = np.meshgrid(axis, axis)  # (R, R) each
    pts = torch.from_numpy(np.stack([gx.ravel(), gy.ravel()], axis=1))
    return axis, pts


@torch.inference_mode()
def boundary_grid(trainer, resolution: int = 100) -> Grid:
    axis, pts = grid_points(trainer.data.extent, resolution)
    x = feature_matrix(pts, trainer.spec.features).to(trainer.device)  # (R*R, F)
    trainer.model.eval()
    surface = trainer.head.surface(trainer.model(x)).float().cpu().numpy()
    shape = (resolution, resolution) + surface.shape[1:]
    return Grid(axis, axis, surface.reshape(shape))
