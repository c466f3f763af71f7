"""Data augmentation: small random shifts and rotations of a batch, on its device.

One affine warp per image through `affine_grid` + `grid_sample`, so a batch
of 128 MNIST digits costs two kernels, not 128 PIL calls. Pixels shifted in
from outside take the background value (the normalised black of the data).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

MAX_ROTATION = 10.0  # degrees either way
MAX_SHIFT = 0.1  # share of the image's width or height either way (~3 px on 28×28)


def augment(x: torch.Tensor, generator: torch.Generator, background: float = 0.0,
            max_rotation: float = MAX_ROTATION, max_shift: float = MAX_SHIFT) -> torch.Tensor:
    """(B, C, H, W) -> (B, C, H, W), each image turned and shifted at random."""
    b = x.shape[0]
    # Draw on the CPU generator, then move: the same seed gives the same
    # warps on any device.
    angle = (torch.rand(b, generator=generator) * 2 - 1) * math.radians(max_rotation)
    # affine_grid works in [-1, 1] coordinates: a shift of s widths is 2 s.
    shift = (torch.rand(b, 2, generator=generator) * 2 - 1) * (2 * max_shift)
    cos, sin = angle.cos(), angle.sin()
    theta = torch.stack([
        torch.stack([cos, -sin, shift[:, 0]], dim=1),
        torch.stack([sin, cos, shift[:, 1]], dim=1),
    ], dim=1).to(device=x.device, dtype=x.dtype)  # (B, 2, 3)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)  # (B, H, W, 2)
    # grid_sample pads with zeros: shift the background to zero and back.
    warped = F.grid_sample(x - background, grid, mode="bilinear", padding_mode="zeros",
                           align_corners=False)
    return warped + background
