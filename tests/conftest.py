"""Shared fixtures: keep track of every training process a test starts; the
one Hypothesis profile every property test runs under."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings

# A loaded 2-core machine (CI runs beside other work) can take far longer than
# Hypothesis's 200 ms default for one example, and generating a few hundred
# specs can trip the too_slow check: neither says anything about the code.
settings.register_profile(
    "playground", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("playground")


@pytest.fixture
def worker_registry(monkeypatch) -> list:
    """Every Worker created during the test (by the test or by the app it runs),
    stopped at teardown so no training process outlives its test."""
    from playground.core.worker import BaseWorker  # torch: only for the tests that need it

    created: list[BaseWorker] = []
    init = BaseWorker.__init__

    def tracking_init(self, *args, **kwargs):
        created.append(self)
        init(self, *args, **kwargs)

    monkeypatch.setattr(BaseWorker, "__init__", tracking_init)
    yield created
    for worker in created:
        stop_quietly(worker)
    for worker in created:
        proc = getattr(worker, "_proc", None)
        if proc is not None:
            proc.join(timeout=3)
            assert not proc.is_alive(), "a training process outlived its test"
        # Worker.stop() closes the pipe without waiting for the receiver thread,
        # which can then read a *new* worker's pipe that reuses the file
        # descriptor (see test_worker.py::test_stop_does_not_close_the_pipe_under_a_live_receiver).
        # Let it finish before the next test creates pipes.
        receiver = getattr(worker, "_receiver", None)
        if receiver is not None:
            receiver.join(timeout=3)


def stop_quietly(worker) -> None:
    try:
        worker.stop()
    except Exception:  # noqa: BLE001 - a half-built worker: its process is killed below
        pass
    proc = getattr(worker, "_proc", None)
    if proc is not None and proc.is_alive():
        proc.kill()
