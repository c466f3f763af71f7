"""Open a lesson's setup on its page: the spec goes into the session and
into that page's widgets before the switch, exactly as a link or a settings
file would put it there."""

from __future__ import annotations

import streamlit as st

from playground.lessons import Lesson, spec_for
from playground.ui import controls, image_controls, table_data
from playground.ui.shell import PAGES_DIR

PAGE_FILES = {"playground": "playground.py", "images": "images.py", "tables": "tables.py"}


def open_setup(lesson: Lesson, variant: str | None = None) -> None:
    """Load the setup and go to its page (does not return)."""
    spec = spec_for(lesson, variant)
    if lesson.page == "playground":
        st.session_state["spec"] = spec
        controls.load(spec)
    elif lesson.page == "images":
        st.session_state["img.spec"] = spec
        image_controls.load(spec)
    else:  # a table: the example first, then the columns and the network
        st.session_state[table_data.KEY("example")] = lesson.example
        st.session_state[table_data.KEY("origin")] = None  # read it on arrival
        st.session_state[table_data.KEY("spec")] = spec
        controls.load(spec, table_data.PREFIX)
        for name in table_data.COLUMN_WIDGETS:  # seeded again from the spec
            st.session_state.pop(table_data.KEY(name), None)
    st.switch_page(PAGES_DIR / PAGE_FILES[lesson.page])
