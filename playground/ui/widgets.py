"""Widgets for the fields of one spec class: a number's range ({"min", "max"})
and a choice's options ({"choices"}) come from the field's metadata. Widgets
get no `value=`: their state is seeded from the spec under stable keys
(prefix + field name), so a spec from a link, a file or a fix-up reaches them
the same way. The prefix keeps pages apart: widget keys are per session.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields

import streamlit as st


class Widgets:
    def __init__(self, spec_class: type, prefix: str) -> None:
        self.prefix = prefix
        self.meta = {f.name: f.metadata for f in fields(spec_class)}

    def key(self, name: str) -> str:
        return self.prefix + name

    # The widgets' values, by field name, as session state holds them.
    def __getitem__(self, name: str):
        return st.session_state[self.key(name)]

    def __setitem__(self, name: str, value) -> None:
        st.session_state[self.key(name)] = value

    def __contains__(self, name: str) -> bool:
        return self.key(name) in st.session_state

    def get(self, name: str, default=None):
        return st.session_state.get(self.key(name), default)

    def pop(self, name: str) -> None:
        st.session_state.pop(self.key(name), None)

    def put(self, values: Mapping) -> None:
        """Set the widgets to `values` (field name -> value); call before they are drawn."""
        for name, value in values.items():
            self[name] = value

    def seed(self, spec, *names: str, **values) -> None:
        """Give each widget named in `names` its value from `spec`, and each
        in `values` its value there, if it has none (it may have been hidden on
        an earlier run, and Streamlit drops a hidden widget's state)."""
        for name, value in {**{n: getattr(spec, n) for n in names}, **values}.items():
            if name not in self:
                self[name] = value

    def steps(self, name: str, choices: tuple) -> list:
        """A select slider's steps: `choices`, and the widget's value (from a
        link or a file) where it is none of them."""
        return sorted(set(choices) | {self[name]})

    def __call__(self, draw, name: str, label: str, *bounds, **kwargs):
        """`draw` (st.slider, st.selectbox, a column's number_input, ...) for
        field `name`, keyed by it. Its range or options come from the field's
        metadata unless `bounds` narrow them (a batch no larger than the
        training set); a field without either (a toggle) gets none."""
        meta = self.meta.get(name, {})
        if not bounds:
            bounds = (meta["choices"],) if "choices" in meta else (
                (meta["min"], meta["max"]) if "min" in meta else ())
        return draw(label, *bounds, key=self.key(name), **kwargs)
