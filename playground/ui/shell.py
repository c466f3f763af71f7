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

from playground.ui import classroom
from playground.ui.text import note_text, t

PAGES_DIR = Path(__file__).resolve().parents[2] / "pages"
PAGE_ICONS = {"playground": "scatter_plot", "images": "image", "tables": "table",
              "lessons": "school"}  # pages/<name>.py, served at /<name>; the first at /
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
    for note in st.session_state.get(classroom.APP_NOTES, []):
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
