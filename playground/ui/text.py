"""`t(key)`: the page's translation lookup, in the session's language."""

from __future__ import annotations

import streamlit as st

from playground.i18n import DEFAULT_LANG, has, translate
from playground.spec import Note


def lang() -> str:
    return st.session_state.get("lang", DEFAULT_LANG)


def t(key: str, **values) -> str:
    return translate(key, lang(), **values)


def field_label(name: str) -> str:
    """A setting's name as a user reads it; unknown names (from a link) as given."""
    for key in (f"param.{name}", f"field.{name}"):
        if has(key, lang()):
            return t(key)
    return name


def note_text(note: Note) -> str:
    return t(f"note.{note.code}", field=field_label(note.field), value=note.value,
             fixed=note.fixed)
