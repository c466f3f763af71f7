"""Fixtures the engine tests share."""

from __future__ import annotations

import pytest


@pytest.fixture
def make_worker(worker_registry):
    """make_worker(spec=None) -> a 2D Worker (default Experiment), stopped after the test."""
    from playground.dense.spec import Experiment
    from playground.dense.worker import Worker

    def make(spec: Experiment | None = None) -> Worker:
        return Worker(spec or Experiment())

    return make


@pytest.fixture(scope="module")
def one_thread():
    """Tiny tensors on a shared 2-core machine: a second thread only waits on the first.
    Use with `pytestmark = pytest.mark.usefixtures("one_thread")`."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
