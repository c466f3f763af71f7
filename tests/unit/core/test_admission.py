"""Real 2D workers under a scheduler of their own: a slow start is a wait, a
Play beyond the slots waits its turn, a slot frees when its run stops, and
the pace holds a process to its share of a core."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from support import wait_for

import playground.core.worker as worker_module
from playground.core.pacing import Scheduler
from playground.dense.runner import Runner
from playground.dense.spec import Experiment
from playground.dense.worker import Worker

DIVERGING = Experiment(dataset="plane", loss="mse", optimizer="sgd", lr=10.0, hidden=())
SLOW_START = 1.5  # seconds the slow runner takes to build


class SlowRunner(Runner):
    """A run whose process takes a while to send its first message, as on a loaded server."""

    def __init__(self, spec) -> None:
        time.sleep(SLOW_START)
        super().__init__(spec)


class SlowWorker(Worker):
    runner = SlowRunner


@pytest.fixture
def make(worker_registry):
    """make(scheduler, spec=None, cls=Worker, **kw) -> a started worker under `scheduler`."""

    def build(scheduler, spec=None, cls=Worker, **kw):
        return cls(spec or Experiment(), scheduler=scheduler, **kw)

    return build


def epoch(worker) -> int:
    """The process's epoch, without the heartbeat snapshot() is."""
    return worker._snapshot.epoch


# ---- starting -------------------------------------------------------------------------------
def test_a_slow_start_is_a_wait_not_an_error(make, monkeypatch):
    monkeypatch.setattr(worker_module, "START_TIMEOUT", 0.05)
    sched = Scheduler(slots=4, budget=1.0)
    first = make(sched, cls=SlowWorker)  # returns after START_TIMEOUT: no exception
    second = make(sched, cls=SlowWorker, wait=0)
    assert not first.started and first.snapshot() is None and first.alive
    assert first.standing().starting_ahead == 0
    assert second.standing().starting_ahead == 1  # what the page shows while it waits
    first.play()  # commands before the first message are kept, not lost
    assert first.wait_started(30) and second.wait_started(30)
    assert first.standing().starting_ahead is None and second.standing().starting_ahead is None
    assert wait_for(lambda: first.snapshot().epoch > 0, timeout=15)


def test_a_process_that_dies_before_its_first_message(make, monkeypatch):
    monkeypatch.setattr(worker_module, "START_TIMEOUT", 0.05)
    sched = Scheduler(slots=4, budget=1.0)
    worker = make(sched, cls=SlowWorker)
    worker._proc.kill()
    assert not worker.wait_started(10) and not worker.alive  # no exception, and no hang
    assert worker.standing().starting_ahead is None


# ---- slots and the queue -------------------------------------------------------------------
def test_a_play_beyond_the_slots_waits_and_starts_when_one_frees(make):
    sched = Scheduler(slots=1, budget=1.0)
    a, b = make(sched), make(sched)
    a.play()
    assert wait_for(lambda: a.snapshot().epoch > 0, timeout=15)
    b.play()
    assert b.standing().queued_ahead == 0
    assert b.snapshot().status == "running"  # the page polls and offers Pause
    time.sleep(0.5)
    assert epoch(b) == 0 and b._snapshot.status == "paused"  # but it doesn't train yet

    a.pause()
    assert wait_for(lambda: b.snapshot().epoch > 0, timeout=15)
    assert sched.holds(b) and b.standing().queued_ahead is None
    a.play()  # now a waits behind b
    assert a.standing().queued_ahead == 0 and a.wait_idle()
    held = a.snapshot().epoch
    time.sleep(0.3)
    assert epoch(a) == held


def test_pause_leaves_the_queue(make):
    sched = Scheduler(slots=1, budget=1.0)
    a, b, c = make(sched), make(sched), make(sched)
    for w in (a, b, c):
        w.play()
    assert [w.standing().queued_ahead for w in (a, b, c)] == [None, 0, 1]
    b.pause()
    assert b.snapshot().status == "paused" and c.standing().queued_ahead == 0
    a.pause()
    assert wait_for(lambda: c.snapshot().epoch > 0, timeout=15)
    assert epoch(b) == 0


def test_a_run_that_stops_itself_frees_its_slot(make):
    sched = Scheduler(slots=1, budget=1.0)
    a, b = make(sched, DIVERGING), make(sched)
    a.play()
    assert wait_for(lambda: a.snapshot().status == "diverged", timeout=15)
    assert wait_for(lambda: not sched.holds(a), timeout=5)
    b.play()
    assert sched.holds(b)
    assert wait_for(lambda: b.snapshot().epoch > 0, timeout=15)


def test_stop_frees_the_slot_for_the_next(make):
    sched = Scheduler(slots=1, budget=1.0)
    a, b = make(sched), make(sched)
    a.play()
    b.play()
    a.stop()  # the tab closed
    assert sched.holds(b)
    assert wait_for(lambda: b.snapshot().epoch > 0, timeout=15)


# ---- idle ----------------------------------------------------------------------------------
def test_an_idle_session_frees_its_slot_and_queues_when_it_returns(make, monkeypatch):
    monkeypatch.setattr(worker_module, "IDLE_TIMEOUT", 1.0)
    sched = Scheduler(slots=1, budget=1.0)
    a, b = make(sched), make(sched)
    a.play()
    assert wait_for(lambda: epoch(a) > 0, timeout=15)
    b.play()  # queued; b keeps looking, a doesn't
    assert wait_for(lambda: b.snapshot().epoch > 0, timeout=15)
    assert a._snapshot.status == "paused" and not sched.holds(a)

    a.snapshot()  # a's page looks again: it waits behind b
    assert a.standing().queued_ahead == 0 and a.snapshot().status == "running"
    b.pause()
    assert wait_for(lambda: a.snapshot().epoch > 0 and a._snapshot.status == "running",
                    timeout=15)


def test_a_queued_session_nobody_watches_leaves_the_queue(make, monkeypatch):
    monkeypatch.setattr(worker_module, "IDLE_TIMEOUT", 1.0)
    sched = Scheduler(slots=1, budget=1.0)
    a, b = make(sched), make(sched)
    a.play()
    b.play()
    assert wait_for(lambda: a.snapshot() and b._queued is False, timeout=10)
    assert b.standing().queued_ahead is None and sched.holds(a)
    b.snapshot()  # back: in the queue again
    assert b.standing().queued_ahead == 0


def test_pace_commands_are_no_heartbeat(make, monkeypatch):
    monkeypatch.setattr(worker_module, "IDLE_TIMEOUT", 1.0)
    sched = Scheduler(slots=4, budget=1.0)
    a, b = make(sched), make(sched)
    a.play()
    assert wait_for(lambda: epoch(a) > 0, timeout=15)
    for _ in range(6):  # other sessions come and go: a is told its new share each time
        b.play()
        time.sleep(0.1)
        b.pause()
        time.sleep(0.1)
    assert wait_for(lambda: a._snapshot.status == "paused", timeout=5)


# ---- the pace ------------------------------------------------------------------------------
def test_a_default_run_trains_at_most_60_epochs_a_second(make):
    sched = Scheduler(slots=4, budget=4.0)
    worker = make(sched)
    worker.play()
    assert wait_for(lambda: worker.snapshot().epoch > 0, timeout=15)
    start, t0 = worker.snapshot().epoch, time.monotonic()
    time.sleep(2.5)
    rate = (worker.snapshot().epoch - start) / (time.monotonic() - t0)
    assert 0 < rate < 60 * 1.15, rate
    assert worker.snapshot().epochs_per_sec < 60 * 1.2


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")
def test_a_full_speed_run_keeps_to_its_share_of_a_core(make):
    sched = Scheduler(slots=4, budget=0.6)
    a, b = make(sched), make(sched)
    a.set_full_speed(True)
    b.set_full_speed(True)
    a.play()
    b.play()  # two runs: 0.3 of a core each
    assert wait_for(lambda: a.snapshot().epoch > 0 and b.snapshot().epoch > 0, timeout=15)
    assert a.standing().share == pytest.approx(0.3)
    used0, t0 = cpu_seconds(a._proc.pid), time.monotonic()
    time.sleep(3.0)
    a.snapshot()
    cores = (cpu_seconds(a._proc.pid) - used0) / (time.monotonic() - t0)
    assert cores < 0.3 * 1.4, cores


# ---- a hidden tab --------------------------------------------------------------------------
def test_a_hidden_tab_frees_its_slot_at_once_and_carries_on_when_shown(make):
    sched = Scheduler(slots=1, budget=1.0)
    a, b = make(sched), make(sched)
    a.play()
    assert wait_for(lambda: epoch(a) > 0, timeout=15)
    b.play()  # queued behind a
    assert b.standing().queued_ahead == 0
    a.set_hidden(True)  # a's student switched tabs: b trains now, long before IDLE_TIMEOUT
    assert wait_for(lambda: b.snapshot().epoch > 0, timeout=15)
    assert wait_for(lambda: a._snapshot.status == "paused", timeout=5)
    held = a.snapshot().epoch  # a hidden tab's throttled redraws still ask: they don't wake it
    time.sleep(0.5)
    assert a.snapshot().epoch == held and not sched.holds(a)

    b.pause()
    a.set_hidden(False)  # shown again: it carries on, and its snapshot already says so
    assert a.snapshot().status == "running"
    assert wait_for(lambda: a.snapshot().epoch > held, timeout=15)


def test_hiding_a_paused_run_keeps_it_paused(make):
    sched = Scheduler(slots=2, budget=1.0)
    a = make(sched)
    a.set_hidden(True)
    a.set_hidden(False)
    assert a.wait_idle() and a.snapshot().status == "paused" and not sched.holds(a)
