"""Whether the page's browser tab is hidden (another tab in front, a minimised
window), as the browser reports it (`document.visibilityState`).

A hidden tab's training pauses at once and frees its slot for a page someone
sees (core/worker.py, `set_hidden`); its polling stops too, so a class's
background tabs cost the server nothing. Shown again, the browser says so and
the page carries on. A tiny script-only component: it draws nothing.
"""

from __future__ import annotations

import streamlit as st

KEY = "app.tab"
_JS = """
export default function ({ setStateValue }) {
  const report = () => setStateValue("hidden", document.visibilityState === "hidden");
  document.addEventListener("visibilitychange", report);
  return () => document.removeEventListener("visibilitychange", report);
}
"""
_component = st.components.v2.component("playground.tab_visibility", js=_JS)


def tab_hidden() -> bool:
    """True while the browser reports this tab hidden. A change reruns the page."""
    with st.sidebar:  # out of the page's layout; it takes no room there either
        result = _component(key=KEY, default={"hidden": False}, height=0,
                            on_hidden_change=lambda: None)
    return bool(result.hidden)
