"""The training loop keeps its pace: serve() around small runners in a thread
of this process, measured over a few seconds and checked against loose bands
(ratios, never a test's own wall time)."""

from __future__ import annotations

import math
import multiprocessing as mp
import threading
import time

import pytest
import torch

from playground.core.history import History
from playground.core.pacing import Pace
from playground.core.runner import BaseRunner, serve

WINDOW = 2.5  # seconds each rate is measured over


class Counter:
    """A trainer stand-in: one unit of training is one epoch of one step."""

    def __init__(self, spec) -> None:
        self.spec, self.device, self.diverged = spec, torch.device("cpu"), None
        self.epoch = self.step = 0
        self.history = History(("epoch",))
        self.history.append(epoch=0)


class CappedRunner(BaseRunner):
    """Free epochs, at most 40 a second unless at full speed."""

    threads = torch.get_num_threads()  # leave this process's setting alone
    max_per_sec = 40.0
    make_trainer = Counter
    spec_change = staticmethod(lambda old, new: "none")

    def train_some(self) -> None:
        t = self.trainer
        t.epoch, t.step = t.epoch + 1, t.step + 1
        t.history.append(epoch=t.epoch)


class BusyRunner(CappedRunner):
    """Epochs that each burn 2 ms of CPU, and no cap: only a share limits it."""

    max_per_sec = None

    def train_some(self) -> None:
        end = time.thread_time() + 0.002
        while time.thread_time() < end:
            pass
        super().train_some()


@pytest.fixture
def page():
    """page(runner_class) -> the page's end of a pipe whose other end a thread serves."""
    started = []

    def start(runner_class):
        conn, child = mp.Pipe()
        thread = threading.Thread(target=serve, args=(child, runner_class, "spec"), daemon=True)
        thread.start()
        started.append((conn, thread))
        conn.recv()  # the first message
        return conn

    yield start
    for conn, thread in started:
        conn.send(("stop", None, None))
        thread.join(timeout=5)
        conn.close()


def rate_over(conn, seconds: float = WINDOW) -> tuple[float, float, object]:
    """(epochs per second seen in the messages, process CPU cores used, last message)."""
    first = last = None
    cpu0, t0 = time.process_time(), time.monotonic()
    while time.monotonic() - t0 < seconds or first is None or last is first:
        if conn.poll(0.2):
            last = conn.recv()
            if first is None:
                first, t_first = last, time.monotonic()
    wall = time.monotonic() - t0
    return ((last.epoch - first.epoch) / (time.monotonic() - t_first),
            (time.process_time() - cpu0) / wall, last)


def test_a_capped_runner_trains_at_about_its_cap(page):
    conn = page(CappedRunner)
    conn.send(("play", None, 1))
    rate, _, last = rate_over(conn)
    assert 0.6 * 40 < rate < 1.15 * 40, rate
    assert 0.6 * 40 < last.epoch_rate < 1.2 * 40, last.epoch_rate  # what the page shows

    conn.send(("pace", Pace(math.inf, full_speed=True), 2))
    rate, _, last = rate_over(conn)
    assert rate > 5 * 40, rate  # free epochs at full speed: thousands a second
    assert last.epoch_rate > 5 * 40


def test_a_share_of_a_core_holds_the_cpu_to_it(page):
    conn = page(BusyRunner)
    conn.send(("pace", Pace(0.2), 1))
    conn.send(("play", None, 2))
    rate, cpu, _ = rate_over(conn)
    assert cpu < 0.2 * 1.4, cpu  # this process: the serving thread and this one, polling
    assert rate < 0.2 / 0.002 * 1.4, rate  # 2 ms an epoch: at most ~100 a second
    assert rate > 0.2 / 0.002 * 0.2, rate  # and it does train


def test_a_command_wakes_a_pacing_runner_at_once(page):
    conn = page(BusyRunner)
    conn.send(("pace", Pace(0.02), 1))  # a 50 ms slice, then 2.5 s of sleep
    conn.send(("play", None, 2))
    time.sleep(0.5)
    while conn.poll(0):
        conn.recv()
    times = []
    for sync_id in range(3, 13):
        sent = time.monotonic()
        conn.send(("sync", None, sync_id))
        while sync_id not in conn.recv().synced:
            pass
        times.append(time.monotonic() - sent)
    # An answer waits at most for one slice, not for the sleep.
    assert sorted(times)[len(times) // 2] < 0.15, times


class SlowStart(CappedRunner):
    """Its first epoch takes longer than the rates' smoothing window."""

    def train_some(self) -> None:
        if self.trainer.epoch == 0:
            time.sleep(0.6)
        super().train_some()


def test_a_slow_first_slice_still_gives_a_rate():
    runner = SlowStart("spec")
    runner.apply("play")
    for _ in range(3):
        runner.train_slice()
    assert runner.running and runner.trainer.epoch >= 3
    assert 0 < runner.epoch_rate < 40 * 1.2 and runner.rate > 0
