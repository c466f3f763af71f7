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
