"""`t(key)`: the page's translation lookup, in the session's language."""

from __future__ import annotations

import re
from collections.abc import Iterable

import streamlit as st

from playground.core.fields import Note, close_key, listed, short
from playground.core.i18n import DEFAULT_LANG, has, translate


def lang() -> str:
    return st.session_state.get("lang", DEFAULT_LANG)


def t(key: str, **values) -> str:
    return translate(key, lang(), **values)


def template(key: str) -> str:
    """A text whose {placeholders} a chart builder fills in later."""
    return translate(key, lang())


def field_label(name: str, language: str | None = None) -> str:
    """A setting's name as a user reads it; unknown names (from a link) as given."""
    for key in (f"param.{name}", f"field.{name}"):
        if has(key, language or lang()):
            return translate(key, language or lang())
    return escape(name)


# Markdown that would turn a link's text into something else: emphasis, code,
# links, LaTeX ($), HTML, tables, strikethrough, and Streamlit's :color[...].
MARKDOWN = re.compile(r"([\\`*_\[\]$<>|~])")


def escape(text: str) -> str:
    """Text from a link, shown as written (alert bodies are Markdown)."""
    return MARKDOWN.sub(r"\\\1", text)


# Fields whose values are catalog names, and the table that names them for people.
CHOICE_TABLES = {"dataset": "dataset", "loss": "loss", "optimizer": "optimizer",
                 "init": "init", "regularization": "reg", "activation": "activation"}


def choice_label(field: str, value: str) -> str:
    """'spiral' -> 'Spiral' for choice fields; other values as given."""
    table = CHOICE_TABLES.get(field)
    if table and has(f"{table}.{value}", lang()):
        return t(f"{table}.{value}")
    if field == "lesson" and has(f"lesson.{value}.title", lang()):
        return t(f"lesson.{value}.title")
    return escape(value)


def note_text(note: Note) -> str:
    return t(f"note.{note.code}", field=field_label(note.field),
             value=choice_label(note.field, note.value),
             fixed=choice_label(note.field, note.fixed))


# ---- a link's notes ---------------------------------------------------------------
def link_messages(notes: Iterable[Note], keys: Iterable[str]) -> list[str]:
    """The texts for a link's notes: one per note, except that the keys that
    are no setting of the page (`keys` are the page's) share one text."""
    notes = list(notes)
    texts = [note_text(n) for n in notes if n.code != "ignored"]
    ignored = [n.field for n in notes if n.code == "ignored"]
    if ignored:
        texts.append(ignored_text(ignored, keys))
    return texts


def ignored_text(ignored: list[str], keys: Iterable[str]) -> str:
    """One text for all the link's keys the page ignored, the first few named
    with the page's closest key, if one is close."""
    spellings = {}
    for key in keys:  # a key by its name and its label, in English and in the page's language
        for word in (key, field_label(key, DEFAULT_LANG), field_label(key)):
            spellings.setdefault(word.lower().replace("_", " "), key)
    shown, more = listed(ignored)
    names = []
    for key in shown:
        close = close_key(key, spellings)
        name = f"“{escape(short(key, 30))}”"
        names.append(t("link.did_you_mean", name=name, close=close) if close else name)
    names = ", ".join(names)
    if more:
        names = t("link.and_more", listed=names, more=f"{more:,}")
    if len(ignored) == 1:
        return t("link.ignored_one", keys=names)
    return t("link.ignored_many", keys=names, count=f"{len(ignored):,}")
