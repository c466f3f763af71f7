"""The lessons page under AppTest: every lesson renders with its formulas,
the link remembers the lesson, and a setup button opens that setup on its
page, in the session and in the widgets, as a link would."""

from __future__ import annotations

import pytest
from pagetools import run
from streamlit.testing.v1 import AppTest

from playground.core.i18n import translate
from playground.lessons import LESSONS, spec_for

PAGE = "pages/lessons.py"
SPEC_KEYS = {"playground": "spec", "images": "img.spec", "tables": "t.job"}


def title(at: AppTest) -> str:
    return at.title[0].value


@pytest.mark.parametrize("item", LESSONS, ids=lambda item: item.id)
def test_every_lesson_renders(at, item):
    at.query_params["lesson"] = item.id
    run(at)
    assert title(at) == translate(f"lesson.{item.id}.title")
    assert len(at.latex) == len(item.formulas)
    texts = " ".join(m.value for m in at.markdown)
    assert translate(f"lesson.{item.id}.try")[:40] in texts
    buttons = {b.label for b in at.button}
    assert translate("lesson.open") in buttons
    for name, _ in item.variants:
        assert translate(f"lesson.variant.{item.id}.{name}") in buttons


def test_an_unknown_lesson_in_the_link_opens_the_first(at):
    at.query_params["lesson"] = "bogus"
    run(at)
    assert title(at) == translate(f"lesson.{LESSONS[0].id}.title")
    assert at.query_params["lesson"] == LESSONS[0].id


def test_choosing_a_lesson_updates_the_link(at):
    run(at)
    last = LESSONS[-1].id
    at.radio(key="lesson.choice").set_value(last)
    run(at)
    assert title(at) == translate(f"lesson.{last}.title")
    assert at.query_params["lesson"] == last


@pytest.mark.parametrize("page", ["playground", "images", "tables"])
def test_a_setup_button_opens_the_setup_on_its_page(at, page):
    item = next((x for x in LESSONS if x.page == page), None)
    assert item is not None, f"no lesson on the {page} page"
    variant = item.variants[-1][0] if item.variants else None
    at.query_params["lesson"] = item.id
    run(at)
    key = "lesson.open.None" if variant is None else f"lesson.open.{variant}"
    at.button(key=key).click()
    run(at)
    expected = spec_for(item, variant)
    got = at.session_state[SPEC_KEYS[page]]
    if page == "tables":
        got = got.spec
        assert got.source == f"{item.example}.csv"
        for name in ("hidden", "optimizer", "lr", "target"):
            assert getattr(got, name) == getattr(expected, name) or not getattr(expected, name)
    else:
        assert got == expected
