"""How the training processes of one server share its cores.

One page-server process holds every session's worker. Left alone, each
training process trains flat out, and eight of them starve the server process
that draws every page (issue 12: no page redrew). So the server keeps one
Scheduler, and each training process a Pacer:

- at most `slots` runs train at once; a Play beyond that waits in a queue,
  first come first served, and starts when a slot frees (a pause, an idle or
  closed session, a run that stopped itself);
- the runs that train share `budget` cores (the machine's, less half a core
  kept for the server): each gets an equal share of a core, sent to it as a
  Pace whenever the number of training runs changes;
- a Pacer in the training process sleeps between slices so the process uses
  at most its share, and trains at most a set number of epochs a second
  (TensorFlow Playground trains one per animation frame: at most 60).

Neither imports torch or streamlit: the page process and the tests use them.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

SERVER_CORES = 0.5  # kept for the server process that draws the pages
# Training runs at once per core. Measured on a 2-core machine: a default 2D
# epoch (with its boundary grid) costs ~5 ms of CPU, so 20 runs sharing 1.5
# cores still train ~15 epochs/s each; more would crawl, so they queue.
SLOTS_PER_CORE = 10
SLOTS_ENV = "PLAYGROUND_MAX_TRAINING"  # overrides the number of slots
CREDIT = 0.2  # seconds of unused pace a run may catch up on (after a stall)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Pace:
    """What the server tells a training process: its share of a core (math.inf:
    no limit) and whether it may skip its epochs-per-second cap."""

    share: float = math.inf
    full_speed: bool = False


@dataclass(frozen=True)
class Standing:
    """Where one session stands on the server, for the page to say plainly."""

    starting_ahead: int | None  # not started yet: processes starting before it; else None
    queued_ahead: int | None  # waiting for a slot: sessions ahead of it; else None
    training: int  # runs training on the server now, this one included if it trains
    share: float  # this run's share of a core while it trains
    slots: int  # runs the server trains at once


class Member(Protocol):
    """A worker as the scheduler sees it; both are called outside its lock."""

    def granted(self) -> None:
        """A queued run got its slot: start training."""

    def paced(self, share: float) -> None:
        """The share of a core this run may use now."""


# ---- the server side -------------------------------------------------------------------
class Scheduler:
    """Slots, the queue for them, and the pace of the runs that hold one.
    Thread-safe: every session's script thread and receiver thread call it."""

    def __init__(self, slots: int, budget: float) -> None:
        self.slots = max(1, slots)
        self.budget = budget
        self._lock = threading.Lock()
        # Held while telling members their pace, so two changes can't interleave
        # and leave a run with a stale share.
        self._notify = threading.Lock()
        self._training: list[Member] = []  # in the order their slots were granted
        self._queue: list[Member] = []  # first come, first served
        self._starting: list[Member] = []  # processes not yet heard from, oldest first

    # slots
    def request(self, member: Member) -> bool:
        """True if `member` holds a slot now; else it waits in the queue and
        `member.granted()` is called when one frees."""
        with self._lock:
            if member in self._training:
                return True
            if len(self._training) < self.slots and not self._queue:
                self._training.append(member)
                granted = True
            else:
                if member not in self._queue:
                    self._queue.append(member)
                granted = False
        if granted:
            self._repace()
        return granted

    def release(self, member: Member) -> None:
        """`member` stops training or waiting; the queue's head takes a free slot."""
        promoted = []
        with self._lock:
            if member in self._queue:
                self._queue.remove(member)
            if member not in self._training:
                return
            self._training.remove(member)
            while self._queue and len(self._training) < self.slots:
                promoted.append(self._queue.pop(0))
                self._training.append(promoted[-1])
        for m in promoted:
            m.granted()
        self._repace()

    def holds(self, member: Member) -> bool:
        with self._lock:
            return member in self._training

    def share(self) -> float:
        """Each training run's share of a core."""
        with self._lock:
            return self._share()

    def _share(self) -> float:
        return self.budget / max(1, len(self._training))

    def _repace(self) -> None:
        with self._notify:
            with self._lock:
                members, share = list(self._training), self._share()
            for m in members:
                m.paced(share)

    # starts
    def starting(self, member: Member) -> None:
        with self._lock:
            self._starting.append(member)

    def started(self, member: Member) -> None:
        with self._lock:
            if member in self._starting:
                self._starting.remove(member)

    def forget(self, member: Member) -> None:
        """`member` is gone (stopped, or its process died)."""
        self.started(member)
        self.release(member)

    def standing(self, member: Member) -> Standing:
        with self._lock:
            training = member in self._training
            return Standing(
                starting_ahead=(self._starting.index(member) if member in self._starting
                                else None),
                queued_ahead=self._queue.index(member) if member in self._queue else None,
                training=len(self._training),
                share=self._share() if training else self.budget / (len(self._training) + 1),
                slots=self.slots)


def available_cores() -> float:
    """The CPUs this process may use: its affinity, capped by a cgroup quota
    (a container, Streamlit Community Cloud's fraction of a core)."""
    try:
        cores = float(len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        cores = float(os.cpu_count() or 1)
    quota = _cgroup_quota()
    return min(cores, quota) if quota else cores


def _cgroup_quota() -> float | None:
    try:  # cgroup v2: "max 100000" or "<quota> <period>"
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()[:2]
        return None if quota == "max" else int(quota) / int(period)
    except (OSError, ValueError):
        pass
    try:  # cgroup v1: a quota of -1 means none
        base = Path("/sys/fs/cgroup/cpu")
        quota = int((base / "cpu.cfs_quota_us").read_text())
        period = int((base / "cpu.cfs_period_us").read_text())
        return quota / period if quota > 0 and period > 0 else None
    except (OSError, ValueError):
        return None


def default_slots(cores: float, env: dict | None = None) -> int:
    """SLOTS_PER_CORE per core (at least 2), or PLAYGROUND_MAX_TRAINING when
    that is a whole number of at least 1."""
    env = os.environ if env is None else env
    text = env.get(SLOTS_ENV, "").strip()
    if text:
        try:
            value = int(text)
            if value >= 1:
                return value
        except ValueError:
            pass
        log.warning("%s=%r is not a whole number of at least 1; using the default",
                    SLOTS_ENV, text)
    return max(2, round(SLOTS_PER_CORE * cores))


def training_budget(cores: float) -> float:
    """The cores the training runs share: all but SERVER_CORES, at least half of them."""
    return max(cores - SERVER_CORES, cores / 2)


_shared: Scheduler | None = None
_shared_lock = threading.Lock()


def shared() -> Scheduler:
    """The server's one scheduler. Process-wide on purpose: the cores it
    shares out are the whole process's (every session's worker lives here)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            cores = available_cores()
            _shared = Scheduler(default_slots(cores), training_budget(cores))
        return _shared


# ---- the training process's side ---------------------------------------------------------
class Pacer:
    """Keeps a training loop at its pace: on average at most `share` of a core
    (the process's CPU time over wall time) and at most `per_sec` units of
    training (epochs) a second. After each slice the loop asks `wait()` how long
    to sleep; time it could not use (a stall) is caught up on for CREDIT seconds
    at most, so a run never bursts after a pause."""

    def __init__(self, share: float = math.inf, per_sec: float | None = None,
                 cpu=time.process_time, clock=time.monotonic) -> None:
        self.share, self.per_sec = share, per_sec
        self._cpu, self._clock = cpu, clock
        self.restart()

    def restart(self) -> None:
        """Start counting afresh (training resumes, or the pace changed)."""
        self._at, self._cpu_at = self._clock(), self._cpu()
        self._units = 0
        self._debt = 0.0

    def set(self, share: float, per_sec: float | None) -> None:
        self.share, self.per_sec = share, per_sec
        self.restart()

    def slice_units(self, slice_s: float) -> int | None:
        """How many units one slice of `slice_s` seconds may train (None: any),
        so a capped run trains a few epochs at a time, not in bursts."""
        return None if self.per_sec is None else max(1, round(self.per_sec * slice_s))

    def add(self, units: int) -> None:
        self._units += units

    def wait(self) -> float:
        """Seconds to sleep now to keep the pace (0: train on)."""
        now, cpu = self._clock(), self._cpu()
        need = (cpu - self._cpu_at) / self.share if self.share > 0 else math.inf
        if self.per_sec:
            need = max(need, self._units / self.per_sec)
        self._debt = max(self._debt + need - (now - self._at), -CREDIT)
        self._at, self._cpu_at, self._units = now, cpu, 0
        return max(self._debt, 0.0)
