"""The app around the pages: page settings and navigation, for app.py and
for a page that Streamlit starts on its own. Right after the server starts, a
deep link such as /tables can run pages/tables.py as the main script, without
app.py (narrow layout, file names as navigation). Each page calls `ensure()`
first: outside app.py's navigation it runs the app, which then runs the page.
"""

from __future__ import annotations

import threading
from pathlib import Path

import streamlit as st

from playground.core.fields import Note, short
from playground.ui import classroom
from playground.ui.text import t

PAGES_DIR = Path(__file__).resolve().parents[2] / "pages"
PAGE_ICONS = {"playground": "scatter_plot", "images": "image", "tables": "table",
              "lessons": "school"}  # pages/<name>.py, served at /<name>; the first at /
# Pages that read nothing from a link (a user's table cannot travel in one):
# every key but the app's is ignored there, with a note.
LINKLESS = ("tables",)
_state = threading.local()  # each session's script run has its own thread


def run() -> None:
    """app.py's body: settings, navigation, and the chosen page."""
    classroom.read_link()  # the language first: every text below depends on it
    st.set_page_config(page_title=t("app.title"), page_icon=":material/neurology:",
                       layout="wide")
    if st.session_state.get("present"):
        st.html(classroom.PRESENTER_CSS)
    page = st.navigation([
        st.Page(PAGES_DIR / f"{name}.py", title=t(f"page.{name}"), icon=f":material/{icon}:",
                default=name == "playground") for name, icon in PAGE_ICONS.items()])
    classroom.language_switch()
    classroom.show_app_notes()
    if page.url_path in LINKLESS:
        _ignore_link(page.url_path)
    _state.inside = True
    try:
        page.run()
    finally:
        _state.inside = False


def _ignore_link(name: str) -> None:
    """On a page that reads no link: one note naming the keys it ignored,
    which leave the address bar."""
    key = f"app.ignored.{name}"
    ignored = [Note("ignored", k, short(v)) for k, v in classroom.page_query().items()]
    st.session_state[key] = [*st.session_state.get(key, []), *ignored]
    classroom.show_link_notes(st.session_state[key], ())


def ensure() -> None:
    """First call of every page: outside the navigation, run the app instead."""
    if not getattr(_state, "inside", False):
        run()
        st.stop()
