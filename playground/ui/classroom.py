"""The classroom side of a link, read once when a session starts: the language
(`lang=zh`), the sidebar groups a teacher hid (`hide=data,network`) and the
presenter view (`present=1`); and the panel where a teacher makes such a link.
A value that means nothing is left out with a note, as bad experiment values are.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlencode, urlsplit

import streamlit as st

from playground.core.fields import Note, listed, parse_bool, short
from playground.core.i18n import LANGUAGES
from playground.ui.deep_paths import MOVED_KEY
from playground.ui.text import escape, link_messages, t

# Sidebar groups a teacher can hide, in the order the pages draw them.
HIDABLE = ("data", "features", "network", "training", "views")
LANGUAGE_NAMES = {"en": "English", "zh": "中文"}
# A link's keys that every page reads. `tools=0` hides the teacher's tools
# (the share panel, loading a settings file) from students; `lesson=<id>` shows
# a lesson's instructions beside the setup it opened (ui/lesson_aside.py).
APP_KEYS = ("lang", "hide", "present", "tools", "lesson")
APP_NOTES = "app.link_notes"  # set on a session's first run
REPEATED = "app.link_repeated"  # keys the link gives more than once; the last value counts
LINK_ICON = ":material/link_off:"


def parse_app_query(query) -> tuple[str | None, list[str], bool, list[Note]]:
    """A link's app parameters -> (language or None, hidden groups, presenter
    view, notes about values that mean nothing)."""
    notes: list[Note] = []
    lang = query.get("lang")
    if lang is not None and lang not in LANGUAGES:
        notes.append(Note("unknown", "lang", short(lang), "en"))
        lang = None
    groups = [g.strip() for g in (query.get("hide") or "").split(",") if g.strip()]
    hidden = [g for g in HIDABLE if g in groups]
    unknown = [short(g, 30) for g in dict.fromkeys(groups) if g not in HIDABLE]
    if unknown:  # one note for them all: a long bad list is one mistake, not many
        shown, more = listed(unknown)
        notes.append(Note("unknown_hide", "hide", ", ".join(shown) + (f" … (+{more:,})"
                                                                      if more else "")))
    present = parse_bool("present", query.get("present", ""), False, notes)
    if query.get(MOVED_KEY):  # the server sent an address too deep to its page
        notes.append(Note("moved", MOVED_KEY, short(query.get(MOVED_KEY), 80)))
    return lang, hidden, present, notes


def read_link() -> None:
    """On a session's first run: language, hidden controls and presenter view
    from the link, with a note for each value that means nothing."""
    if APP_NOTES in st.session_state:
        return
    lang, hidden, present, notes = parse_app_query(st.query_params)
    if lang is not None:
        st.session_state["lang"] = lang
    tools = parse_bool("tools", st.query_params.get("tools", ""), True, notes)
    repeated = [key for key in st.query_params if len(st.query_params.get_all(key)) > 1]
    st.session_state.update({"hide": hidden, "present": present, "tools": tools,
                             APP_NOTES: notes, REPEATED: repeated})


def show_app_notes() -> None:
    """What the link's app keys asked for that means nothing, and the keys it
    gave more than once (Streamlit reads the last value of each)."""
    for text in link_messages(st.session_state.get(APP_NOTES, []), APP_KEYS):
        st.warning(text, icon=LINK_ICON)
    drop_from_link([MOVED_KEY])  # said once; a copied link carries no trace of it
    repeated = st.session_state.get(REPEATED)
    if repeated:
        shown, more = listed(f"“{escape(short(key, 30))}”" for key in repeated)
        keys = ", ".join(shown)
        if more:
            keys = t("link.and_more", listed=keys, more=f"{more:,}")
        st.warning(t("link.repeated", keys=keys), icon=LINK_ICON)


def show_link_notes(notes: Iterable[Note], keys: Iterable[str]) -> None:
    """A page's notes about its link, under its title: one box per changed
    value, one for all the keys that are no setting of the page (`keys`),
    which leave the address bar."""
    notes = list(notes)
    for text in link_messages(notes, [*keys, *APP_KEYS]):
        st.warning(text, icon=LINK_ICON)
    drop_from_link(n.field for n in notes if n.code == "ignored")


def page_query() -> dict[str, str]:
    """The link's keys that are the page's to read (the app's are read above)."""
    return {k: v for k, v in st.query_params.to_dict().items()
            if k not in APP_KEYS and k != MOVED_KEY}


def drop_from_link(keys: Iterable[str]) -> None:
    """Take keys the page ignored out of the address bar, so a copied link
    carries only what the page read. One rewrite for them all: each `del`
    would send the browser its own address change (and history entry)."""
    drop = set(keys) & set(st.query_params)
    if drop:
        st.query_params.from_dict({key: st.query_params.get_all(key)
                                   for key in st.query_params if key not in drop})


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


def tools_shown() -> bool:
    """False where the link hid the teacher's tools (`tools=0`)."""
    return st.session_state.get("tools", True)


def class_link(query: dict[str, str], hidden: list[str], present: bool,
               tools: bool = True) -> str:
    """The page's address with the experiment, the hidden groups, the
    presenter view, whether students see the teacher's tools, the lesson
    shown beside the setup and the language in its query."""
    parts = urlsplit(st.context.url or "")
    extra = {"lang": st.session_state.get("lang", "en")}
    if hidden:
        extra["hide"] = ",".join(g for g in HIDABLE if g in hidden)
    if present:
        extra["present"] = "1"
    if not tools:
        extra["tools"] = "0"
    if st.query_params.get("lesson"):  # shown beside the setup: students get it too
        extra["lesson"] = st.query_params["lesson"]
    base = f"{parts.scheme}://{parts.netloc}{parts.path}" if parts.netloc else parts.path
    return f"{base}?{urlencode({**query, **extra})}"


def share_panel(query: dict[str, str], groups: tuple[str, ...] = HIDABLE,
                prefix: str = "class.") -> None:
    """For a teacher: which of the page's sidebar `groups` students don't
    see, presenter view, whether they see this panel and the settings upload,
    and the link that opens this very experiment so. Not drawn where the
    link hid the teacher's tools. `prefix` keeps each page's widgets apart."""
    if not tools_shown():
        return
    with st.expander(t("class.title"), icon=":material/school:"):
        st.caption(t("class.intro"))
        hidden = st.multiselect(t("class.hide"), groups, key=prefix + "hide",
                                format_func=lambda g: t(f"class.group.{g}"),
                                help=t("class.help.hide"))
        present = st.toggle(t("class.present"), key=prefix + "present",
                            help=t("class.help.present"))
        tools = st.toggle(t("class.tools"), key=prefix + "tools", help=t("class.help.tools"))
        st.code(class_link(query, hidden, present, tools), language=None, wrap_lines=True)
        st.caption(t("class.copy"))
