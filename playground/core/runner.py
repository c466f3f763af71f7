"""The training process: a runner driven by commands, and the loop around it.

Why a process and not a thread: PyTorch releases the GIL inside every kernel,
and beside a busy page thread each re-acquire waits for Python's switch
interval (measured: 5,000 steps/s alone, 66 beside a thread building figures).
A child process has its own GIL and its own core. `serve` blocks while
paused, so a paused session costs no CPU; while training it keeps the pace
the page's server sets (core/pacing.py), sleeping on the pipe between slices
so a command still wakes it at once.
"""

from __future__ import annotations

import contextlib
import math
import os
import time
import traceback
from dataclasses import dataclass, fields

import torch

from playground.core.device import describe
from playground.core.pacing import Pace, Pacer

PUBLISH_EVERY = 0.1  # seconds between messages while training
PROBE_SHARE = 0.1  # at most this share of the CPU goes to messages: big nets publish less often
MAX_INTERVAL = 1.0  # but a page sees news at least this often (seconds)
SLICE = 0.05  # seconds of training between command checks
RATE_SECONDS = 0.5  # the reported rates are averages over about this long
# Training processes run a little below the page server's priority, so a
# redraw that wakes up gets a core before them. Their pace, not this, shares
# the cores: in issue 12, nice 19 alone still stalled pages while anything
# else busy on the machine (there, the browsers) starved the training.
NICE = 2


@dataclass(kw_only=True)
class Message:
    """What the training process tells the page; a task's subclass adds its
    extras, where None means "nothing new"."""

    run: int  # increases with every new trainer: the page starts a new history
    spec: object  # the trainer's spec
    status: str  # "paused", "running", "diverged", "finished" or "error"
    detail: str  # divergence reason ("nan", "inf"), stop rule, or error details
    epoch: int
    step: int
    rows: dict[str, list]  # history rows recorded since the last message, by column
    rate: float  # steps (images: samples) per second; 0 unless running
    device: str
    epoch_rate: float = 0.0  # epochs per second; 0 unless running
    synced: list[int] | None = None  # the sync ids of the commands this answers
    warning: object = None  # a core.loss_watch.LossWarning while the rate looks too big


def changed_fields(old, new) -> set[str]:
    """Names of the dataclass fields whose values differ between two specs."""
    return {f.name for f in fields(old) if getattr(old, f.name) != getattr(new, f.name)}


class BaseRunner:
    """A trainer plus play/pause state; turns commands into training and messages.
    Subclasses give `make_trainer`, `spec_change` ('none', 'rebuild' or a live
    kind), `train_some` (an epoch or a batch), `extras` and maybe `command`."""

    publish_every = PUBLISH_EVERY
    threads = 1  # torch threads in the process: tiny tensors gain nothing from more
    message_class = Message
    # At most this many train_some() calls a second unless the run is at full
    # speed (None: no cap). The pace's share of a core holds either way.
    max_per_sec: float | None = None

    def __init__(self, spec) -> None:
        self.run_id = 0
        self.running = False
        self.idle = False  # paused because nobody is watching; resumes on "wake"
        self.views: set[str] = set()  # optional probes; emptied when one fails
        self.pace = Pace()  # until the server says otherwise: capped, any share
        self.pacer = Pacer(per_sec=self.max_per_sec)
        self.slice_end: float | None = None  # when the last slice of this stretch ended
        self.stretch = (0.0, 0, 0)  # (time, step, epoch) the stretch of training started at
        self.new_trainer(spec)

    def new_trainer(self, spec) -> None:
        """Start a new run: a fresh trainer, and nothing of it sent yet."""
        self.spec = spec  # what a plain "reset" rebuilds
        self.trainer = self.make_trainer(spec)
        self.run_id += 1
        self.sent_rows = 0
        self.told = False  # the run's first message carries what stays fixed (its data)
        self.rate = self.epoch_rate = 0.0
        self.error = ""

    def stopped(self) -> bool:
        """True when the trainer stopped itself (diverged, or a stop rule
        such as early stopping ended it); play can't go on from here."""
        trainer = self.trainer
        return trainer.diverged is not None or getattr(trainer, "finished", None) is not None

    # ---- commands --------------------------------------------------------
    def apply(self, command: str, arg=None) -> None:
        was_running = self.running
        self._apply(command, arg)
        if self.stopped():
            self.running = False
        if self.running and not was_running:  # a new stretch: no catching up on the pause
            self.pacer.restart()
            self.slice_end = None
            self.rate = self.epoch_rate = 0.0

    def _apply(self, command: str, arg) -> None:
        if command == "play":
            self.running = not self.stopped() and not self.error
        elif command == "pause":
            self.running = False
        elif command == "reset":
            self.new_trainer(arg or self.spec)
        elif command == "update":
            change = self.spec_change(self.spec, arg)
            if change == "rebuild":
                self.new_trainer(arg)
            elif change != "none":
                self.spec = arg
                self.live_update(arg)
        elif command == "idle":  # nobody is watching: remember whether it ran
            self.idle, self.running = self.running, False
        elif command == "wake":
            self.running, self.idle = self.running or self.idle, False
        elif command == "pace":
            self.set_pace(arg)
        else:
            self.command(command, arg)

    def set_pace(self, pace: Pace) -> None:
        """The share of a core the server gives this run, and whether it may
        train faster than its cap."""
        self.pace = pace
        self.pacer.set(pace.share, None if pace.full_speed else self.max_per_sec)

    def pause_for(self) -> float:
        """Seconds to wait before the next slice to keep the pace."""
        return self.pacer.wait() if self.running else 0.0

    def command(self, command: str, arg) -> None:
        """A task's own commands; unknown ones ("sync") do nothing."""

    def live_update(self, spec) -> None:
        """Apply a spec whose changes a trainer takes as it runs (the learning
        rate, view options); the optimizer's state is kept."""
        self.trainer.set_lr(spec.lr)
        self.trainer.spec = spec

    # ---- training --------------------------------------------------------
    def train_slice(self) -> None:
        """Train for about SLICE seconds (a capped run: at most its share of
        units), then update the smoothed rates. They count the time since the
        last slice ended, so a paced run reports the speed it really trains at."""
        trainer = self.trainer
        start, steps0, epoch0 = time.perf_counter(), trainer.step, trainer.epoch
        limit, units = self.pacer.slice_units(SLICE), 0
        while (time.perf_counter() - start < SLICE and self.running and not self.stopped()
               and (limit is None or units < limit)):
            self.train_some()
            units += 1
        self.pacer.add(units)
        end = time.perf_counter()
        first = self.slice_end is None  # a stretch of training starts
        if first:
            self.stretch = (start, steps0, epoch0)
        t0, s0, e0 = self.stretch
        if first or end - t0 < RATE_SECONDS:  # early on: the stretch's average so far
            since, weight = t0, 1.0
        else:  # then smoothed over about RATE_SECONDS, weighted by time (slices are uneven)
            since, s0, e0 = self.slice_end, steps0, epoch0
            weight = 1.0 - math.exp(-(end - since) / RATE_SECONDS)
        elapsed = max(end - since, 1e-9)
        self.rate += weight * ((trainer.step - s0) * self.samples_per_step() / elapsed - self.rate)
        self.epoch_rate += weight * ((trainer.epoch - e0) / elapsed - self.epoch_rate)
        self.slice_end = end
        if self.stopped():
            self.running = False

    def samples_per_step(self) -> int:
        """What the rate counts per optimizer step: 1 (steps per second)."""
        return 1

    def status(self) -> tuple[str, str]:
        if self.error:
            return "error", self.error
        if self.trainer.diverged:
            return "diverged", self.trainer.diverged
        if getattr(self.trainer, "finished", None) and not self.running:
            return "finished", self.trainer.finished
        return ("running" if self.running else "paused"), ""

    # ---- messages --------------------------------------------------------
    def extras(self, first: bool) -> dict:
        """The task's message fields; `first` on a run's first message."""
        return {}

    def message(self) -> Message:
        """Everything the page needs that changed since the last message."""
        trainer = self.trainer
        status, detail = self.status()
        extras = self.extras(first=not self.told)
        self.told = True
        n = len(trainer.history)
        rows = {c: v[self.sent_rows : n] for c, v in trainer.history.cols.items()}
        self.sent_rows = n
        return self.message_class(
            run=self.run_id, spec=trainer.spec, status=status, detail=detail,
            epoch=trainer.epoch, step=trainer.step, rows=rows, device=describe(trainer.device),
            rate=self.rate if status == "running" else 0.0,
            epoch_rate=self.epoch_rate if status == "running" else 0.0,
            warning=getattr(trainer, "warning", None), **extras,
        )


def main(conn, runner_class: type[BaseRunner], spec) -> None:
    """The training process's entry point: below the server's priority, then `serve`."""
    with contextlib.suppress(AttributeError, OSError):  # no os.nice on Windows
        os.nice(NICE)
    serve(conn, runner_class, spec)


def serve(conn, runner_class: type[BaseRunner], spec) -> None:
    """A training process's main loop around a runner built from `spec`.
    Commands are (name, arg, sync_id) tuples; every message lists the sync
    ids it answers, so the page can wait for a command to take effect."""
    torch.set_num_threads(runner_class.threads)
    runner = runner_class(spec)
    publish_every = interval = runner.publish_every
    last_publish = 0.0

    def fail() -> None:  # an error is shown on the page as a plain message
        runner.running = False
        runner.error = traceback.format_exc(limit=4)

    def send(synced: list) -> None:
        nonlocal interval, last_publish
        start = time.process_time()
        try:
            msg = runner.message()
        except Exception:  # noqa: BLE001 - a probe failed: report it, keep serving
            fail()
            runner.views = set()
            msg = runner.message()
        msg.synced = synced
        conn.send(msg)
        last_publish = time.monotonic()
        # (R*R grid and maps through an 8 x 64 network take ~15 ms: space them out.)
        # CPU time, and a share of the CPU the run may use: at a tenth of a core,
        # a 5 ms message every 0.1 s would leave no time to train.
        cost = time.process_time() - start
        interval = min(max(publish_every, cost / (PROBE_SHARE * min(1.0, runner.pace.share))),
                       MAX_INTERVAL)

    send([])
    delay = 0.0  # seconds to wait before the next slice, to keep the pace
    while True:
        try:
            # Block while paused (no CPU); while training, wait only to keep the pace.
            if conn.poll(None if not runner.running else delay):
                synced = []
                while True:
                    command, arg, sync_id = conn.recv()
                    if command == "stop":
                        return
                    try:
                        runner.apply(command, arg)
                    except Exception:  # noqa: BLE001
                        fail()
                    if sync_id is not None:
                        synced.append(sync_id)
                    if not conn.poll(0):
                        break
                send(synced)
            if runner.running:
                try:
                    runner.train_slice()
                except Exception:  # noqa: BLE001
                    fail()
                if time.monotonic() - last_publish >= interval or not runner.running:
                    send([])
                delay = runner.pause_for()
        except (EOFError, BrokenPipeError, ConnectionResetError, KeyboardInterrupt):
            return  # the page process went away: nothing left to serve


# torch.optim imports torch._dynamo lazily on first use (about 1.5 s). The fork
# server imports this module once, so every session's process starts with it loaded.
torch.optim.Adam([torch.zeros(1, requires_grad=True)], lr=0.1)
