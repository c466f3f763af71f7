"""The training loop that runs in the worker's own process.

Why a process and not a thread: PyTorch releases the GIL inside every
kernel, and a tiny network's step is dozens of kernels. With a busy page
thread in the same process (building figures, serving the websocket) each
re-acquire waits for Python's switch interval, and a step that takes 0.1 ms
alone took 10 ms (measured: 5,000 steps/s alone, 66 beside a thread building
figures). A child process has its own GIL and its own core.

`serve` reads commands from a pipe, applies them between epochs, and sends
messages (dicts of plain data: new history rows, the boundary grid, status)
at a throttled rate. It blocks when paused, so a paused session costs no CPU.
"""

from __future__ import annotations

import time
import traceback
from dataclasses import fields, replace

import torch

from playground.core.device import describe
from playground.dense.probe import boundary_grid, histograms, layer_stats, neuron_maps
from playground.dense.spec import Experiment
from playground.dense.trainer import Trainer

PUBLISH_EVERY = 0.1  # seconds between messages while training (grid included)
PROBE_SHARE = 0.1  # at most this share of the time goes to messages: big nets publish less often
SLICE = 0.05  # seconds of training between command checks
VIEW_FIELDS = {"show_test", "discretize"}
STATS_EVERY = 0.25  # seconds between layer-statistics rows while training
HIST_EVERY = 1.0  # seconds between histogram snapshots while training
MAX_HISTS = 64  # histogram snapshots kept, spread over the whole run (see Spread)
VIEWS = {"network", "stats"}  # optional probes; each costs time only when on


class Spread:
    """At most `cap` items spread evenly over everything added, plus the newest.

    Item k (counting from 0) is kept while k is a multiple of the stride; the
    stride doubles whenever the kept items pass `cap`, dropping every other
    one. So a long run keeps snapshots from its whole length, not just its end.
    """

    def __init__(self, cap: int = MAX_HISTS) -> None:
        self.cap = cap
        self.stride = 1
        self.count = 0
        self.kept: list = []
        self.newest = None

    def add(self, item) -> None:
        if self.count % self.stride == 0:
            self.kept.append(item)
            if len(self.kept) > self.cap:
                self.stride *= 2
                self.kept = self.kept[::2]
        self.count += 1
        self.newest = item

    def items(self) -> tuple:
        """Kept items oldest first, ending with the newest one added."""
        if self.newest is None:
            return ()
        if self.kept and self.kept[-1] is self.newest:
            return tuple(self.kept)
        return (*self.kept, self.newest)


def changed_fields(old, new) -> set[str]:
    """Names of the dataclass fields whose values differ between two specs."""
    return {f.name for f in fields(old) if getattr(old, f.name) != getattr(new, f.name)}


def idle_or_wake(runner, command: str) -> bool:
    """The idle pause every runner shares: "idle" stops a running trainer and
    remembers that it ran, "wake" resumes it. False for other commands."""
    if command == "idle":
        runner.idle, runner.running = runner.running, False
    elif command == "wake":
        runner.running, runner.idle = runner.running or runner.idle, False
    else:
        return False
    return True


def spec_change(old: Experiment, new: Experiment) -> str:
    """How a new spec is applied: 'none', 'view', 'lr' (live) or 'rebuild'."""
    changed = changed_fields(old, new)
    if not changed:
        return "none"
    if changed <= VIEW_FIELDS:
        return "view"
    if changed <= VIEW_FIELDS | {"lr"}:
        return "lr"
    return "rebuild"


class Runner:
    """A Trainer plus play/pause state; turns commands into training and messages."""

    def __init__(self, spec: Experiment) -> None:
        self.run_id = 0
        self.running = False
        self.idle = False  # paused because nobody is watching; resumes on "wake"
        self.rate = 0.0
        self.error = ""
        self.views: set[str] = set()
        self._new_trainer(spec)

    def _make_trainer(self, spec) -> Trainer:
        return Trainer(spec)

    def _new_trainer(self, spec) -> None:
        self.trainer = self._make_trainer(spec)
        self.want_state = False  # the next message carries the weights
        self.run_id += 1
        self.sent_rows = 0
        self.sent_data = False
        self.rate = 0.0
        self.error = ""
        self.stats: list[dict] = []  # long form: one row per (record, layer)
        self.sent_stats = 0
        self.stats_at = (-1, 0.0)  # (step, time) of the last stats record
        self.hist_at = (-1, 0.0)

    def apply(self, command: str, arg=None) -> None:
        trainer = self.trainer
        if command == "play":
            self.running = trainer.diverged is None and not self.error
        elif command == "pause":
            self.running = False
        elif command == "step":
            self.running = False
            trainer.train_epoch()
        elif command == "reset":
            self._new_trainer(arg or trainer.spec)
        elif command == "update":
            change = spec_change(trainer.spec, arg)
            if change == "rebuild":
                self._new_trainer(arg)
            elif change == "lr":
                trainer.set_lr(arg.lr)
                trainer.spec = arg
            elif change == "view":
                trainer.spec = replace(arg, lr=trainer.spec.lr)
        elif command == "views":
            self.views = set(arg) & VIEWS
        elif command == "edit":
            trainer.edit(*arg)
            self.stats_at = self.hist_at = (-1, 0.0)  # the edit shows in the next records
        elif command == "state":
            self.want_state = True
        elif command == "load":
            self.running = False
            trainer.load_state(arg)
        else:
            idle_or_wake(self, command)
        if self.trainer.diverged:
            self.running = False

    def train_slice(self) -> None:
        trainer = self.trainer
        start, steps0 = time.perf_counter(), trainer.step
        while time.perf_counter() - start < SLICE and not trainer.diverged:
            trainer.train_epoch()
        elapsed = time.perf_counter() - start
        rate = (trainer.step - steps0) / elapsed
        self.rate = rate if self.rate == 0 else 0.7 * self.rate + 0.3 * rate
        if trainer.diverged:
            self.running = False

    def status(self) -> tuple[str, str]:
        if self.error:
            return "error", self.error
        if self.trainer.diverged:
            return "diverged", self.trainer.diverged
        return ("running" if self.running else "paused"), ""

    def _probe(self) -> tuple[dict | None, list[dict], dict | None]:
        """Network maps, new stats rows and a new histogram snapshot, each
        only if its view is on and (while training) its interval has passed."""
        trainer, now = self.trainer, time.monotonic()
        network = neuron_maps(trainer) if "network" in self.views else None
        hist = None
        if "stats" in self.views:
            due = not self.running or now - self.stats_at[1] >= STATS_EVERY
            if trainer.step != self.stats_at[0] and due:
                for row in layer_stats(trainer):
                    self.stats.append({"epoch": trainer.epoch, "step": trainer.step, **row})
                self.stats_at = (trainer.step, now)
            due = not self.running or now - self.hist_at[1] >= HIST_EVERY
            if trainer.step != self.hist_at[0] and due:
                hist = {"epoch": trainer.epoch, "step": trainer.step, **histograms(trainer)}
                self.hist_at = (trainer.step, now)
        new_stats = self.stats[self.sent_stats :]
        self.sent_stats = len(self.stats)
        return network, new_stats, hist

    def message(self) -> dict:
        """Everything the page needs that changed since the last message."""
        trainer = self.trainer
        cols = trainer.history.cols
        n = len(trainer.history)
        rows = {c: v[self.sent_rows : n] for c, v in cols.items()}
        self.sent_rows = n
        status, detail = self.status()
        network, stats, hist = self._probe()
        msg = {
            "run": self.run_id, "spec": trainer.spec, "status": status, "detail": detail,
            "epoch": trainer.epoch, "step": trainer.step, "rows": rows,
            "grid": self.grid(), "device": describe(trainer.device),
            "rate": self.rate if status == "running" else 0.0,
            "data": None if self.sent_data else trainer.data,
            "network": network, "stats": stats, "hist": hist,
            "state": self.take_state(),
        }
        self.sent_data = True
        return msg

    def grid(self):
        return boundary_grid(self.trainer)

    def take_state(self) -> dict | None:
        """The model's weights as CPU tensors, once per "state" command."""
        if not self.want_state:
            return None
        self.want_state = False
        return {k: v.detach().cpu().clone() for k, v in self.trainer.model.state_dict().items()}


def serve(conn, spec: Experiment) -> None:
    """The 2D playground's child process."""
    torch.set_num_threads(1)  # tiny tensors: threads only add overhead, and cores are shared
    serve_runner(conn, Runner(spec))


def serve_runner(conn, runner, publish_every: float = PUBLISH_EVERY) -> None:
    """Child-process main loop around any runner with `running`, `error`,
    `views`, `apply`, `train_slice` and `message`. Commands are
    (name, arg, sync_id) tuples; every message echoes the sync ids it
    answers, so the parent can wait for a command to take effect."""

    interval = publish_every

    def send(synced: list) -> None:
        nonlocal interval
        start = time.perf_counter()
        try:
            msg = runner.message()
        except Exception:  # noqa: BLE001 - a probe failed: report it, keep serving
            runner.running = False
            runner.error = traceback.format_exc(limit=4)
            runner.views = set()
            msg = runner.message()
        conn.send({**msg, "synced": synced})
        # (R*R grid and maps through an 8 x 64 network take ~15 ms: space them out.)
        interval = max(publish_every, (time.perf_counter() - start) / PROBE_SHARE)

    send([])

    last_publish = time.monotonic()
    while True:
        try:
            # Block while paused (no CPU); only peek while training.
            if conn.poll(None if not runner.running else 0):
                synced = []
                while True:
                    command, arg, sync_id = conn.recv()
                    if command == "stop":
                        return
                    try:
                        runner.apply(command, arg)
                    except Exception:  # noqa: BLE001 - shown on the page as a plain message
                        runner.running = False
                        runner.error = traceback.format_exc(limit=4)
                    if sync_id is not None:
                        synced.append(sync_id)
                    if not conn.poll(0):
                        break
                send(synced)
                last_publish = time.monotonic()
            if runner.running:
                try:
                    runner.train_slice()
                except Exception:  # noqa: BLE001
                    runner.running = False
                    runner.error = traceback.format_exc(limit=4)
                if time.monotonic() - last_publish >= interval or not runner.running:
                    send([])
                    last_publish = time.monotonic()
        except (EOFError, BrokenPipeError, ConnectionResetError, KeyboardInterrupt):
            return  # the page process went away: nothing left to serve


def _warm_up() -> None:
    """torch.optim imports torch._dynamo lazily on first use (about 1.5 s).
    The fork server imports this module once, so doing it here means every
    session's process starts with it already loaded."""
    torch.optim.Adam([torch.zeros(1, requires_grad=True)], lr=0.1)


_warm_up()
