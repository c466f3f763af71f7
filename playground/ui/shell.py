"""The app around the pages: page settings and navigation, for app.py and
for a page that Streamlit starts on its own.

Why a page may start on its own: with a `pages/` folder beside app.py,
Streamlit's first answer to a deep link such as /tables, right after the
server starts, can run pages/tables.py as the main script, without app.py
(its older multipage mode: narrow layout, file names as navigation). Each
page calls `ensure()` first (a task page through page.start); outside
app.py's navigation it runs the app instead, and the navigation then runs
the page as usual.
"""

from __future__ import annotations

import threading
from pathlib import Path

import streamlit as st

from playground.ui import classroom
from playground.ui.text import note_text, t

PAGES_DIR = Path(__file__).resolve().parents[2] / "pages"
_state = threading.local()  # each session's script run has its own thread


def run() -> None:
    """app.py's body: settings, navigation, and the chosen page."""
    classroom.read_link()  # the language first: every text below depends on it
    st.set_page_config(page_title=t("app.title"), page_icon=":material/neurology:",
                       layout="wide")
    classroom.presenter_style()
    pages = [
        st.Page(PAGES_DIR / "playground.py", title=t("page.playground"),
                icon=":material/scatter_plot:", default=True),
        st.Page(PAGES_DIR / "images.py", title=t("page.images"), icon=":material/image:",
                url_path="images"),
        st.Page(PAGES_DIR / "tables.py", title=t("page.tables"), icon=":material/table:",
                url_path="tables"),
        st.Page(PAGES_DIR / "lessons.py", title=t("page.lessons"), icon=":material/school:",
                url_path="lessons"),
    ]
    page = st.navigation(pages)
    classroom.language_switch()
    classroom.keep_language_in_link()
    for note in classroom.link_notes():
        st.warning(note_text(note), icon=":material/link_off:")
    _state.inside = True
    try:
        page.run()
    finally:
        _state.inside = False


def ensure() -> None:
    """First call of every page: outside the navigation, run the app instead."""
    if not getattr(_state, "inside", False):
        run()
        st.stop()
