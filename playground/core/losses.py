"""Output heads: how the last layer's raw output becomes a loss and a prediction.

A head knows how many outputs the network needs, how to turn labels into
targets, the loss, and how to read predictions back. Every head works on raw
outputs `z` of shape (N, n_out): the sigmoid/softmax/tanh lives here, not in
the model, so the loss can use the numerically stable fused forms.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

# Huber's delta on targets in [-1, 1]: errors beyond a quarter of the range
# count linearly, so the difference from MSE is visible on noisy data.
HUBER_DELTA = 0.25


@dataclass(frozen=True)
class Head:
    name: str
    problems: tuple[str, ...]  # "binary", "multiclass", "regression"

    def n_out(self, n_classes: int) -> int:
        return n_classes if self.name == "ce" else 1

    def targets(self, y: torch.Tensor) -> torch.Tensor:
        """Labels (N,) -> what the loss compares against."""
        if self.name == "ce":
            return y.long()  # (N,)
        t = y.float().unsqueeze(1)  # (N, 1): bce's {0, 1}, or regression's values
        return t * 2 - 1 if self.name == "tanh_mse" else t  # tanh_mse: {-1, 1}

    def loss(self, z: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        if self.name == "ce":
            return F.cross_entropy(z, t)
        if self.name == "bce":
            return F.binary_cross_entropy_with_logits(z, t)
        if self.name == "tanh_mse":
            return F.mse_loss(torch.tanh(z), t)
        if self.name == "huber":
            return F.huber_loss(z, t, delta=HUBER_DELTA)
        return F.mse_loss(z, t)

    def classes(self, z: torch.Tensor) -> torch.Tensor:
        """(N, n_out) -> (N,) predicted class (classification heads only)."""
        if self.name == "ce":
            return z.argmax(dim=1)
        return (z[:, 0] > 0).long()  # sigmoid(z) > 0.5 and tanh(z) > 0 both mean z > 0

    def surface(self, z: torch.Tensor) -> torch.Tensor:
        """What the boundary map draws. binary: (N,) in [-1, 1] (confidence of
        class 1 minus class 0); multiclass: (N, K) probabilities; regression: (N,)."""
        if self.name == "ce":
            p = torch.softmax(z, dim=1)
            return p[:, 1] - p[:, 0] if z.shape[1] == 2 else p
        if self.name == "bce":
            return torch.sigmoid(z[:, 0]) * 2 - 1
        if self.name == "tanh_mse":
            return torch.tanh(z[:, 0])
        return z[:, 0]


HEADS = {
    "bce": Head("bce", ("binary",)),
    "tanh_mse": Head("tanh_mse", ("binary",)),
    "ce": Head("ce", ("binary", "multiclass")),
    "mse": Head("mse", ("regression",)),
    "huber": Head("huber", ("regression",)),
}
