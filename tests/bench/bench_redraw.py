"""What one redraw of the 2D page costs the server, by history length.

Run from the repository root:

    python tests/bench/bench_redraw.py              # before vs after, 100 .. 100,000 epochs
    python tests/bench/bench_redraw.py --no-decimate  # "after" with every point of the curves
    python tests/bench/bench_redraw.py --profile    # + cProfile of one live tick (AppTest)

Not a test (pytest collects test_*.py only): it prints numbers and never
asserts on times, which depend on the machine. Times are CPU time of the
thread (time.thread_time), so other work on a shared machine inflates them
less than it would wall-clock times.

A tick is what live.show's fragment does every POLL_SECONDS while training:
read the history (the metrics and the curves), build the page's figures (the
decision boundary, loss, accuracy and the network diagram: the default
views) and turn each into what st.plotly_chart sends. That last part is what
Streamlit 1.x does in plotly_chart: `figure.to_dict()`, then
`plotly.io.to_json(..., validate=False)`, whose string is the message's spec
and is hashed (md5) into the element's id. Bytes are that JSON's length.

The snapshot is made as the page gets it: a Runner (the training process's
loop, here in-process) trains the default setup for a few seconds, and its
message gives the boundary grid and the neuron maps. A history of N epochs is
the trained run's curves stretched to N rows, with a little noise (so the
min/max decimation has work to do).

Streamlit also ran `gc.collect(2)` after every script run (its option
runner.postScriptGC, on by default), so after every tick: a full pass over
every object the server holds. It is timed here in this process, which has
the server's imports (torch, plotly, pandas, streamlit), and counted in a
tick where .streamlit/config.toml leaves the option on ("before" always).

"before" is the chart code of BEFORE_REV (the commit before the cheap live
view), loaded from git into a scratch package, fed the same snapshot and
read through a DataFrame twice per tick, as that page did.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import hashlib
import importlib
import io
import pstats
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import plotly.io  # noqa: E402
import streamlit.elements.plotly_chart  # noqa: E402, F401  (registers Streamlit's Plotly template)
import torch  # noqa: E402
from bench_views import table  # noqa: E402  (the same table printer; tests/bench is on sys.path)

from playground.charts import boundary, common, images, network, tables  # noqa: E402
from playground.charts.decimate import LIVE_POINTS, HistoryArrays  # noqa: E402
from playground.core.history import History  # noqa: E402
from playground.dense.runner import Runner  # noqa: E402
from playground.dense.spec import Experiment  # noqa: E402

BEFORE_REV = "30bee2f"  # the last commit whose page sent whole figures and histories
LENGTHS = (100, 1_000, 10_000, 100_000)
TRAIN_S = 6.0  # seconds of real training for the curves' shape and the probes
ROWS_PER_TICK = 50  # history rows a tick adds (about 100 epochs/s, 2 ticks/s)
LABELS = {"title": "Decision boundary", "x": "x1", "y": "x2", "value": "Value",
          "class": "Class", "train": "Training", "test": "Test"}
NET_LABELS = {"more": "{shown} of {width} shown", "node": "Neuron {name} · bias {bias}",
              "edge": "Layer {layer}: {src} → {dst} · weight {value}"}


CHARTS = ("common", "boundary", "network", "tables", "images")


def load_before() -> dict | None:
    """BEFORE_REV's playground/charts modules by name (CHARTS), or None without
    git or that commit."""
    scratch = Path(tempfile.mkdtemp(prefix="bench_redraw_"))
    package = scratch / "charts_before"
    package.mkdir()
    for name in ("__init__", *CHARTS):
        show = subprocess.run(["git", "-C", str(ROOT), "show",
                               f"{BEFORE_REV}:playground/charts/{name}.py"],
                              capture_output=True, text=True)
        if show.returncode != 0:
            return None
        (package / f"{name}.py").write_text(
            show.stdout.replace("playground.charts.", "charts_before."))
    sys.path.insert(0, str(scratch))
    return {m: importlib.import_module(f"charts_before.{m}") for m in CHARTS}


def train() -> tuple:
    """A Runner on the default setup trained for TRAIN_S, with the network view
    on; returns (its history columns, its last message)."""
    torch.set_num_threads(1)  # as serve() does
    runner = Runner(Experiment())
    runner.apply("views", frozenset({"network"}))
    runner.message()
    runner.apply("play")
    end = time.monotonic() + TRAIN_S
    while time.monotonic() < end:
        runner.train_slice()
    return runner.trainer.history.cols, runner.message(), runner.trainer


def stretched(cols: dict, n: int, seed: int = 0) -> History:
    """A History of n rows: the trained curves stretched to n epochs, plus noise."""
    rng = np.random.default_rng(seed)
    real = len(cols["epoch"])
    where = np.linspace(0, real - 1, n)
    history = History(tuple(cols))
    out = {"epoch": np.arange(n), "step": np.arange(n) * 10}
    for c in cols:
        if c not in out:
            y = np.interp(where, np.arange(real), np.asarray(cols[c], dtype=float))
            out[c] = y * (1 + 0.02 * rng.standard_normal(n))
    for row in zip(*(out[c].tolist() for c in history.columns)):
        history.append(**dict(zip(history.columns, row)))
    return history


def sent(fig) -> int:
    """What st.plotly_chart does with a figure before it is queued; returns bytes."""
    spec = plotly.io.to_json(fig.to_dict(), validate=False)
    hashlib.md5(spec.encode()).hexdigest()  # the element id hashes the spec
    return len(spec)


def post_script_gc() -> tuple[float, int]:
    """Seconds of one gc.collect(2) (median of 3) and the objects it tracks."""
    times = []
    for _ in range(3):
        t0 = time.thread_time()
        gc.collect(2)
        times.append(time.thread_time() - t0)
    return statistics.median(times), len(gc.get_objects())


def gc_after_runs() -> bool:
    """Whether Streamlit collects after every run under this project's config."""
    config = ROOT / ".streamlit" / "config.toml"
    options = tomllib.loads(config.read_text()) if config.exists() else {}
    return options.get("runner", {}).get("postScriptGC", True)


def page_inputs(msg, trainer) -> tuple:
    data = trainer.data
    points = [(data.x_train, data.y_train, "train"), (data.x_test, data.y_test, "test")]
    net = msg.network
    columns = [{**col, "name": f"Layer {i}", "node_names": [str(k + 1) for k in col["shown"]]}
               for i, col in enumerate(net["columns"])]
    return points, columns, net


def tick_before(mods, history: History, msg, inputs) -> dict:
    """The old page: the frame twice (metrics, curves), every point of the curves."""
    old_common, old_boundary, old_network = mods["common"], mods["boundary"], mods["network"]
    points, columns, net = inputs
    parts, t0 = {}, time.thread_time()
    history.frame(len(history)).iloc[-1]  # dense_metrics
    frame = history.frame(len(history))  # curves
    parts["history"] = (time.thread_time() - t0, 0)
    figures = {
        "boundary": lambda: old_boundary.boundary_figure(msg.grid, points, "classification",
                                                         False, LABELS),
        "loss": lambda: old_common.curves_figure(
            frame, {"train_loss": "Training", "test_loss": "Test"}, "Loss", "loss", "epoch"),
        "accuracy": lambda: old_common.curves_figure(
            frame, {"train_acc": "Training", "test_acc": "Test"}, "Accuracy", "accuracy",
            "epoch", y_range=(0, 1.02)),
        "network": lambda: old_network.network_figure(columns, net["weights"], net["biases"],
                                                      None, NET_LABELS),
    }
    return parts | time_figures(figures)


def tick_after(arrays: HistoryArrays, history: History, msg, inputs, points_cap) -> dict:
    """The page now: new rows only, curves cut to points_cap (None: all)."""
    points, columns, net = inputs
    parts, t0 = {}, time.thread_time()
    frame = arrays.read(len(history))
    {c: float(a[-1]) for c, a in frame.items()}  # dense_metrics
    parts["history"] = (time.thread_time() - t0, 0)
    figures = {
        "boundary": lambda: boundary.boundary_figure(msg.grid, points, "classification",
                                                     False, LABELS),
        "loss": lambda: common.curves_figure(
            frame, {"train_loss": "Training", "test_loss": "Test"}, "Loss", "loss", "epoch",
            max_points=points_cap),
        "accuracy": lambda: common.curves_figure(
            frame, {"train_acc": "Training", "test_acc": "Test"}, "Accuracy", "accuracy",
            "epoch", y_range=(0, 1.02), max_points=points_cap),
        "network": lambda: network.network_figure(columns, net["weights"], net["biases"],
                                                  None, NET_LABELS),
    }
    return parts | time_figures(figures)


def time_figures(figures: dict) -> dict:
    """name -> (seconds to build and send, bytes sent)."""
    out = {}
    for name, build in figures.items():
        t0 = time.thread_time()
        size = sent(build())
        out[name] = (time.thread_time() - t0, size)
    return out


def median_tick(run, repeats: int, gc_s: float) -> dict:
    """name -> (median ms, bytes) over `repeats` ticks, and "total"; "gc" is
    gc_s, the post-script collection (0 where it is off)."""
    ticks = [run() | {"gc": (gc_s, 0)} for _ in range(repeats)]
    out = {name: (statistics.median(t[name][0] for t in ticks) * 1e3, ticks[-1][name][1])
           for name in ticks[0]}
    totals = [sum(s for s, _ in t.values()) for t in ticks]
    out["total"] = (statistics.median(totals) * 1e3, sum(b for _, b in out.values()))
    return out


def bench(decimate: bool, before: dict | None) -> None:
    cols, msg, trainer = train()
    print(f"  trained {len(cols['epoch']):,} epochs of the default setup in {TRAIN_S:g} s")
    gc_s, objects = post_script_gc()
    gc_now = gc_after_runs()
    print(f"  Streamlit's post-script gc.collect(2): {gc_s * 1e3:.0f} ms over {objects:,} "
          f"objects; now {'on' if gc_now else 'off'} (.streamlit/config.toml)")
    inputs = page_inputs(msg, trainer)
    cap = LIVE_POINTS if decimate else None
    rows, breakdown = [], {}
    for n in LENGTHS:
        history = stretched(cols, n)
        repeats = 3 if n >= 100_000 else 7
        results = {}
        if before is not None:
            results["before"] = median_tick(
                lambda history=history: tick_before(before, history, msg, inputs), repeats, gc_s)
        arrays = HistoryArrays(history.cols)

        def after(arrays=arrays, history=history):
            arrays.read(max(1, len(history) - ROWS_PER_TICK))  # the previous tick's rows
            arrays.n = max(1, len(history) - ROWS_PER_TICK)  # so this tick reads the new ones
            return tick_after(arrays, history, msg, inputs, cap)

        results["after" if decimate else "after, all points"] = median_tick(
            after, repeats, gc_s if gc_now else 0.0)
        for label, r in results.items():
            rows.append([f"{n:,}", label, f"{r['total'][0]:.1f}", f"{r['total'][1] / 1024:.1f}",
                         *(f"{r[k][0]:.1f}" for k in ("history", "boundary", "loss",
                                                      "accuracy", "network", "gc"))])
        breakdown = results
    print(f"\nCPU ms and KB per tick (median of 3-7 ticks; {ROWS_PER_TICK} new rows per tick)")
    table(["epochs", "code", "ms", "KB", "history", "boundary", "loss", "accuracy", "network",
           "gc"], rows, left=2)
    print(f"\nKB per chart at {LENGTHS[-1]:,} epochs")
    table(["code", *(k for k in breakdown[next(iter(breakdown))] if k not in ("history", "gc"))],
          [[label, *(f"{v[1] / 1024:.1f}" for k, v in r.items() if k not in ("history", "gc"))]
           for label, r in breakdown.items()])


def other_pages(before: dict | None, rows: int = 10_000) -> None:
    """The other pages' heaviest figures, redrawn every tick while training: a
    table's rows on their principal components and under a boundary (a
    table of `rows` rows, 3 classes), and the image page's mistakes grid
    (32 images of 28 x 28)."""
    rng = np.random.default_rng(0)
    xy = rng.normal(size=(rows, 2))
    predicted, actual = rng.integers(0, 3, rows), rng.integers(0, 3, rows)
    probs = rng.dirichlet(np.ones(3), size=(100, 100)).astype(np.float32)
    axis = np.linspace(-3, 3, 100, dtype=np.float32)
    grid = type("Grid", (), {"xs": axis, "ys": axis, "values": probs})()  # as probe.Grid
    points = [(xy, actual, "train"), (xy[: rows // 4], actual[: rows // 4], "test")]
    names = {k: k for k in ("title", "x", "y", "right", "wrong", "predicted", "actual")}
    mistakes = rng.random((32, 28, 28))
    titles = ["7 → 1 (55%)"] * 32
    figures = {
        f"table: projection, {rows:,} rows": lambda m: m["tables"].projection_figure(
            xy, predicted, actual, ("a", "b", "c"), names),
        f"table: boundary, {rows:,} rows": lambda m: m["boundary"].boundary_figure(
            grid, points, "classification", False, LABELS),
        "images: mistakes, 32 of 28 x 28": lambda m: m["images"].image_grid_figure(
            mistakes, titles, 8, {"title": "Mistakes", "value": "pixel"}),
    }
    now = {"tables": tables, "boundary": boundary, "images": images}
    print("\nOther pages: CPU ms and KB per figure and tick (median of 5)")
    out = []
    for name, build in figures.items():
        for label, mods in (("before", before), ("after", now)):
            if mods is None:
                continue
            ticks = [time_figures({name: lambda b=build, m=mods: b(m)})[name] for _ in range(5)]
            out.append([name, label, f"{statistics.median(s for s, _ in ticks) * 1e3:.1f}",
                        f"{ticks[-1][1] / 1024:.1f}"])
    table(["figure", "code", "ms", "KB"], out, left=2)


def profile_tick(seconds: float = 4.0, top: int = 40) -> None:
    """cProfile of one full run of the 2D page while it trains (AppTest runs the
    page in a thread of its own: the profiler is started in that thread)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    at.button(key="cmd.play").click().run()
    time.sleep(seconds)
    at.run()  # warm: the figures' first build imports and caches
    profiler = cProfile.Profile()
    threading.setprofile(lambda *_: (threading.setprofile(None), profiler.enable()))
    t0 = time.perf_counter()
    at.run()
    wall = time.perf_counter() - t0
    threading.setprofile(None)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(top)
    print(f"\ncProfile of one run of the 2D page while training ({wall * 1e3:.0f} ms wall; "
          f"a full run, which a fragment's tick is a part of)")
    print("\n".join(line for line in out.getvalue().splitlines() if line.strip())[:6000])
    import streamlit as st
    st.cache_resource.clear()  # stops the session's training process


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-decimate", action="store_true",
                        help="'after' sends every point of the curves")
    parser.add_argument("--profile", action="store_true",
                        help="also cProfile one live run of the 2D page (AppTest)")
    args = parser.parse_args()
    print("bench_redraw: server time and bytes per redraw of the 2D page")
    before = load_before()
    if before is None:
        print(f"  (no 'before': git or commit {BEFORE_REV} not available)")
    bench(not args.no_decimate, before)
    other_pages(before)
    if args.profile:
        profile_tick()


if __name__ == "__main__":
    main()
