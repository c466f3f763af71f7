"""What the optional probes cost training: every view on against every view off.

Run from the repository root:

    python tests/bench/bench_views.py

Not a test (pytest collects test_*.py only): it prints numbers and ratios and
never asserts on times, which depend on the machine. Everything runs in one
process, the way `playground.core.runner.serve` drives a Runner in the training
process: one thread for torch, `train_slice()` in a loop, and `message()`
every PUBLISH_EVERY seconds, less often on big networks (PROBE_SHARE), plus
pickling the message, which `conn.send` does. The target: with views
{"network", "stats"} on, training keeps at least 80 % of the steps per second
it has with them off.

1. Steps per second, views on vs off, for the default setup (Experiment())
   and a bigger network (8 hidden layers of 64 relu); medians of alternated
   rounds. The same runs give the median cost of each message() in the loop
   (probes on their STATS_EVERY / HIST_EVERY intervals, as in real use).
2. The cost of one message() when every probe is due (paused, right after a
   step: neuron maps, a stats record and a histogram snapshot together).
"""

from __future__ import annotations

import pickle
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from playground.core.runner import PROBE_SHARE, PUBLISH_EVERY  # noqa: E402
from playground.dense.runner import Runner  # noqa: E402
from playground.dense.spec import Experiment, Layer  # noqa: E402

ROUNDS = 5  # timed rounds per contender, alternated
ROUND_S = 1.0  # seconds per round
WARMUP_S = 0.5
DUE_SAMPLES = 15  # messages timed with every probe due, per contender

ALL_VIEWS = frozenset({"network", "stats"})
SETUPS = {
    "default (2-8-8-1 tanh)": Experiment(),
    "8 x 64 relu": Experiment(hidden=tuple(Layer(64, "relu") for _ in range(8))),
}


class Driver:
    """A Runner with a fixed set of views, driven as serve() drives it."""

    def __init__(self, spec: Experiment, views: frozenset[str]) -> None:
        self.spec, self.views = spec, views
        self.rebuilds = 0
        self._start()

    def _start(self) -> None:
        self.runner = Runner(self.spec)
        self.runner.apply("views", self.views)
        pickle.dumps(self.runner.message())  # the first message carries the data set
        self.runner.apply("play")
        self.last_publish = time.monotonic()
        self.interval = PUBLISH_EVERY

    def run_for(self, seconds: float) -> tuple[float, list[float], list[float]]:
        """Train for `seconds`; returns steps/s and the seconds each message()
        and each pickling took."""
        steps, msg_s, pickle_s = 0, [], []
        start = time.perf_counter()
        while True:
            runner = self.runner
            before = runner.trainer.step
            runner.train_slice()
            steps += runner.trainer.step - before
            if time.monotonic() - self.last_publish >= self.interval or not runner.running:
                t0 = time.perf_counter()
                msg = runner.message()
                t1 = time.perf_counter()
                pickle.dumps(msg)
                t2 = time.perf_counter()
                msg_s.append(t1 - t0)
                pickle_s.append(t2 - t1)
                # As serve() does: messages take at most PROBE_SHARE of the time.
                self.interval = max(PUBLISH_EVERY, (t2 - t0) / PROBE_SHARE)
                self.last_publish = time.monotonic()
            if runner.trainer.diverged:  # never on these setups; keep training if it were
                self.rebuilds += 1
                self._start()
            elapsed = time.perf_counter() - start
            if elapsed >= seconds:
                return steps / elapsed, msg_s, pickle_s


def alternate(drivers: dict[str, Driver]) -> dict[str, dict]:
    for driver in drivers.values():
        driver.run_for(WARMUP_S)
    out = {name: {"rates": [], "msg": [], "pickle": []} for name in drivers}
    for _ in range(ROUNDS):
        for name, driver in drivers.items():
            rate, msg_s, pickle_s = driver.run_for(ROUND_S)
            out[name]["rates"].append(rate)
            out[name]["msg"].extend(msg_s)
            out[name]["pickle"].extend(pickle_s)
    return out


def due_message_ms(spec: Experiment, views: frozenset[str]) -> tuple[float, float]:
    """Median ms of message() and of pickling it, paused, right after a step
    (so a stats record and a histogram snapshot are both due)."""
    runner = Runner(spec)
    runner.apply("views", views)
    runner.message()
    msg_s, pickle_s = [], []
    for _ in range(DUE_SAMPLES):
        runner.apply("step")
        t0 = time.perf_counter()
        msg = runner.message()
        t1 = time.perf_counter()
        pickle.dumps(msg)
        pickle_s.append(time.perf_counter() - t1)
        msg_s.append(t1 - t0)
        if views:
            assert msg.network is not None and msg.stats and msg.hist is not None
    return statistics.median(msg_s) * 1e3, statistics.median(pickle_s) * 1e3


def table(header: list[str], rows: list[list[str]], left: int = 1) -> None:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        cells = [cell.ljust(w) if i < left else cell.rjust(w)
                 for i, (cell, w) in enumerate(zip(row, widths, strict=True))]
        print("  " + "  ".join(cells).rstrip())


def bench_training() -> None:
    print(f"\n1. Training steps per second, views on vs off (median of {ROUNDS} "
          f"alternated rounds of ~{ROUND_S:g} s;\n   train_slice() + message() every "
          f"{PUBLISH_EVERY:g} s, as serve does)")
    rows = []
    for setup, spec in SETUPS.items():
        drivers = {"off": Driver(spec, frozenset()), "on": Driver(spec, ALL_VIEWS)}
        result = alternate(drivers)
        off = statistics.median(result["off"]["rates"])
        for name in ("off", "on"):
            r = result[name]
            rate = statistics.median(r["rates"])
            rows.append([
                setup, name, f"{rate:,.0f}", f"{rate / off:.0%}",
                f"{min(r['rates']):,.0f}-{max(r['rates']):,.0f}",
                f"{len(r['msg'])}",
                f"{statistics.median(r['msg']) * 1e3:.2f}",
                f"{max(r['msg']) * 1e3:.2f}",
                f"{statistics.median(r['pickle']) * 1e3:.2f}",
            ])
        if any(d.rebuilds for d in drivers.values()):
            print(f"  note: {setup} diverged and was rebuilt")
    table(["setup", "views", "steps/s", "vs off", "range", "messages",
           "msg ms", "max ms", "pickle ms"], rows, left=2)
    print("  (vs off: the target is at least 80 %. msg ms: median message() in the loop, "
          "max ms: the slowest,\n   which carries a stats record and a histogram; "
          "pickle ms: what conn.send adds to each message)")


def bench_due_messages() -> None:
    print("\n2. One message() with every probe due (paused, right after a step)")
    rows = []
    for setup, spec in SETUPS.items():
        off_ms, off_pickle = due_message_ms(spec, frozenset())
        on_ms, on_pickle = due_message_ms(spec, ALL_VIEWS)
        rows.append([setup, f"{off_ms:.2f}", f"{on_ms:.2f}", f"{on_ms - off_ms:+.2f}",
                     f"{off_pickle:.2f}", f"{on_pickle:.2f}"])
    table(["setup", "off ms", "on ms", "probes ms", "pickle off", "pickle on"], rows)
    print(f"  (medians of {DUE_SAMPLES}; off still draws the 100x100 boundary grid, "
          "which every message carries)")


def main() -> None:
    torch.set_num_threads(1)  # as serve() does in the training process
    spec = Experiment()
    print("bench_views: optional probes ('network', 'stats') on vs off")
    print(f"  torch {torch.__version__}, {torch.get_num_threads()} thread "
          f"(as in the training process), device {Runner(spec).trainer.device}")
    start = time.perf_counter()
    bench_training()
    bench_due_messages()
    print(f"\ntotal {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
