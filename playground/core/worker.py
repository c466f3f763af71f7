"""The page's handle on a training process: commands in, snapshots out.

A worker starts one child process (core/runner.py says why not a thread) and a
receiver thread that turns its messages into immutable snapshots. When nobody
asks for a snapshot for IDLE_TIMEOUT seconds (a closed or hidden tab),
training pauses until the next request.
"""

from __future__ import annotations

import contextlib
import itertools
import multiprocessing as mp
import sys
import threading
import time
import types
from dataclasses import dataclass, replace

from playground.core.history import History
from playground.core.runner import Message, serve

IDLE_TIMEOUT = 8.0  # seconds without a snapshot request before training pauses
START_TIMEOUT = 60.0  # first start imports torch in the fork server
# Imported once by the fork server, so a new session's process starts with them.
PRELOAD = ["playground.dense.runner", "playground.images.runner"]


@dataclass(frozen=True, kw_only=True)
class BaseSnapshot:
    """What every task's snapshot holds; each task adds its own fields."""

    spec: object
    status: str  # "paused", "running", "diverged", "finished" or "error"
    epoch: int
    step: int
    history: History  # append-only; rows [0, n) belong to this snapshot
    n: int
    device: str
    message: str = ""  # divergence reason ("nan", "inf"), stop rule, or error details
    version: int = 0  # increases with every message

    def frame(self):
        return self.history.frame(self.n)


def _context():
    # forkserver: children fork from a clean, single-threaded server that has
    # imported torch once, so a new session starts in milliseconds and shares
    # torch's memory. Elsewhere (macOS, Windows) spawn is the safe choice.
    if sys.platform.startswith("linux"):
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(PRELOAD)
        return ctx
    return mp.get_context("spawn")


_START_LOCK = threading.Lock()


@contextlib.contextmanager
def _plain_main():
    """Hide the running script from multiprocessing while a child starts: a
    new process re-imports the parent's __main__, which under `streamlit run`
    is the page script, so the child would run the page. Our target lives in
    playground.core.runner and needs nothing from __main__."""
    with _START_LOCK:
        real = sys.modules["__main__"]
        sys.modules["__main__"] = types.ModuleType("__main__")
        try:
            yield
        finally:
            sys.modules["__main__"] = real


class BaseWorker:
    """The process, pipe, commands, sync ids and idle pause every page shares.
    A subclass names its `runner` class and builds snapshots in `_snapshot_from`."""

    runner: type  # a core.runner.BaseRunner subclass

    def __init__(self, spec) -> None:
        ctx = _context()
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(target=serve, args=(child, self.runner, spec), daemon=True,
                                 name="playground-trainer")
        with _plain_main():
            self._proc.start()
        child.close()
        self._spec = spec
        self._send_lock = threading.Lock()
        self._cond = threading.Condition()
        self._snapshot: BaseSnapshot | None = None
        self._synced: set[int] = set()
        self._ids = itertools.count(1)
        self._history = History()
        self._run = None
        self._version = 0
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
    def spec(self):
        """The spec most recently sent (it may not have reached a snapshot yet)."""
        return self._spec

    @property
    def alive(self) -> bool:
        return self._proc.is_alive()

    def snapshot(self):
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

    def reset(self, spec=None) -> None:
        self._spec = spec or self._spec
        self._send("reset", spec)

    def update(self, spec) -> None:
        """Apply a new spec: live where possible (learning rate, view options), else rebuild."""
        self._spec = spec
        self._send("update", spec)

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
            with contextlib.suppress(OSError, ValueError):  # already gone
                self._conn.send(("stop", None, None))
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
            self._accept(msg)
            self._check_idle()

    def _accept(self, msg: Message) -> None:
        """Append the message's rows (a new run starts a new history) and
        publish the snapshot built from it."""
        if msg.run != self._run:
            self._run, self._history = msg.run, History(tuple(msg.rows))
            self._start_run()
        for values in zip(*msg.rows.values()):
            self._history.append(**dict(zip(msg.rows, values)))
        self._version += 1
        snap = self._snapshot_from(msg, dict(
            spec=msg.spec, status=msg.status, epoch=msg.epoch, step=msg.step,
            history=self._history, n=len(self._history), device=msg.device,
            message=msg.detail, version=self._version))
        with self._cond:
            self._snapshot = snap
            self._synced.update(msg.synced)
            self._cond.notify_all()

    def _start_run(self) -> None:
        """Forget what the previous run's messages left (the history is new already)."""

    def _snapshot_from(self, msg: Message, common: dict) -> BaseSnapshot:
        """Keep the message's extras and build the task's snapshot."""
        return BaseSnapshot(**common)

    def _check_idle(self) -> None:
        snap = self._snapshot
        if (not self._idle and snap is not None and snap.status == "running"
                and time.monotonic() - self._last_seen > IDLE_TIMEOUT):
            self._idle = True
            self._send("idle")

    def _mark_dead(self) -> None:
        with self._cond:
            if self._snapshot is not None and not self._closed:
                self._snapshot = replace(self._snapshot, status="error",
                                         message="the training process ended")
            self._closed = True
            self._cond.notify_all()
