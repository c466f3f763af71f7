"""`t(key)`: the page's translation lookup, in the session's language."""

from __future__ import annotations

import streamlit as st

from playground.core.fields import Note
from playground.core.i18n import DEFAULT_LANG, has, translate


def lang() -> str:
    return st.session_state.get("lang", DEFAULT_LANG)


def t(key: str, **values) -> str:
    return translate(key, lang(), **values)


def template(key: str) -> str:
    """A text whose {placeholders} a chart builder fills in later."""
    return translate(key, lang())


def field_label(name: str) -> str:
    """A setting's name as a user reads it; unknown names (from a link) as given."""
    for key in (f"param.{name}", f"field.{name}"):
        if has(key, lang()):
            return t(key)
    return name


# Fields whose values are catalog names, and the table that names them for people.
CHOICE_TABLES = {"dataset": "dataset", "loss": "loss", "optimizer": "optimizer",
                 "init": "init", "regularization": "reg", "activation": "activation"}


def choice_label(field: str, value: str) -> str:
    """'spiral' -> 'Spiral' for choice fields; other values as given."""
    table = CHOICE_TABLES.get(field)
    if table and has(f"{table}.{value}", lang()):
        return t(f"{table}.{value}")
    return value


def note_text(note: Note) -> str:
    return t(f"note.{note.code}", field=field_label(note.field),
             value=choice_label(note.field, note.value),
             fixed=choice_label(note.field, note.fixed))
