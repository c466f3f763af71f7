"""Open a lesson's setup on its page: the spec goes into the session and
into that page's widgets before the switch, exactly as a link or a settings
file would put it there."""

from __future__ import annotations

import streamlit as st

from playground.dense.compare import Comparison
from playground.lessons import Lesson, comparison_for, spec_for
from playground.ui import compare as compare_ui
from playground.ui import controls, image_controls, lesson_aside, table_data
from playground.ui.shell import PAGES_DIR

TASKS = {"playground": controls.PLAYGROUND, "images": image_controls.IMAGES,
         "tables": table_data.TABLES}


def open_setup(lesson: Lesson, variant: str | None = None) -> None:
    """Load the setup and go to its page (does not return), with the lesson
    beside it (ui/lesson_aside.py) and in its link."""
    spec = spec_for(lesson, variant)
    task = TASKS[lesson.page]
    if lesson.page == "tables":
        table_data.choose_example(lesson.example)  # read on arrival, before the columns
    st.session_state[task.spec_key] = spec
    task.load(spec)
    if lesson.page == "playground":  # the variants side by side, or one run
        comparison = comparison_for(lesson) if variant is None else None
        compare_ui.put(comparison or Comparison(), spec)
    st.session_state[lesson_aside.SHOWN] = lesson.id
    st.switch_page(PAGES_DIR / f"{lesson.page}.py", query_params={"lesson": lesson.id})
