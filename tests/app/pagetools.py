"""Helpers the page tests share: run a page and check it raised nothing,
read a metric by its label, wait for the training process."""

from __future__ import annotations

import time

from streamlit.testing.v1 import AppTest

from playground.core.i18n import translate


def run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metric(at: AppTest, key: str) -> str:
    """The value of the one metric labelled with the text of `key`."""
    label = translate(key)
    values = [m.value for m in at.metric if m.label == label]
    assert len(values) == 1, (label, [m.label for m in at.metric])
    return values[0]


def wait_for(at: AppTest, predicate, timeout: float = 30.0) -> None:
    """Rerun the page until `predicate()` holds (training runs in its own process)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.3)
        run(at)
