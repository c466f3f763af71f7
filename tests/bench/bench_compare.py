"""Compare runs and sweeps: K runs trained together against one after another.

Run from the repository root:

    python tests/bench/bench_compare.py            # the table
    python tests/bench/bench_compare.py --profile  # and where a batched epoch goes

Not a test (pytest collects test_*.py only): it prints ratios and never
asserts on times, which depend on the machine. Everything runs in one process
with the training process's thread count (one: tiny tensors gain nothing from
more), on the default 2D setup (Experiment(): spiral, 2 -> 8 tanh -> 8 tanh
-> 1, Adam, batch 10, 200 training samples), as a learning-rate sweep: run k
has seed k + 1 and a rate from 0.03, 0.01, 0.003 in turn.

- together: RunGroup(specs).train_epoch(), one vectorised step for all K;
- one after another: K Trainers, each train_epoch() in turn.

Both record every run's train/test loss and accuracy once per epoch. The
target: K = 8 at least 4x faster together (aim 6x). Last, a check that the
two ways give the same curves and weights, bit for bit.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import torch  # noqa: E402
from bench_training import alternate, run_for, table  # noqa: E402  (tests/bench is on sys.path)

from playground.dense.group import RunGroup  # noqa: E402
from playground.dense.runner import Runner  # noqa: E402
from playground.dense.spec import Experiment  # noqa: E402
from playground.dense.trainer import Trainer  # noqa: E402

SIZES = (2, 4, 8, 16)
RATES = (0.03, 0.01, 0.003)


def sweep(k: int) -> list[Experiment]:
    return [replace(Experiment(), seed=i + 1, lr=RATES[i % len(RATES)]) for i in range(k)]


class Together:
    """RunGroup.train_epoch(); `epoch()` returns the run-epochs it did."""

    def __init__(self, specs: list[Experiment]) -> None:
        self.specs = specs
        self.group = RunGroup(specs)

    def epoch(self) -> int:
        self.group.train_epoch()
        return len(self.group)


class OneAfterAnother:
    def __init__(self, specs: list[Experiment]) -> None:
        self.trainers = [Trainer(spec) for spec in specs]

    def epoch(self) -> int:
        for trainer in self.trainers:
            trainer.train_epoch()
        return len(self.trainers)


def bench_sizes() -> None:
    print("\nRun-epochs per second (every run one epoch, evaluation included; median of "
          "alternated rounds)")
    rows = []
    for k in SIZES:
        together = Together(sweep(k))
        plan = together.group.plan()
        if plan != [list(range(k))]:
            print(f"  note: K={k} is not one batch: {plan}")
        rates = alternate({"apart": OneAfterAnother(sweep(k)), "together": together})
        apart, joint = rates["apart"], rates["together"]
        rows.append([str(k), f"{apart:,.0f}", f"{joint:,.0f}", f"{apart / k:,.1f}",
                     f"{joint / k:,.1f}", f"{joint / apart:.2f}x"])
    table(["K", "apart run-ep/s", "together run-ep/s", "apart ep/s", "together ep/s",
           "together / apart"], rows)
    print("  (ep/s: epochs per second of the whole set of K runs, i.e. how fast each "
          "curve grows)")


def check_exact(k: int = 8, epochs: int = 5) -> None:
    """Every history column and every weight of K runs trained together
    equals the same runs trained one after another."""
    together, apart = Together(sweep(k)), OneAfterAnother(sweep(k))
    for _ in range(epochs):
        together.epoch()
        apart.epoch()
    same = all(
        a.history.cols == b.history.cols
        and all(torch.equal(p, q) for p, q in zip(a.model.parameters(), b.model.parameters()))
        for a, b in zip(together.group.runs, apart.trainers, strict=True))
    print(f"\nK={k}, {epochs} epochs: together and one after another are "
          f"{'bit for bit the same' if same else 'NOT the same'}")


def profile(k: int = 8, seconds: float = 3.0) -> None:
    together = Together(sweep(k))
    run_for(together, 0.3)
    profiler = cProfile.Profile()
    profiler.enable()
    run_for(together, seconds)
    profiler.disable()
    print(f"\nProfile of K={k} together, {seconds:g} s (cumulative, top 20)")
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", action="store_true", help="also profile K=8 together")
    args = parser.parse_args()
    torch.set_num_threads(Runner.threads)
    print("bench_compare: default setup (spiral, 2-8-8-1 tanh, Adam, batch 10, 400 samples, "
          "train ratio 0.5), a learning-rate sweep")
    print(f"  torch {torch.__version__}, {torch.get_num_threads()} thread(s), "
          f"device {Trainer(Experiment()).device}")
    start = time.perf_counter()
    bench_sizes()
    check_exact()
    if args.profile:
        profile()
    print(f"\ntotal {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
