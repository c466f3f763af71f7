"""Per-session state: the accepted spec, the link, and the session's worker.

Streamlit runs one script per browser session; everything here is scoped to
that session. The worker lives in a session-scoped resource cache, so it is
released (and its thread stopped) when the session disconnects; the worker's
own idle timeout covers the cases where no release comes.
"""

from __future__ import annotations

import streamlit as st

from playground.spec import Experiment, Note
from playground.ui.text import t
from playground.worker import Worker

SPEC_KEY = "spec"
NOTES_KEY = "link_notes"
# Query keys that belong to the app, not the experiment.
APP_QUERY_KEYS = {"lang"}


class _WorkerSlot:
    """Holds the session's worker, so a worker whose process died can be
    replaced without touching the session-scoped cache."""

    def __init__(self) -> None:
        self.worker: Worker | None = None

    def release(self) -> None:
        if self.worker is not None:
            self.worker.stop()


@st.cache_resource(scope="session", on_release=_WorkerSlot.release, show_spinner=False)
def _slot() -> _WorkerSlot:
    return _WorkerSlot()


def worker() -> Worker:
    slot = _slot()
    if slot.worker is None or not slot.worker.alive:
        slot.release()
        # The first session on a server starts the fork server, which imports torch.
        with st.spinner(t("status.starting")):
            slot.worker = Worker(st.session_state.get(SPEC_KEY, Experiment()))
    return slot.worker


def initial_spec() -> tuple[Experiment, bool]:
    """The session's spec; on its first run, read from the link.

    Returns (spec, first_run). Notes about ignored link parameters are kept
    in session_state[NOTES_KEY] for the page to show.
    """
    if SPEC_KEY in st.session_state:
        return st.session_state[SPEC_KEY], False
    query = {k: v for k, v in st.query_params.to_dict().items() if k not in APP_QUERY_KEYS}
    spec, notes = Experiment.from_query(query)
    st.session_state[NOTES_KEY] = notes
    st.session_state[SPEC_KEY] = spec
    return spec, True


def link_notes() -> list[Note]:
    return st.session_state.get(NOTES_KEY, [])


def accept(spec: Experiment) -> None:
    """Make `spec` the session's experiment: worker, link and state follow."""
    w = worker()
    if w.spec != spec:
        w.update(spec)
        w.wait_idle(timeout=2.0)  # so this run already draws the new data and network
    st.session_state[SPEC_KEY] = spec
    query = spec.to_query()
    current = {k: v for k, v in st.query_params.to_dict().items() if k not in APP_QUERY_KEYS}
    if current != query:
        for key in list(current):
            del st.query_params[key]
        st.query_params.update(query)
