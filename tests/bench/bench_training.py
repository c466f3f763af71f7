"""Training and frame throughput of the engine, against plain PyTorch.

Run from the repository root:

    python tests/bench/bench_training.py

Not a test (pytest collects test_*.py only): it prints ratios and never
asserts on times, which depend on the machine. Everything runs in one
process on the default setup (spiral, 2 -> 8 tanh -> 8 tanh -> 1, batch 10,
400 samples, half of them for training).

1. Steps per second of `Trainer.train_epoch()` (fast path, then fast=False)
   against a tutorial-style PyTorch loop on the same data tensors, the same
   architecture and batch size. The engine's epochs include its once-per-epoch
   evaluation (train/test loss and accuracy); the reference's do not, but it
   calls loss.item() every step, as a typical loop does.
2. Frames per second of one visual frame: one epoch plus the 100x100
   boundary grid.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

from playground.data.features import feature_matrix  # noqa: E402
from playground.dense.spec import Experiment  # noqa: E402
from playground.dense.trainer import Trainer  # noqa: E402

ROUNDS = 5  # timed rounds per contender, alternated
ROUND_S = 0.6  # seconds per round
WARMUP_S = 0.3
GRID_RES = 100


# ---- contenders ---------------------------------------------------------------
class EngineRunner:
    """Trainer.train_epoch(); rebuilt if training ever diverges (it then stops)."""

    def __init__(self, spec: Experiment, fast: bool) -> None:
        self.spec, self.fast = spec, fast
        self.trainer = Trainer(spec, fast=fast)

    def epoch(self) -> int:
        before = self.trainer.step
        self.trainer.train_epoch()
        if self.trainer.diverged:
            self.trainer = Trainer(self.spec, fast=self.fast)
            return 0
        return self.trainer.step - before


class ReferenceRunner:
    """What a PyTorch tutorial does: randperm, gather a batch, backward, step, item."""

    def __init__(self, spec: Experiment, x: torch.Tensor, t: torch.Tensor) -> None:
        self.x, self.t, self.bs = x, t, spec.batch_size
        self.model = nn.Sequential(
            nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 1)
        ).to(x.device)
        self.loss_fn = nn.BCEWithLogitsLoss()
        params = self.model.parameters()
        if spec.optimizer == "sgd":
            self.opt = torch.optim.SGD(params, lr=spec.lr)
        else:
            self.opt = torch.optim.Adam(params, lr=spec.lr)
        self.last_loss = 0.0

    def epoch(self) -> int:
        n, bs = self.x.shape[0], self.bs
        perm = torch.randperm(n, device=self.x.device)
        steps = 0
        for i in range(0, n, bs):
            idx = perm[i : i + bs]
            loss = self.loss_fn(self.model(self.x[idx]), self.t[idx])
            self.opt.zero_grad()
            loss.backward()
            self.opt.step()
            self.last_loss = loss.item()
            steps += 1
        return steps


def run_for(runner, seconds: float) -> float:
    """Whole epochs until `seconds` have passed; returns steps per second."""
    steps = 0
    start = time.perf_counter()
    while True:
        steps += runner.epoch()
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return steps / elapsed


def alternate(runners: dict[str, object]) -> dict[str, float]:
    """Warm each up, then interleave timed rounds; median steps/s per runner."""
    for runner in runners.values():
        run_for(runner, WARMUP_S)
    rates: dict[str, list[float]] = {name: [] for name in runners}
    for _ in range(ROUNDS):
        for name, runner in runners.items():
            rates[name].append(run_for(runner, ROUND_S))
    return {name: statistics.median(r) for name, r in rates.items()}


# ---- boundary grid --------------------------------------------------------------
def inline_grid(trainer: Trainer, resolution: int = GRID_RES) -> np.ndarray:
    """Meshgrid over the data square -> features -> model -> head.surface."""
    extent = trainer.data.extent
    axis = torch.linspace(-extent, extent, resolution)
    gy, gx = torch.meshgrid(axis, axis, indexing="ij")
    points = torch.stack([gx.reshape(-1), gy.reshape(-1)], dim=1)
    feats = feature_matrix(points, trainer.spec.features).to(trainer.device)
    model = trainer.model
    model.eval()
    with torch.inference_mode():
        surface = trainer.head.surface(model(feats))
    return surface.cpu().numpy().reshape(resolution, resolution, *surface.shape[1:])


def pick_grid():
    """playground.dense.probe.boundary_grid when it exists and runs, else the inline one.

    The probe may return a plain array or an object holding it as `.values`.
    """
    try:
        from playground.dense.probe import boundary_grid
    except ImportError:
        return inline_grid, "inline (playground.dense.probe not available)"
    try:
        boundary_grid(Trainer(Experiment()), resolution=GRID_RES)
    except TypeError:
        return inline_grid, "inline (boundary_grid(trainer, resolution=) did not fit)"
    return (
        lambda trainer: boundary_grid(trainer, resolution=GRID_RES),
        "playground.dense.probe.boundary_grid",
    )


# ---- sections --------------------------------------------------------------------
def table(header: list[str], rows: list[list[str]], left: int = 1) -> None:
    """Aligned columns: the first `left` to the left, numbers to the right."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        cells = [
            cell.ljust(w) if i < left else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ]
        print("  " + "  ".join(cells).rstrip())


def bench_steps() -> None:
    print("\n1. Training steps per second (median of "
          f"{ROUNDS} alternated rounds of ~{ROUND_S:g} s)")
    rows = []
    for optimizer in ("sgd", "adam"):
        spec = Experiment(optimizer=optimizer)
        data = Trainer(spec)  # only for its tensors: reference trains on the same data
        runners = {
            "engine (fast)": EngineRunner(spec, fast=True),
            "engine (fast=False)": EngineRunner(spec, fast=False),
            "reference": ReferenceRunner(spec, data.x_train, data.t_train),
        }
        if runners["engine (fast)"].trainer.fast is None:
            print(f"  note: fast path does not support this setup ({optimizer})")
        rates = alternate(runners)
        ref = rates["reference"]
        for name, rate in rates.items():
            rows.append([optimizer, name, f"{rate:,.0f}", f"{rate / ref:.2f}x"])
    table(["optimizer", "loop", "steps/s", "vs reference"], rows, left=2)
    spec = Experiment()
    n_train = spec.n_train
    print(f"  ({n_train} training samples, batch {spec.batch_size}: "
          f"{-(-n_train // spec.batch_size)} steps per epoch. Engine epochs include its "
          "per-epoch evaluation of\n   train/test loss and accuracy; the reference calls "
          "loss.item() every step and evaluates nothing.)")


def bench_frames() -> None:
    grid_fn, grid_name = pick_grid()
    print(f"\n2. Frames per second: one epoch + {GRID_RES}x{GRID_RES} boundary grid")
    print(f"  grid: {grid_name}")
    rows = []
    for optimizer in ("sgd", "adam"):
        runner = EngineRunner(Experiment(optimizer=optimizer), fast=True)
        run_for(runner, WARMUP_S)
        for _ in range(20):
            grid_fn(runner.trainer)
        epoch_s: list[float] = []
        grid_s: list[float] = []
        deadline = time.perf_counter() + 2.0
        while time.perf_counter() < deadline or len(epoch_s) < 20:
            t0 = time.perf_counter()
            runner.epoch()
            t1 = time.perf_counter()
            grid = grid_fn(runner.trainer)
            t2 = time.perf_counter()
            epoch_s.append(t1 - t0)
            grid_s.append(t2 - t1)
        values = np.asarray(getattr(grid, "values", grid))  # probe.Grid or plain array
        if values.shape[:2] != (GRID_RES, GRID_RES):
            raise RuntimeError(f"grid has shape {values.shape}, not {GRID_RES}x{GRID_RES}")
        ep = statistics.median(epoch_s) * 1e3
        gr = statistics.median(grid_s) * 1e3
        frame = statistics.median([e + g for e, g in zip(epoch_s, grid_s, strict=True)]) * 1e3
        rows.append([optimizer, f"{1e3 / frame:,.0f}", f"{frame:.2f}",
                     f"{ep:.2f}", f"{gr:.2f}", f"{len(epoch_s)}"])
    table(["optimizer", "frames/s", "ms/frame", "epoch ms", "grid ms", "frames"], rows)
    print("  (medians; epoch = trainer.train_epoch(), which includes train/test loss "
          "and accuracy)")


def main() -> None:
    device = Trainer(Experiment()).device
    print("bench_training: default setup "
          "(spiral, 2-8-8-1 tanh, batch 10, 400 samples, train ratio 0.5)")
    print(f"  torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"device {device}")
    start = time.perf_counter()
    bench_steps()
    bench_frames()
    print(f"\ntotal {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
