"""The training process's loop (core.runner.serve) around a minimal runner,
in a thread of this process: sync ids, errors reported instead of raised,
and the loop ending when asked or when the page goes away."""

from __future__ import annotations

import multiprocessing as mp
import threading

import pytest
import torch

from playground.core.history import History
from playground.core.runner import BaseRunner, Message, serve


class Counter:
    """A trainer stand-in: every unit of training is one epoch of one step."""

    def __init__(self, spec) -> None:
        self.spec, self.device, self.diverged = spec, torch.device("cpu"), None
        self.epoch = self.step = 0
        self.history = History(("epoch", "step"))
        self.history.append(epoch=0, step=0)


class CountingRunner(BaseRunner):
    threads = torch.get_num_threads()  # leave this process's setting alone
    make_trainer = Counter
    spec_change = staticmethod(lambda old, new: "none" if old == new else "rebuild")

    def train_some(self) -> None:
        t = self.trainer
        t.epoch, t.step = t.epoch + 1, t.step + 1
        t.history.append(epoch=t.epoch, step=t.step)

    def command(self, command: str, arg) -> None:
        if command == "views":
            self.views = set(arg)
        elif command == "raise":
            raise ValueError("a bad command")

    def extras(self, first: bool) -> dict:
        if "broken" in self.views:
            raise RuntimeError("a probe failed")
        return {}


def serving() -> tuple:
    """The page's end of a pipe, and the thread whose loop serves the other end."""
    conn, child = mp.Pipe()
    thread = threading.Thread(target=serve, args=(child, CountingRunner, "spec"), daemon=True)
    thread.start()
    return conn, thread


@pytest.fixture
def page():
    conn, thread = serving()
    yield conn
    conn.close()  # the loop ends when the page goes away
    thread.join(timeout=5)
    assert not thread.is_alive()


def answer(conn, command: str, arg=None, sync_id: int = 1) -> Message:
    """Send one command; the message that lists its sync id."""
    conn.send((command, arg, sync_id))
    while True:
        assert conn.poll(5), "no answer"
        msg = conn.recv()
        if sync_id in msg.synced:
            return msg


def test_the_first_message_comes_unasked_and_commands_are_answered(page):
    first = page.recv()
    assert isinstance(first, Message) and first.synced == []
    assert (first.run, first.status, first.rows, first.rate) == (1, "paused", {
        "epoch": [0], "step": [0]}, 0.0)
    msg = answer(page, "play", sync_id=7)
    assert msg.synced == [7] and msg.status == "running"
    msg = answer(page, "pause", sync_id=8)
    assert msg.status == "paused" and msg.epoch > 0 and msg.rate == 0.0
    assert answer(page, "reset", "other", sync_id=9).run == 2


def test_errors_are_reported_and_the_loop_keeps_serving(page):
    page.recv()
    msg = answer(page, "raise", sync_id=1)
    assert msg.status == "error" and "a bad command" in msg.detail
    msg = answer(page, "views", {"broken"}, sync_id=2)  # the probe fails in message()
    assert msg.status == "error" and "a probe failed" in msg.detail
    assert answer(page, "sync", sync_id=3).synced == [3]
    assert answer(page, "play", sync_id=4).status == "error"  # an error holds until a reset
    assert answer(page, "reset", sync_id=5).status == "paused"


def test_stop_ends_the_loop():
    conn, thread = serving()
    conn.send(("stop", None, None))
    thread.join(timeout=5)
    assert not thread.is_alive()
