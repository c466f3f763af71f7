"""The classroom side of a link, read once when a session starts: the language
(`lang=zh`), the sidebar groups a teacher hid (`hide=data,network`) and the
presenter view (`present=1`); and the panel where a teacher makes such a link.
A value that means nothing is left out with a note, as bad experiment values are.
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

import streamlit as st

from playground.core.fields import Note
from playground.core.i18n import LANGUAGES
from playground.ui.text import t

# Sidebar groups a teacher can hide, in the order the pages draw them.
HIDABLE = ("data", "features", "network", "training", "views")
LANGUAGE_NAMES = {"en": "English", "zh": "中文"}
APP_NOTES = "app.link_notes"  # set on a session's first run

# Larger text and charts for a projector. The main block is zoomed as a
# whole, so Plotly's fixed pixel fonts grow with everything else.
PRESENTER_CSS = """
<style>
[data-testid="stMain"] { zoom: 1.3; }
[data-testid="stSidebar"] { zoom: 1.15; }
</style>
"""


def parse_app_query(query) -> tuple[str | None, list[str], bool, list[Note]]:
    """A link's app parameters -> (language or None, hidden groups, presenter
    view, notes about values that mean nothing)."""
    notes: list[Note] = []
    lang = query.get("lang")
    if lang is not None and lang not in LANGUAGES:
        notes.append(Note("unknown", "lang", lang, "en"))
        lang = None
    hidden = []
    for group in filter(None, (query.get("hide") or "").split(",")):
        if group in HIDABLE:
            hidden.append(group)
        else:
            notes.append(Note("unknown_hide", "hide", group))
    present = query.get("present")
    if present is not None and present not in ("0", "1"):
        notes.append(Note("bad_value", "present", present, "0"))
    return lang, hidden, present == "1", notes


def read_link() -> None:
    """On a session's first run: language, hidden controls and presenter view
    from the link, with a note for each value that means nothing."""
    if APP_NOTES in st.session_state:
        return
    lang, hidden, present, notes = parse_app_query(st.query_params)
    if lang is not None:
        st.session_state["lang"] = lang
    st.session_state.update({"hide": hidden, "present": present, APP_NOTES: notes})


def shown(group: str) -> bool:
    """False for a sidebar group the link hid."""
    return group not in st.session_state.get("hide", ())


def _set_language() -> None:
    lang = st.session_state["app.lang_choice"]
    st.session_state["lang"] = lang
    st.query_params["lang"] = lang
    # A select box remembers its choice by the text shown, which is about to
    # change language. Writing each widget's value back through session state
    # makes the next run send the value itself, shown in the new language.
    # Only choices (text, numbers and lists of them): a button's or a
    # checkbox's True/False shows no text, and buttons may not be set at all.
    for name in list(st.session_state.keys()):
        value = st.session_state[name]
        if name != "app.lang_choice" and isinstance(value, (str, int, float, list, tuple)) \
                and not isinstance(value, bool):
            st.session_state[name] = value


def language_switch() -> None:
    """The language choice, at the foot of the sidebar; the link remembers it."""
    if len(LANGUAGES) >= 2:
        st.session_state["app.lang_choice"] = st.session_state.get("lang", "en")
        st.sidebar.selectbox(
            "Language / 语言", LANGUAGES, key="app.lang_choice", on_change=_set_language,
            format_func=lambda code: LANGUAGE_NAMES.get(code, code))
    # A chosen language stays in the address, so a reload or a copied link keeps it.
    lang = st.session_state.get("lang", "en")
    if (lang != "en" or "lang" in st.query_params) and st.query_params.get("lang") != lang:
        st.query_params["lang"] = lang


def class_link(query: dict[str, str], hidden: list[str], present: bool) -> str:
    """The page's address with the experiment, the hidden groups, the
    presenter view and the language in its query."""
    parts = urlsplit(st.context.url or "")
    extra = {"lang": st.session_state.get("lang", "en")}
    if hidden:
        extra["hide"] = ",".join(g for g in HIDABLE if g in hidden)
    if present:
        extra["present"] = "1"
    base = f"{parts.scheme}://{parts.netloc}{parts.path}" if parts.netloc else parts.path
    return f"{base}?{urlencode({**query, **extra})}"


def share_panel(query: dict[str, str], groups: tuple[str, ...] = HIDABLE,
                prefix: str = "class.") -> None:
    """For a teacher: which of the page's sidebar `groups` students don't
    see, presenter view, and the link that opens this very experiment so.
    `prefix` keeps each page's widgets apart."""
    with st.expander(t("class.title"), icon=":material/school:"):
        st.caption(t("class.intro"))
        hidden = st.multiselect(t("class.hide"), groups, key=prefix + "hide",
                                format_func=lambda g: t(f"class.group.{g}"),
                                help=t("class.help.hide"))
        present = st.toggle(t("class.present"), key=prefix + "present",
                            help=t("class.help.present"))
        st.code(class_link(query, hidden, present), language=None, wrap_lines=True)
        st.caption(t("class.copy"))
