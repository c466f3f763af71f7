"""The 2D page on a busy server: how fast it trains and why, a Play beyond
the server's training slots waiting with a plain message, and a slow start
shown as a wait, never an exception."""

from __future__ import annotations

import time

import pytest
from pagetools import run, wait_for
from streamlit.testing.v1 import AppTest

from playground.core import pacing
from playground.core.i18n import translate
from playground.dense.runner import Runner
from playground.dense.spec import Experiment
from playground.dense.worker import Worker
from playground.ui import pace, page


class SlowRunner(Runner):
    """A process that takes a while to send its first message, as on a loaded server."""

    def __init__(self, spec) -> None:
        time.sleep(1.5)
        super().__init__(spec)


@pytest.fixture
def server(monkeypatch) -> pacing.Scheduler:
    """A server of its own for the test, with one training slot."""
    sched = pacing.Scheduler(slots=1, budget=1.0)
    monkeypatch.setattr(pacing, "_shared", sched)
    return sched


@pytest.fixture
def other(at, server):
    """Another session's worker on the same server, stopped before the page's
    checks that every worker it started was released."""
    worker = Worker(Experiment())
    yield worker
    worker.stop()


def page_worker(registry, other=None):
    return next(w for w in registry if w is not other)


def captions(at: AppTest) -> str:
    return " ".join(c.value for c in at.caption)


def test_the_page_says_how_fast_it_trains_and_offers_full_speed(at, server, worker_registry):
    run(at)
    assert not at.toggle(key=pace.FULL_SPEED_KEY).value
    at.button(key="cmd.play").click()
    run(at)
    worker = page_worker(worker_registry)
    wait_for(at, lambda: worker.snapshot().epoch > 0 and "epochs/s" in captions(at))
    assert translate("pace.capped", rate="R", cap="60").split("R", 1)[1] in captions(at)
    at.toggle(key=pace.FULL_SPEED_KEY).set_value(True)
    run(at)
    assert worker.full_speed
    assert translate("pace.full", rate="R").split("R", 1)[0] in captions(at)


def test_a_play_beyond_the_slots_waits_with_a_plain_message(at, other, worker_registry):
    other.play()  # another session holds the server's only slot
    run(at)
    at.button(key="cmd.play").click()
    run(at)
    assert translate("pace.queued_next", slots=1) in [i.value for i in at.info]
    assert "cmd.pause" in {b.key for b in at.button}  # it may leave the queue
    worker = page_worker(worker_registry, other)
    assert worker.snapshot().epoch == 0

    other.pause()  # the other session pauses: this one starts by itself
    wait_for(at, lambda: worker.snapshot().epoch > 0)
    run(at)
    assert not at.info and "epochs/s" in captions(at)


def test_a_slow_start_is_a_wait_with_a_message(at, monkeypatch, worker_registry):
    monkeypatch.setattr(Worker, "runner", SlowRunner)
    monkeypatch.setattr(page, "START_BLOCK", 0.05)
    waited = []
    real = pace.wait_started
    monkeypatch.setattr(pace, "wait_started", lambda w: waited.append(real(w)) or waited[-1])
    run(at)  # no exception: the page waited, then drew the run
    assert waited == [True]
    assert not at.error
    assert {b.key for b in at.button} >= {"cmd.play", "cmd.step", "cmd.reset"}
