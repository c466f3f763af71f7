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
from playground.ui import classroom, lesson_aside
from playground.ui.text import t

PAGES_DIR = Path(__file__).resolve().parents[2] / "pages"
PAGE_ICONS = {"playground": "scatter_plot", "images": "image", "tables": "table",
              "lessons": "school"}  # pages/<name>.py, served at /<name>; the first at /
# Pages that read nothing from a link (a user's table cannot travel in one):
# every key but the app's is ignored there, with a note.
LINKLESS = ("tables",)
_state = threading.local()  # each session's script run has its own thread

# Presenter view (`present=1`): larger text and controls for a projector, and
# less empty space above and between them, so the controls, the boundary and
# both curves fit one 1920 x 1080 screen. Each element but the charts is zoomed on
# its own: Plotly sizes itself from its container's zoomed size and is then
# zoomed again, so zooming the main block as a whole drew every chart 1.3
# times wider and taller than its column (legends and right edges cut off).
PRESENTER_ZOOM = 1.2
_CHART = '[data-testid="stPlotlyChart"], [data-testid="stImage"]'
# Below 1600 px (a 1280 x 720 projector) the text keeps its size: zoomed, a
# row of six metrics no longer fits the page and their values are cut off.
PRESENTER_CSS = f"""
<style>
[data-testid="stMainBlockContainer"] {{ padding: 1rem 2rem 2rem; }}
[data-testid="stMain"] [data-testid="stVerticalBlock"] {{ gap: 0.5rem; }}
[data-testid="stMain"] h1 {{ padding-top: 0; }}
@media (min-width: 1600px) {{
  [data-testid="stMain"] [data-testid="stElementContainer"]:not(:has({_CHART})) {{
    zoom: {PRESENTER_ZOOM};
  }}
  [data-testid="stSidebar"] {{ zoom: 1.15; }}
}}
</style>
"""


def run() -> None:
    """app.py's body: settings, navigation, and the chosen page."""
    classroom.read_link()  # the language first: every text below depends on it
    st.set_page_config(page_title=t("app.title"), page_icon=":material/neurology:",
                       layout="wide")
    if st.session_state.get("present"):
        st.html(PRESENTER_CSS)
    page = st.navigation([
        st.Page(PAGES_DIR / f"{name}.py", title=t(f"page.{name}"), icon=f":material/{icon}:",
                default=name == "playground") for name, icon in PAGE_ICONS.items()])
    classroom.language_switch()
    lesson_aside.show(page.url_path or "playground", PAGES_DIR / "lessons.py")
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
