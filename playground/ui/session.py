"""Per-session state: the accepted spec, the link, and the session's worker.

Streamlit runs one script per browser session; everything here is scoped to
that session. The worker lives in a session-scoped resource cache, so it is
released (and its thread stopped) when the session disconnects; the worker's
own idle timeout covers the cases where no release comes.
"""

from __future__ import annotations

import streamlit as st

from playground.dense.spec import Experiment, Note
from playground.dense.worker import Worker
from playground.ui.text import t

SPEC_KEY = "spec"
NOTES_KEY = "link_notes"
# Query keys that belong to the app, not the experiment.
APP_QUERY_KEYS = {"lang", "hide", "present"}


class _WorkerSlot:
    """Holds the session's worker, so a worker whose process died can be
    replaced without touching the session-scoped cache."""

    def __init__(self) -> None:
        self.worker: Worker | None = None

    def release(self) -> None:
        if self.worker is not None:
            self.worker.stop()


@st.cache_resource(scope="session", on_release=_WorkerSlot.release, show_spinner=False)
def _slot(page: str = "2d") -> _WorkerSlot:
    """One slot per page and session: each page trains in its own process."""
    return _WorkerSlot()


def worker(page: str = "2d", worker_class: type[Worker] = Worker,
           spec_key: str = SPEC_KEY, default=Experiment) -> Worker:
    slot = _slot(page)
    if slot.worker is None or not slot.worker.alive:
        slot.release()
        # The first session on a server starts the fork server, which imports torch.
        with st.spinner(t("status.starting")):
            slot.worker = worker_class(st.session_state.get(spec_key) or default())
    return slot.worker


def initial_spec(spec_class=Experiment, spec_key: str = SPEC_KEY,
                 notes_key: str = NOTES_KEY) -> tuple[Experiment, bool]:
    """The session's spec; on its first run, read from the link.

    Returns (spec, first_run). Notes about ignored link parameters are kept
    in session_state[notes_key] for the page to show.
    """
    if spec_key in st.session_state:
        return st.session_state[spec_key], False
    query = {k: v for k, v in st.query_params.to_dict().items() if k not in APP_QUERY_KEYS}
    spec, notes = spec_class.from_query(query)
    st.session_state[notes_key] = notes
    st.session_state[spec_key] = spec
    return spec, True


def link_notes(notes_key: str = NOTES_KEY) -> list[Note]:
    return st.session_state.get(notes_key, [])


def accept(spec, w: Worker | None = None, spec_key: str = SPEC_KEY) -> None:
    """Make `spec` the session's experiment: worker, link and state follow."""
    w = w or worker()
    if w.spec != spec:
        w.update(spec)
        w.wait_idle(timeout=2.0)  # so this run already draws the new data and network
    st.session_state[spec_key] = spec
    query = spec.to_query()
    current = {k: v for k, v in st.query_params.to_dict().items() if k not in APP_QUERY_KEYS}
    if current != query:
        for key in list(current):
            del st.query_params[key]
        st.query_params.update(query)
