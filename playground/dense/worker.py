"""The page's handle on a training process: commands in, snapshots out.

A Worker starts one child process (playground/runner.py explains why not a
thread) and a receiver thread that turns the child's messages into immutable
Snapshots. The page never touches the model: it sends commands and reads
`snapshot()`. It never calls Streamlit. When nobody has asked for a snapshot
for IDLE_TIMEOUT seconds (a closed or hidden tab), training pauses itself and
resumes on the next request; `stop()` ends the process.
"""

from __future__ import annotations

import contextlib
import itertools
import multiprocessing as mp
import sys
import threading
import time
import types
from dataclasses import dataclass, field, replace

from playground.core.history import COLUMNS, History
from playground.data.dataset import Dataset
from playground.dense.probe import Grid
from playground.dense.runner import Spread, serve
from playground.dense.spec import Experiment

IDLE_TIMEOUT = 8.0  # seconds without a snapshot request before training pauses
START_TIMEOUT = 60.0  # first start imports torch in the fork server


@dataclass(frozen=True)
class Snapshot:
    spec: Experiment
    status: str  # "paused", "running", "diverged" or "error"
    epoch: int
    step: int
    history: History  # append-only; rows [0, n) belong to this snapshot
    n: int
    grid: Grid
    data: Dataset
    steps_per_sec: float
    device: str
    message: str = ""  # divergence reason ("nan", "inf") or error details
    version: int = 0  # increases with every message
    network: dict | None = None  # probe.neuron_maps output, when that view is on
    # Append-only lists shared with later snapshots; [0, n) are this one's.
    stats_list: list = field(default_factory=list)  # layer-statistics rows (dicts)
    n_stats: int = 0
    hists: tuple = ()  # histogram snapshots spread over the run, newest last
    # A table run's predictions: {"train": (N_train,), "test": (N_test,)}
    # class indices, or values for regression (in the trainer's units).
    predictions: dict | None = None

    def frame(self):
        return self.history.frame(self.n)

    @property
    def stats(self) -> list[dict]:
        return self.stats_list[: self.n_stats]



def _context():
    # forkserver: children fork from a clean, single-threaded server that has
    # imported torch once, so a new session starts in milliseconds and shares
    # torch's memory. Elsewhere (macOS, Windows) spawn is the safe choice.
    if sys.platform.startswith("linux"):
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(
            ["playground.dense.runner", "playground.images.runner", "playground.dense.table_runner"]
        )
        return ctx
    return mp.get_context("spawn")


_START_LOCK = threading.Lock()


@contextlib.contextmanager
def _plain_main():
    """Hide the running script from multiprocessing while a child starts.

    A new process re-imports the parent's __main__ to find pickled targets.
    Under `streamlit run`, __main__ is the page script itself, so the child
    would run the page (and start a worker of its own). Our target lives in
    playground.dense.runner, so the child needs nothing from __main__.
    """
    with _START_LOCK:
        real = sys.modules["__main__"]
        sys.modules["__main__"] = types.ModuleType("__main__")
        try:
            yield
        finally:
            sys.modules["__main__"] = real


class Worker:
    """The 2D playground's worker. Subclasses (the image page's) swap the
    child's main loop (`target`) and how its messages become snapshots
    (`_accept`); the process, pipe, commands and idle pause are shared."""

    target = staticmethod(serve)

    def __init__(self, spec) -> None:
        ctx = _context()
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(target=self.target, args=(child, spec), daemon=True,
                                 name="playground-trainer")
        with _plain_main():
            self._proc.start()
        child.close()
        self._spec = spec
        self._views: frozenset[str] = frozenset()
        self._send_lock = threading.Lock()
        self._cond = threading.Condition()
        self._snapshot: Snapshot | None = None
        self._synced: set[int] = set()
        self._ids = itertools.count(1)
        self._history = History()
        self._stats: list[dict] = []
        self._hists = Spread()
        self._network = None
        self._run = None
        self._data = None
        self._version = 0
        self._state: dict | None = None
        self._last_seen = time.monotonic()
        self._idle = False
        self._closed = False
        self._stopping = False
        self._receiver = threading.Thread(target=self._receive, name="trainer-rx", daemon=True)
        self._receiver.start()
        with self._cond:
            self._cond.wait_for(lambda: self._snapshot is not None or self._closed,
                                timeout=START_TIMEOUT)
        if self._snapshot is None:
            raise RuntimeError("the training process did not start")

    # ---- page side ---------------------------------------------------------
    @property
    def spec(self) -> Experiment:
        """The spec most recently sent (it may not have reached a snapshot yet)."""
        return self._spec

    @property
    def alive(self) -> bool:
        return self._proc.is_alive()

    def snapshot(self) -> Snapshot:
        """Latest snapshot; also the heartbeat that keeps training going."""
        self._last_seen = time.monotonic()
        if self._idle:
            self._idle = False
            self._send("wake")
        return self._snapshot

    def play(self) -> None:
        self._send("play")

    def pause(self) -> None:
        self._send("pause")

    def step(self) -> None:
        self._send("step")

    def reset(self, spec: Experiment | None = None) -> None:
        self._spec = spec or self._spec
        self._send("reset", spec)

    def update(self, spec: Experiment) -> None:
        """Apply a new spec: live where possible (lr, view options), else rebuild."""
        self._spec = spec
        self._send("update", spec)

    @property
    def views(self) -> frozenset[str]:
        """The optional probes most recently asked for."""
        return self._views

    def set_views(self, views: set[str]) -> None:
        """Which optional probes to run ("network", "stats")."""
        self._views = frozenset(views)
        self._send("views", self._views)

    def edit(self, kind: str, layer: int, row: int, col: int, value: float) -> None:
        """Set one weight ("w") or bias ("b"); applies at once, also while paused."""
        self._send("edit", (kind, layer, row, col, value))

    def fetch_state(self, timeout: float = 5.0) -> dict | None:
        """The model's current weights (name -> CPU tensor), or None if the
        process doesn't answer in time."""
        self._state = None
        self._send("state")
        if not self.wait_idle(timeout):
            return None
        return self._state

    def load_state(self, state: dict) -> None:
        """Replace the weights (checked by the caller); training pauses."""
        self._send("load", state)

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Wait until every command sent so far shows in the snapshot."""
        sync_id = self._send("sync")
        with self._cond:
            return self._cond.wait_for(lambda: sync_id in self._synced or self._closed, timeout)

    def stop(self) -> None:
        """End the process; idempotent. The receiver thread closes nothing:
        the pipe is closed here only after that thread has finished with it."""
        with self._send_lock:
            if self._stopping:
                return
            self._stopping = True
            try:
                self._conn.send(("stop", None, None))
            except (OSError, ValueError):
                pass  # already gone
        self._proc.join(timeout=3)
        if self._proc.is_alive():
            self._proc.terminate()
            self._proc.join(timeout=3)
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        if self._receiver is not threading.current_thread():
            self._receiver.join(timeout=3)
        self._conn.close()

    # ---- plumbing ----------------------------------------------------------
    def _send(self, command: str, arg=None) -> int:
        sync_id = next(self._ids)
        self._last_seen = time.monotonic() if command != "wake" else self._last_seen
        with self._send_lock:
            if self._closed or self._stopping:
                return sync_id
            try:
                self._conn.send((command, arg, sync_id))
            except (OSError, ValueError):  # the process is gone: report, don't raise
                self._mark_dead()
        return sync_id

    def _receive(self) -> None:
        while not self._closed:
            try:
                if not self._conn.poll(1.0):
                    self._check_idle()
                    continue
                msg = self._conn.recv()
            except (EOFError, OSError, ValueError):
                if not self._stopping:
                    self._mark_dead()
                return
            if msg.get("state") is not None:
                self._state = msg["state"]  # before _accept publishes the sync ids
            self._accept(msg)
            self._check_idle()

    def _publish(self, snap, synced) -> None:
        with self._cond:
            self._snapshot = snap
            self._synced.update(synced)
            self._cond.notify_all()

    def _check_idle(self) -> None:
        snap = self._snapshot
        if (not self._idle and snap is not None and snap.status == "running"
                and time.monotonic() - self._last_seen > IDLE_TIMEOUT):
            self._idle = True
            self._send("idle")

    def _accept(self, msg: dict) -> None:
        if msg["run"] != self._run:
            self._run, self._history = msg["run"], History()
            self._stats, self._hists = [], Spread()
        if msg["data"] is not None:
            self._data = msg["data"]
        rows = msg["rows"]
        for i in range(len(rows["epoch"])):
            self._history.append(**{c: rows[c][i] for c in COLUMNS})
        self._stats.extend(msg["stats"])
        if msg["hist"] is not None:
            self._hists.add(msg["hist"])
        self._version += 1
        snap = Snapshot(
            spec=msg["spec"], status=msg["status"], epoch=msg["epoch"], step=msg["step"],
            history=self._history, n=len(self._history), grid=msg["grid"], data=self._data,
            steps_per_sec=msg["rate"], device=msg["device"], message=msg["detail"],
            version=self._version, network=msg["network"],
            stats_list=self._stats, n_stats=len(self._stats),
            hists=self._hists.items(), predictions=msg.get("pred"),
        )
        self._publish(snap, msg["synced"])

    def _mark_dead(self) -> None:
        with self._cond:
            if self._snapshot is not None and not self._closed:
                self._snapshot = replace(self._snapshot, status="error",
                                         message="the training process ended")
            self._closed = True
            self._cond.notify_all()
