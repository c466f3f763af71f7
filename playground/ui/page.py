"""The skeleton the task pages share (2D playground, images, tables): `start`
(the app, the session's spec, the heading), the sidebar's `Groups`, `parse`
the widgets' values onto the spec, `accept` the result (the worker trains it;
the session and the link keep it). The worker lives in a session-scoped cache,
so it stops when the session disconnects; its idle timeout covers the rest.
A worker that is slow to start is a wait with a message, never an error.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st

from playground.ui import classroom, pace, shell
from playground.ui.text import note_text, t

# Seconds a new worker may take behind the spinner before the page says how
# many sessions are starting ahead of it (the first start imports torch).
START_BLOCK = 2.0


@dataclass(frozen=True)
class Task:
    """What a page trains, and where the session keeps it."""

    slot: str  # the page's worker: each page trains in its own process
    spec_class: type
    worker_class: type
    spec_key: str  # the accepted spec, in session state
    load: Callable  # load(spec): put a spec into the page's widgets
    notes_key: str = ""  # notes about a link's ignored values; "" = the page keeps no link


class _WorkerSlot:
    """Holds the session's worker, so a worker whose process died can be
    replaced without touching the session-scoped cache."""

    def __init__(self) -> None:
        self.worker = None

    def release(self) -> None:
        if self.worker is not None:
            self.worker.stop()


@st.cache_resource(scope="session", on_release=_WorkerSlot.release, show_spinner=False)
def _slot(page: str) -> _WorkerSlot:
    return _WorkerSlot()


def start(task: Task, title: str, tagline: str):
    """The page's first call: the app around it (see shell.ensure), the
    session's spec, then the title, the tagline, and what the link asked for
    that the page ignored. On a session's first visit the spec comes from the
    link (if the page keeps one) and goes into the widgets."""
    shell.ensure()
    if task.spec_key not in st.session_state and task.notes_key:
        spec, notes = task.spec_class.from_query(classroom.page_query())
        st.session_state.update({task.notes_key: notes, task.spec_key: spec})
        task.load(spec)
    st.title(title)
    st.caption(tagline)
    if task.notes_key:
        classroom.show_link_notes(st.session_state.get(task.notes_key, []),
                                  task.spec_class.link_keys())
    return st.session_state.get(task.spec_key) or task.spec_class()


class Groups:
    """The sidebar's groups of widgets, each in its expander. A group that a
    classroom link hides (when `hidable`) draws nothing and changes nothing:
    the spec keeps its values."""

    def __init__(self, hidable: bool = True) -> None:
        self.hidable = hidable
        self.boxes: dict = {}  # name -> the expander drawn, to add to later

    def add(self, name: str, title: str, icon: str, draw: Callable, *args):
        """What `draw(*args)` returns, drawn in the group's expander; {} when hidden."""
        if self.hidable and not classroom.shown(name):
            return {}
        self.boxes[name] = st.sidebar.expander(title, expanded=True, icon=icon)
        with self.boxes[name]:
            return draw(*args)


def parse(task: Task, spec, raw: dict):
    """`spec` with the widgets' values `raw` on top, a message for each
    value that parsing had to change."""
    draft, notes = task.spec_class.parse({**spec.to_dict(), **raw})
    for note in notes:
        st.info(note_text(note))
    return draft


def worker(task: Task, spec):
    """The session's worker for the page, started on `spec` if there is
    none or its process died. Waits (with a message) until it started; a
    process that died before that shows a plain message and stops the run."""
    slot = _slot(task.slot)
    if slot.worker is None or not slot.worker.alive:
        slot.release()
        # The first session on a server starts the fork server, which imports torch.
        with st.spinner(t("status.starting")):
            slot.worker = task.worker_class(spec, wait=START_BLOCK)
    if not slot.worker.started and not pace.wait_started(slot.worker):
        st.error(t("status.error"), icon=":material/error:")
        st.stop()
    return slot.worker


def accept(task: Task, spec, job=None, link: dict[str, str] | None = None):
    """Make `spec` the session's experiment: the worker trains it (or `job`,
    the spec with the data it trains on), the session and the link keep it
    (with `link`'s keys after the spec's: the 2D page's comparison).
    Returns the worker."""
    job = spec if job is None else job
    w = worker(task, job)
    if w.spec != job:
        w.update(job)
        w.wait_idle(timeout=2.0)  # so this run already draws the new data and network
    st.session_state[task.spec_key] = spec
    if task.notes_key:  # the link shows the experiment
        _show_in_link({**spec.to_query(), **(link or {})})
    return w


def _show_in_link(query: dict[str, str]) -> None:
    """The address bar shows `query` after the app's own keys, in one
    rewrite (each change would send the browser its own address change);
    a key the link gave more than once keeps one value."""
    params, page_keys = st.query_params, classroom.page_query()
    current = {k: params.get_all(k) for k in params if k in page_keys}
    if current != {k: [v] for k, v in query.items()}:
        app = {k: params.get_all(k) for k in params if k not in current}
        params.from_dict({**app, **query})


def load_settings(task: Task, text: str, more: Callable | None = None) -> tuple[bool, list[str]]:
    """A settings file into the page's widgets, for the exports' uploader:
    (loaded, messages about what it could not use); raises nothing.
    `more(spec)` loads what `task.load` leaves out and returns its messages."""
    spec, notes = task.spec_class.from_json(text)
    messages = [note_text(n) for n in notes]
    if any(n.code == "bad_file" for n in notes):
        return False, messages
    task.load(spec)
    return True, messages + (more(spec) if more else [])
