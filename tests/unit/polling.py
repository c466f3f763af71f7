"""Waiting on a training process from a unit test."""

from __future__ import annotations

import time


def wait_for(predicate, timeout: float = 10.0, interval: float = 0.02) -> bool:
    """Poll until predicate() is true; True if it became true in time."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)
    return True


def settled(worker):
    """The snapshot once every command sent so far shows in it."""
    assert worker.wait_idle()
    return worker.snapshot()
