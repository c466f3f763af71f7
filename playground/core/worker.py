"""The page's handle on a training process: commands in, snapshots out.

A worker starts one child process (core/runner.py says why not a thread) and a
receiver thread that turns its messages into immutable snapshots. Starting
never raises: a slow start is a wait (`started`, `wait_started`), and the page
says how many sessions are starting ahead (core/pacing.py's Scheduler).

Play asks the server's scheduler for a training slot: granted, the process
trains at the pace the scheduler sets; else the run waits in the queue (its
snapshots say "running", `standing()` says how many are ahead) and starts when
a slot frees. Pausing, an idle session, or a run that stops itself frees it.

When nobody asks for a snapshot for IDLE_TIMEOUT seconds, training pauses
until the next request. A closed tab stops its worker at once (the page's
session-scoped cache releases it), and a tab the browser reports hidden
pauses at once (`set_hidden`), so the timeout only has to catch a page that
stopped redrawing: it must stay well above any redraw delay under load.
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

from playground.core import pacing
from playground.core.history import History
from playground.core.pacing import Pace, Scheduler, Standing
from playground.core.runner import Message, main

# Seconds without a snapshot request before training pauses. A page redraws
# twice a second, but on a loaded server a redraw can come tens of seconds
# late, and a late redraw must slow a page down, never stop its training
# (issue 12: at 8 s, every page under load stalled). What this still catches:
# a tab the browser froze or discarded, a laptop gone to sleep, a page whose
# websocket hangs half-open. (A hidden tab's timers still fire, throttled to
# one wake-up a minute at most in Chrome: the page's own report that it is
# hidden, `set_hidden`, is what pauses it.)
IDLE_TIMEOUT = 90.0
# How long Worker() waits for the process's first message before it returns
# anyway (the first start imports torch in the fork server). It never raises:
# the page waits on `wait_started` with a message.
START_TIMEOUT = 60.0
# Imported once by the fork server, so a new session's process starts with them.
PRELOAD = ["playground.dense.runner", "playground.images.runner",
           "playground.dense.compare_runner"]


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
    epochs_per_sec: float = 0.0  # measured, pauses for the pace included; 0 unless running
    warning: object = None  # a core.loss_watch.LossWarning while the rate looks too big

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
    """The process, pipe, commands, sync ids, training slot and idle pause
    every page shares. A subclass names its `runner` class and builds
    snapshots in `_snapshot_from`."""

    runner: type  # a core.runner.BaseRunner subclass

    def __init__(self, spec, wait: float | None = None,
                 scheduler: Scheduler | None = None) -> None:
        """Start the process on `spec`; wait up to `wait` seconds (default
        START_TIMEOUT) for its first snapshot, and return either way."""
        self._scheduler = scheduler or pacing.shared()
        self._queued = False  # waiting in the scheduler's queue for a slot
        self._full_speed = False
        self._resume = "play"  # what a granted slot sends: "play", or "wake" after idle
        self._resume_sync: int | None = None  # sync id of the last play/wake sent
        ctx = _context()
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(target=main, args=(child, self.runner, spec), daemon=True,
                                 name="playground-trainer")
        self._scheduler.starting(self)
        try:
            with _plain_main():
                self._proc.start()
        except BaseException:
            self._scheduler.forget(self)
            raise
        finally:
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
        self._state: dict | None = None  # the weights a "state" command asked for
        self._hidden = False  # the page's tab is hidden: idle, and looking doesn't wake it
        self._idle_lock = threading.Lock()  # the receiver thread and the page both idle it
        self._closed = False
        self._stopping = False
        self._receiver = threading.Thread(target=self._receive, name="trainer-rx", daemon=True)
        self._receiver.start()
        self.wait_started(START_TIMEOUT if wait is None else wait)

    # ---- page side ---------------------------------------------------------
    @property
    def spec(self):
        """The spec most recently sent (it may not have reached a snapshot yet)."""
        return self._spec

    @property
    def alive(self) -> bool:
        """True while the process can train: running, and its pipe not broken."""
        return not self._closed and self._proc.is_alive()

    @property
    def started(self) -> bool:
        """True once the process sent its first snapshot."""
        return self._snapshot is not None

    def wait_started(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for the first snapshot; True if it came."""
        with self._cond:
            self._cond.wait_for(lambda: self._snapshot is not None or self._closed, timeout)
        return self._snapshot is not None

    def snapshot(self):
        """Latest snapshot (None until the process started); also the heartbeat
        that keeps training going. A run waiting for a slot shows as "running"
        (the page polls and offers Pause); `standing()` tells it apart."""
        self._last_seen = time.monotonic()
        with self._idle_lock:
            wake = self._idle and not self._hidden
            self._idle = self._idle and not wake
        if wake:
            self._request()
        snap = self._snapshot
        if self._queued and snap is not None and snap.status == "paused":
            snap = replace(snap, status="running")
        return snap

    def set_hidden(self, hidden: bool) -> None:
        """The page's tab was hidden (another tab, a minimised window) or shown
        again. Hidden, a run pauses at once and frees its slot for a page that
        someone sees, as after IDLE_TIMEOUT; shown again, it carries on, and
        this returns once the snapshot shows it (so the page polls again)."""
        if hidden == self._hidden:
            return
        self._hidden = hidden
        if hidden:
            self._check_idle()
        else:
            self.snapshot()
            self.wait_idle(timeout=2.0)

    def standing(self) -> Standing:
        """Where this session stands on the server: starting, queued or training."""
        return self._scheduler.standing(self)

    @property
    def full_speed(self) -> bool:
        return self._full_speed

    def set_full_speed(self, on: bool) -> None:
        """Lift the epochs-per-second cap (the fair share of the cores holds)."""
        if on != self._full_speed:
            self._full_speed = on
            if self._scheduler.holds(self):
                self.paced(self._scheduler.share())

    def play(self) -> None:
        self._last_seen = time.monotonic()  # a heartbeat, even if it only joins the queue
        self._resume = "play"
        self._request()

    def pause(self) -> None:
        self._leave()
        self._send("pause")

    def step(self) -> None:
        self._leave()
        self._send("step")

    def reset(self, spec=None) -> None:
        self._spec = spec or self._spec
        self._send("reset", spec)

    def update(self, spec) -> None:
        """Apply a new spec: live where possible (learning rate, view options), else rebuild."""
        self._spec = spec
        self._send("update", spec)

    def fetch_state(self, timeout: float = 5.0) -> dict | None:
        """The model's current weights (name -> CPU tensor), or None if the
        process doesn't answer in time (a task's `_snapshot_from` keeps the
        message's `state` in `_state` before the sync ids are published)."""
        self._state = None
        self._send("state")
        return self._state if self.wait_idle(timeout) else None

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
        self._scheduler.forget(self)
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

    # ---- the scheduler's side (core.pacing.Member) ---------------------------
    def granted(self) -> None:
        """A slot freed for this queued run: it trains now (unless it just left)."""
        self._queued = False
        if self._scheduler.holds(self):
            self._resume_sync = self._send(self._resume, heartbeat=False)

    def paced(self, share: float) -> None:
        self._send("pace", Pace(share, self._full_speed), heartbeat=False)

    def _request(self) -> None:
        """Ask for a slot: train now, or wait in the queue."""
        if self._scheduler.request(self):
            self.granted()
        else:
            self._queued = True

    def _leave(self) -> None:
        """Give up the slot, or the place in the queue."""
        self._queued = False
        self._scheduler.release(self)

    # ---- plumbing ----------------------------------------------------------
    def _send(self, command: str, arg=None, heartbeat: bool = True) -> int:
        """Send a command; the page's own commands count as a heartbeat, the
        scheduler's and the idle pause's don't."""
        sync_id = next(self._ids)
        if heartbeat:
            self._last_seen = time.monotonic()
        with self._send_lock:
            if self._closed or self._stopping:
                return sync_id
            try:
                self._conn.send((command, arg, sync_id))
                return sync_id
            except (OSError, ValueError):  # the process is gone: report, don't raise
                pass
        self._mark_dead()  # outside the lock: it tells the scheduler, which may send to others
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
        publish the snapshot built from it. A run that stopped training after
        its play arrived (paused itself, diverged, finished, failed) frees its slot."""
        if self._snapshot is None:
            self._scheduler.started(self)
        if msg.run != self._run:
            self._run, self._history = msg.run, History(tuple(msg.rows))
            self._start_run()
        for values in zip(*msg.rows.values()):
            self._history.append(**dict(zip(msg.rows, values)))
        self._version += 1
        snap = self._snapshot_from(msg, dict(
            spec=msg.spec, status=msg.status, epoch=msg.epoch, step=msg.step,
            history=self._history, n=len(self._history), device=msg.device,
            message=msg.detail, version=self._version, epochs_per_sec=msg.epoch_rate,
            warning=msg.warning))
        with self._cond:
            self._snapshot = snap
            self._synced.update(msg.synced)
            self._cond.notify_all()
        if (msg.status != "running" and self._resume_sync in self._synced
                and self._scheduler.holds(self)):
            self._scheduler.release(self)

    def _start_run(self) -> None:
        """Forget what the previous run's messages left (the history is new already)."""

    def _snapshot_from(self, msg: Message, common: dict) -> BaseSnapshot:
        """Keep the message's extras and build the task's snapshot."""
        return BaseSnapshot(**common)

    def _check_idle(self) -> None:
        """Nobody looked for IDLE_TIMEOUT seconds, or the tab is hidden: pause
        (or leave the queue) and free the slot; the next snapshot request of a
        page someone sees asks for one again."""
        snap = self._snapshot
        unseen = self._hidden or time.monotonic() - self._last_seen > IDLE_TIMEOUT
        with self._idle_lock:
            if (self._idle or snap is None or not unseen
                    or (snap.status != "running" and not self._queued)):
                return
            self._idle = True
        if self._queued:  # never started: it resumes with a plain play
            self._leave()
            return
        self._resume = "wake"
        self._leave()
        self._send("idle", heartbeat=False)

    def _mark_dead(self) -> None:
        self._scheduler.forget(self)
        with self._cond:
            if self._snapshot is not None and not self._closed:
                self._snapshot = replace(self._snapshot, status="error",
                                         message="the training process ended")
            self._closed = True
            self._cond.notify_all()
