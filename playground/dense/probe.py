"""What we look at: the model's output over the input plane.

Probes run under inference_mode (no graph, no version counters) and return
plain numpy arrays, so charts never touch a model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch


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
    x = trainer.inputs(pts)  # (R*R, F)
    trainer.model.eval()
    surface = trainer.head.surface(trainer.model(x)).float().cpu().numpy()
    shape = (resolution, resolution) + surface.shape[1:]
    return Grid(axis, axis, surface.reshape(shape))


# ---- inside the network -------------------------------------------------------
MAX_SHOWN = 16  # neurons drawn per layer; wider layers show their most used ones


def forward_all(model: torch.nn.Sequential, x: torch.Tensor) -> list[torch.Tensor]:
    """Every layer's output: [a_1, ..., a_H, z], hidden activations (N, width_l)
    then the raw output (N, n_out). Same modules as model(x), one pass."""
    outs = []
    a = x
    for module in model:
        a = module(a)
        if not isinstance(module, torch.nn.Linear):
            outs.append(a)
    outs.append(a)  # the last Linear has no activation after it
    return outs


def _shown(weight_out: torch.Tensor, width: int) -> list[int]:
    """Which neurons of a layer to draw: all if few, else the ones whose
    outgoing weights are largest (they matter most to the next layer)."""
    if width <= MAX_SHOWN:
        return list(range(width))
    importance = weight_out.abs().sum(dim=0)  # (width,)
    return sorted(importance.topk(MAX_SHOWN).indices.tolist())


@torch.inference_mode()
def neuron_maps(trainer, resolution: int = 24) -> dict:
    """What each neuron computes over the input plane: {"columns": [...],
    "weights": [(out, in) arrays], "biases": [(out,)]}, where each column
    (inputs, hidden layers, output) has "maps" (n_shown, R, R) with row 0 at
    the bottom of the plane, "shown" (neuron indices) and "width"."""
    _, pts = grid_points(trainer.data.extent, resolution)
    x = trainer.inputs(pts)  # (R*R, F)
    trainer.model.eval()
    outs = forward_all(trainer.model, x)
    linears = [m for m in trainer.model if isinstance(m, torch.nn.Linear)]
    weights = [lin.weight.detach() for lin in linears]
    surface = trainer.head.surface(outs[-1])  # (R*R,) or (R*R, K)
    out = surface if surface.ndim == 2 else surface[:, None]  # (R*R, n_out): all shown
    columns = []
    for i, values in enumerate([x, *outs[:-1], out]):  # (R*R, width) each
        width = values.shape[1]
        shown = _shown(weights[i], width) if i < len(weights) else list(range(width))
        maps = values[:, shown].T.reshape(len(shown), resolution, resolution)
        columns.append({"maps": maps.float().cpu().numpy(), "shown": shown, "width": width})
    return {
        "columns": columns,
        "weights": [w.float().cpu().numpy().copy() for w in weights],
        "biases": [lin.bias.detach().float().cpu().numpy().copy() for lin in linears],
    }


@torch.inference_mode()
def layer_stats(trainer) -> list[dict]:
    """One row per dense layer: weight norm, norm of the latest step's gradient,
    mean |output| over the training set, and the share of inactive units
    (dead ReLUs: zero for every training point; saturated tanh/sigmoid: share
    of outputs within 1 % of a limit). None where the idea doesn't apply."""
    trainer.model.eval()
    outs = forward_all(trainer.model, trainer.x_train)
    acts = [layer.activation for layer in trainer.spec.hidden] + [None]
    rows = []
    for i, ((w, _b), (gw, gb), a, act) in enumerate(
        zip(trainer.parameters_by_layer(), trainer.gradients_by_layer(), outs, acts)
    ):
        inactive = None
        if act == "relu":  # a unit can die: zero output for every input
            inactive = (a <= 0).all(dim=0).float().mean()
        elif act == "tanh":
            inactive = (a.abs() > 0.99).float().mean()
        elif act == "sigmoid":
            inactive = ((a < 0.01) | (a > 0.99)).float().mean()
        rows.append({
            "layer": i + 1,
            "weight_norm": torch.linalg.vector_norm(w),
            "grad_norm": torch.sqrt(gw.pow(2).sum() + gb.pow(2).sum()),
            "act_mean_abs": a.abs().mean(),
            "inactive_share": inactive,
        })
    # One host sync for every number.
    flat = torch.stack([v for row in rows for v in row.values() if torch.is_tensor(v)])
    values = iter(flat.tolist())
    return [{k: next(values) if torch.is_tensor(v) else v for k, v in row.items()} for row in rows]


HIST_BINS = 30


@torch.inference_mode()
def histograms(trainer) -> dict:
    """Weights and latest gradients of each dense layer, binned on one shared
    symmetric range per kind so snapshots can be compared over time:
    {"weights": (edges (B+1,), counts (L, B)), "grads": (...)}."""
    out = {}
    pairs = {"weights": [w for w, _ in trainer.parameters_by_layer()],
             "grads": [gw for gw, _ in trainer.gradients_by_layer()]}
    for kind, tensors in pairs.items():
        flat = [t.detach().float().reshape(-1).cpu() for t in tensors]
        # A diverged network holds NaN/inf: bin only what is finite.
        flat = [t[torch.isfinite(t)] for t in flat]
        limit = max(float(t.abs().max()) if t.numel() else 0.0 for t in flat) or 1.0
        edges = torch.linspace(-limit, limit, HIST_BINS + 1)
        counts = torch.stack([torch.histc(t, HIST_BINS, -limit, limit) for t in flat])
        out[kind] = (edges.numpy(), counts.numpy())
    return out
