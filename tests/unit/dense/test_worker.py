"""The real Worker: a child training process driven through a pipe.

Every test stops the workers it starts (the `worker_registry` fixture in
tests/conftest.py stops anything left over, even when a test fails).
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace

import pandas as pd
import pytest
from support import settled, wait_for

import playground.core.worker as worker_module
from playground.dense.spec import Experiment
from playground.dense.worker import Worker

DIVERGING = Experiment(dataset="plane", loss="mse", optimizer="sgd", lr=10.0, hidden=())


@pytest.fixture
def worker(make_worker) -> Worker:
    return make_worker()


def running_for(worker: Worker, epochs: int) -> int:
    """Play until the snapshot shows at least `epochs` epochs; returns the epoch seen."""
    worker.play()
    assert wait_for(lambda: worker.snapshot().epoch >= epochs, timeout=15), worker.snapshot().status
    return worker.snapshot().epoch


# ---- start ------------------------------------------------------------------------------
def test_starts_paused_at_epoch_zero(worker):
    snap = worker.snapshot()
    assert worker.alive
    assert worker._proc.name == "playground-trainer" and worker._proc.daemon
    assert (snap.status, snap.epoch, snap.step, snap.n) == ("paused", 0, 0, 1)
    assert snap.spec == Experiment() == worker.spec
    assert snap.grid.values.shape == (100, 100)
    assert snap.data is not None and len(snap.data.x_train) == Experiment().n_train
    assert snap.device
    assert snap.steps_per_sec == 0.0
    frame = snap.frame()
    assert list(frame["epoch"]) == [0] and len(frame) == 1


# ---- play / pause / step ------------------------------------------------------------------
def test_play_trains(worker):
    worker.play()
    assert wait_for(lambda: worker.snapshot().epoch >= 3, timeout=5)
    snap = worker.snapshot()
    assert snap.status == "running"
    assert snap.n == len(snap.frame()) >= 2
    assert wait_for(lambda: worker.snapshot().steps_per_sec > 0, timeout=2)


def stopped_by(worker: Worker, command: str) -> tuple:
    """Train, then "pause" or "step": the snapshot it settles on, and one half a second later."""
    running_for(worker, 2)
    getattr(worker, command)()
    snap = settled(worker)
    assert snap.status == "paused"
    time.sleep(0.5)
    return snap, worker.snapshot()


def test_pause_holds_the_epoch(worker):
    snap, later = stopped_by(worker, "pause")
    assert (later.epoch, later.n, later.status) == (snap.epoch, snap.n, "paused")
    assert later.steps_per_sec == 0.0


def test_step_adds_exactly_one_epoch(worker):
    for expected in (1, 2, 3):
        worker.step()
        snap = settled(worker)
        assert (snap.epoch, snap.status) == (expected, "paused")
    assert list(worker.snapshot().frame()["epoch"]) == [0, 1, 2, 3]


def test_step_while_running_pauses(worker):
    snap, later = stopped_by(worker, "step")
    assert later.epoch == snap.epoch


def test_an_old_snapshot_keeps_its_rows(worker):
    worker.step()
    old = settled(worker)
    before = old.frame()
    for _ in range(3):
        worker.step()
    assert settled(worker).n == old.n + 3
    pd.testing.assert_frame_equal(old.frame(), before)


# ---- live updates ------------------------------------------------------------------------
def test_lr_update_while_running_keeps_the_history(worker):
    running_for(worker, 5)
    before = worker.snapshot()
    worker.update(replace(worker.spec, lr=0.1))
    assert worker.spec.lr == 0.1  # at once, before the process answers
    after = settled(worker)
    assert after.spec.lr == 0.1
    assert after.status == "running"
    assert after.history is before.history  # same run: no reset
    assert after.n >= before.n and after.epoch >= before.epoch
    assert wait_for(lambda: worker.snapshot().n > after.n)
    frame = worker.snapshot().frame()
    assert list(frame["epoch"]) == list(range(len(frame)))  # one unbroken run


def test_view_update_keeps_the_run(worker):
    worker.step()
    before = settled(worker)
    worker.update(replace(worker.spec, show_test=True))
    after = settled(worker)
    assert after.spec.show_test and after.epoch == 1 and after.history is before.history


def test_dataset_update_rebuilds(worker):
    epoch = running_for(worker, 100)
    before = worker.snapshot()
    worker.update(replace(worker.spec, dataset="circle"))
    after = settled(worker)
    assert after.spec.dataset == "circle"
    assert after.history is not before.history
    assert after.epoch < epoch
    assert after.frame()["epoch"].iloc[0] == 0


def test_dataset_update_while_paused_starts_at_epoch_zero(worker):
    for _ in range(3):
        worker.step()
    worker.update(replace(worker.spec, dataset="xor", seed=3))
    snap = settled(worker)
    assert (snap.epoch, snap.n, snap.status) == (0, 1, "paused")
    assert snap.spec.dataset == "xor"
    assert snap.data is not None and snap.data.x_train is not None


# ---- divergence and reset --------------------------------------------------------------
def test_diverging_spec_stops_and_reset_recovers(worker):
    worker.update(DIVERGING)
    worker.play()
    assert wait_for(lambda: worker.snapshot().status == "diverged", timeout=5)
    snap = worker.snapshot()
    assert snap.message in ("nan", "inf")
    assert snap.spec == DIVERGING

    worker.play()  # refused: the weights are gone
    assert settled(worker).status == "diverged"

    worker.reset()
    snap = settled(worker)
    assert (snap.status, snap.epoch, snap.n, snap.message) == ("paused", 0, 1, "")
    assert snap.spec == DIVERGING

    worker.reset(Experiment())
    assert worker.spec == settled(worker).spec == Experiment()
    worker.step()
    assert settled(worker).epoch == 1


def test_worker_started_on_a_diverging_spec(make_worker):
    worker = make_worker(DIVERGING)
    worker.step()
    assert settled(worker).status == "diverged"


# ---- idle timeout ------------------------------------------------------------------------
def test_idle_timeout_pauses_and_a_snapshot_wakes(worker, monkeypatch):
    monkeypatch.setattr(worker_module, "IDLE_TIMEOUT", 1.0)
    worker.play()
    # Read the private field: snapshot() is the heartbeat and would keep it awake.
    assert wait_for(lambda: worker._snapshot.epoch > 0, timeout=5)
    assert wait_for(lambda: worker._snapshot.status == "paused", timeout=5)
    held = worker._snapshot.epoch
    time.sleep(0.5)
    assert worker._snapshot.epoch == held
    assert worker._snapshot.status == "paused"

    worker.snapshot()  # someone looks again: training resumes
    assert wait_for(lambda: worker.snapshot().epoch > held, timeout=5)
    assert worker.snapshot().status == "running"


def test_idle_timeout_keeps_an_explicit_pause(worker, monkeypatch):
    monkeypatch.setattr(worker_module, "IDLE_TIMEOUT", 0.5)
    running_for(worker, 1)
    worker.pause()
    worker.wait_idle()
    time.sleep(1.5)
    snap = worker.snapshot()  # would wake an idle worker, not a paused one
    assert worker.wait_idle()
    time.sleep(0.3)
    assert worker.snapshot().epoch == snap.epoch
    assert worker.snapshot().status == "paused"


def test_the_idle_timeout_outlasts_late_redraws():
    # A page asks every POLL_SECONDS; under load a redraw can come tens of
    # seconds late, and that must slow the page down, not pause its training.
    assert worker_module.IDLE_TIMEOUT >= 60


def test_late_heartbeats_keep_training(worker, monkeypatch):
    monkeypatch.setattr(worker_module, "IDLE_TIMEOUT", 1.5)
    worker.play()
    assert wait_for(lambda: worker._snapshot.epoch > 0, timeout=15)
    seen = []
    for _ in range(4):
        time.sleep(1.0)  # every redraw comes a second late: later than usual, not gone
        seen.append(worker.snapshot().epoch)
        assert worker._snapshot.status == "running"
    assert seen == sorted(seen) and seen[-1] > seen[0]


# ---- stop --------------------------------------------------------------------------------
def test_stop_ends_the_process_and_is_idempotent(worker):
    running_for(worker, 1)
    worker.stop()
    assert not worker.alive
    worker.stop()
    assert not worker.alive
    # Commands after stop neither raise nor hang.
    worker.play()
    worker.update(replace(worker.spec, lr=0.1))
    started = time.monotonic()
    worker.wait_idle(timeout=2)
    assert time.monotonic() - started < 1.0
    assert worker.snapshot() is not None


def test_a_dead_process_shows_as_an_error(worker):
    worker._proc.kill()
    assert wait_for(lambda: worker.snapshot().status == "error", timeout=5)
    assert worker.snapshot().message
    worker.play()  # no exception: the page shows the error instead
    worker.stop()
    assert wait_for(lambda: not worker.alive, timeout=5)


# ---- determinism -------------------------------------------------------------------------
def stepped_history(worker: Worker, epochs: int) -> pd.DataFrame:
    for _ in range(epochs):
        worker.step()
    snap = settled(worker)
    assert snap.epoch == epochs
    return snap.frame()


def test_same_seed_gives_identical_histories(make_worker):
    spec = Experiment(dataset="moons", noise=0.1, seed=11)
    first, second = make_worker(spec), make_worker(spec)
    a, b = stepped_history(first, 5), stepped_history(second, 5)
    pd.testing.assert_frame_equal(a, b)
    assert (first.snapshot().grid.values == second.snapshot().grid.values).all()


def test_reset_repeats_the_run(worker):
    a = stepped_history(worker, 4)
    worker.reset()
    assert worker.wait_idle()
    b = stepped_history(worker, 4)
    pd.testing.assert_frame_equal(a, b)


# ---- known bugs ----------------------------------------------------------------------------
def test_stop_does_not_close_the_pipe_under_a_live_receiver(worker):
    gate = threading.Event()
    accept = worker._accept

    def slow_accept(msg):  # a receiver thread that lost the CPU for a moment
        gate.wait(5)
        accept(msg)

    worker._accept = slow_accept
    worker.step()  # one message: the receiver now holds it in slow_accept
    time.sleep(0.2)
    timer = threading.Timer(0.5, gate.set)
    timer.start()
    try:
        worker.stop()
        # Either stop() waited for the receiver, or it left the pipe open for it to close.
        assert not worker._receiver.is_alive() or not worker._conn.closed
    finally:
        gate.set()
        timer.cancel()
