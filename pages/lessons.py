"""Lessons: one concept of an introductory course each, with its formula,
a one-click setup on the page that shows it, what to try and what to notice."""

import streamlit as st

from playground.core.fields import Note, short
from playground.lessons import LESSONS, lesson
from playground.ui import classroom, lesson_setup, shell
from playground.ui.text import t

shell.ensure()  # first: see playground/ui/shell.py

ids = [item.id for item in LESSONS]
NOTES = "lesson.link_notes"  # what the session's first link asked for that the page can't do
if NOTES not in st.session_state:
    # `lesson` is one of the app's keys (a task page shows that lesson beside
    # its setup); here it picks the lesson, so this page says when it is none.
    notes = [Note("ignored", key, short(value)) for key, value in classroom.page_query().items()]
    asked = st.query_params.get("lesson")
    if (asked or ids[0]) not in ids:  # empty: not given
        notes.append(Note("unknown", "lesson", short(asked), ids[0]))
    st.session_state[NOTES] = notes
if st.query_params.get("lesson") not in ids:
    st.query_params["lesson"] = ids[0]
with st.sidebar:
    chosen = st.radio(
        t("lesson.choose"), ids, key="lesson.choice",
        index=ids.index(st.query_params["lesson"]),
        format_func=lambda i: f"{ids.index(i) + 1}. {t(f'lesson.{i}.title')}")
st.query_params["lesson"] = chosen
current = lesson(chosen)

st.title(t(f"lesson.{chosen}.title"))
classroom.show_link_notes(st.session_state[NOTES], ("lesson",))
st.caption(t("lesson.number", n=ids.index(chosen) + 1, total=len(ids),
             page=t(f"page.{current.page}")))
st.markdown(t(f"lesson.{chosen}.intro"))
for formula in current.formulas:
    st.latex(formula)

st.subheader(t("lesson.setup"), divider="gray", anchor=False)
choices = [None, *(name for name, _ in current.variants)]
columns = st.columns(min(len(choices), 4))
for i, variant in enumerate(choices):
    ref = f"{chosen}.{variant}"  # lesson.variant.<lesson>.<variant>
    label = t("lesson.open") if variant is None else t(f"lesson.variant.{ref}")
    if columns[i % len(columns)].button(label, key=f"lesson.open.{variant}",
                                         icon=":material/play_circle:", width="stretch",
                                         type="primary" if variant is None else "secondary"):
        lesson_setup.open_setup(current, variant)

left, right = st.columns(2)
with left:
    st.subheader(t("lesson.try"), anchor=False)
    st.markdown(t(f"lesson.{chosen}.try"))
with right:
    st.subheader(t("lesson.notice"), anchor=False)
    st.markdown(t(f"lesson.{chosen}.notice"))
