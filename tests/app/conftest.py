"""The AppTest every page test starts from, and the check that the session's
training process ends with it."""

from __future__ import annotations

import multiprocessing as mp
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

APP = Path(__file__).resolve().parents[2] / "app.py"
TIMEOUT = 60


@pytest.fixture
def open_page(worker_registry):
    """open_page("pages/images.py") -> an AppTest of app.py on that page (the
    default page for None). Each test starts and ends with no session worker
    cached; releasing the cache must stop every training process it started."""
    st.cache_resource.clear()  # no worker left over from another test

    def make(page: str | None = None) -> AppTest:
        app = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
        if page is not None:
            app.switch_page(page)
        return app

    yield make
    st.cache_resource.clear()  # releases this session's workers: on_release stops them
    for worker in worker_registry:
        worker._proc.join(timeout=3)
        assert not worker.alive, "the session's training process was not released"
    assert not [p for p in mp.active_children() if p.name == "playground-trainer"]


@pytest.fixture
def at(open_page, request):
    """An AppTest of the page named by the test module's PAGE (the default page
    when the module has none)."""
    return open_page(getattr(request.module, "PAGE", None))
