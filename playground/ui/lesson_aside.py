"""A lesson beside the setup it opened: its "what to try" and "what to
notice" at the top of the sidebar of the task page, with a link back to the
lesson. The lesson comes from the link (`lesson=<id>`, so a shared link shows
it too) or from the session, where "Open the setup" left it; while it is shown
the address carries it, so a copied link does as well."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from playground.core.fields import Note, short
from playground.lessons import LESSONS, lesson
from playground.ui import classroom
from playground.ui.text import t

SHOWN = "lesson.beside"  # the id of the lesson shown beside its setup
IDS = tuple(item.id for item in LESSONS)
LESSONS_PAGE = "lessons"


def show(page: str, lessons_page: Path) -> None:
    """On a task page (`page`, its name in pages/): the lesson the link or
    the session names, if any. A link's lesson that does not exist gets a note
    with the app's notes (call before classroom.show_app_notes) and leaves the
    address. The lessons page (`lessons_page`, the link back) reads `lesson`
    itself."""
    if page == LESSONS_PAGE:
        return
    asked = st.query_params.get("lesson")
    if asked in IDS:
        st.session_state[SHOWN] = asked
    elif asked is not None:
        st.session_state.setdefault(classroom.APP_NOTES, []).append(unknown_lesson(asked))
        classroom.drop_from_link(["lesson"])
    current = st.session_state.get(SHOWN)
    if current is None or (asked not in IDS and lesson(current).page != page):
        return  # none, or one that "Open the setup" left for another page
    if st.query_params.get("lesson") != current:
        st.query_params["lesson"] = current
    _draw(current, lessons_page)


def unknown_lesson(asked: str) -> Note:
    """The note for a link's lesson that does not exist."""
    return Note("unknown_lesson", "lesson", short(asked))


def _draw(lesson_id: str, lessons_page: Path) -> None:
    n = IDS.index(lesson_id) + 1
    with st.sidebar.expander(t("lesson.beside", n=n, title=t(f"lesson.{lesson_id}.title")),
                             expanded=True, icon=":material/school:"):
        st.markdown(f"**{t('lesson.try')}**")
        st.markdown(t(f"lesson.{lesson_id}.try"))
        st.markdown(f"**{t('lesson.notice')}**")
        st.markdown(t(f"lesson.{lesson_id}.notice"))
        back, close = st.columns([3, 2], vertical_alignment="center")
        back.page_link(lessons_page, label=t("lesson.back"),
                       icon=":material/arrow_back:", query_params={"lesson": lesson_id})
        close.button(t("lesson.close"), key="lesson.close", on_click=_close,
                     icon=":material/close:", width="stretch")


def _close() -> None:
    st.session_state.pop(SHOWN, None)
    classroom.drop_from_link(["lesson"])
