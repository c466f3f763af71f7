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


# ---- the lesson beside its setup ------------------------------------------------------
def aside(at: AppTest, item) -> list:
    """The sidebar expanders titled with the lesson."""
    label = translate("lesson.beside", n=LESSONS.index(item) + 1,
                      title=translate(f"lesson.{item.id}.title"))
    return [e for e in at.sidebar.expander if e.label == label]


def aside_texts(at: AppTest) -> str:
    return " ".join(m.value for m in at.sidebar.markdown)


@pytest.mark.parametrize("page", ["playground", "images", "tables"])
def test_the_setup_opens_with_the_lesson_beside_it_and_a_way_back(at, page):
    item = next(x for x in LESSONS if x.page == page)
    at.query_params["lesson"] = item.id
    run(at)
    at.button(key="lesson.open.None").click()
    run(at)
    assert at.session_state[SPEC_KEYS[page]] is not None  # arrived on the setup's page
    assert aside(at, item)
    texts = aside_texts(at)
    assert translate(f"lesson.{item.id}.try")[:40] in texts
    assert translate(f"lesson.{item.id}.notice")[:40] in texts
    assert at.query_params["lesson"] == item.id  # a copied link keeps it
    (back,) = [p for p in at.get("page_link") if p.proto.label == translate("lesson.back")]
    assert back.proto.page.endswith("lessons") and f"lesson={item.id}" in back.proto.query_string


def test_a_shared_link_shows_the_lesson_beside_its_experiment(open_page):
    item = next(x for x in LESSONS if x.id == "learning_rate")
    at = open_page(None)
    at.query_params.update({"lesson": item.id, "dataset": "plane", "lr": "1.0"})
    run(at)
    assert aside(at, item) and translate(f"lesson.{item.id}.try")[:40] in aside_texts(at)
    assert not at.warning  # `lesson` is no setting the page ignores
    assert at.session_state["spec"].lr == 1.0 and at.query_params["lesson"] == item.id
    at.select_slider(key="w.lr").set_value(0.01)
    run(at)  # it stays, the experiment's changes in the link beside it
    assert aside(at, item) and at.query_params["lesson"] == item.id
    assert at.query_params["lr"] == "0.01"


def test_a_link_to_no_lesson_says_so_and_drops_it(open_page):
    at = open_page(None)
    at.query_params.update({"lesson": "bogus", "dataset": "xor"})
    run(at)
    assert translate("note.unknown_lesson", value="bogus") in [w.value for w in at.warning]
    assert "lesson" not in at.query_params and at.query_params["dataset"] == "xor"
    assert not at.sidebar.expander or all(e.label.split()[0] != translate("lesson.beside", n=1,
                                          title="").split()[0] for e in at.sidebar.expander)


def test_closing_the_lesson_takes_it_off_the_page_and_the_link(open_page):
    item = LESSONS[0]
    at = open_page(None)
    at.query_params["lesson"] = item.id
    run(at)
    assert aside(at, item)
    at.button(key="lesson.close").click()
    run(at)
    assert not aside(at, item) and "lesson" not in at.query_params
    run(at)
    assert not aside(at, item)


def test_the_lesson_page_itself_shows_no_aside(at):
    at.query_params["lesson"] = LESSONS[2].id
    run(at)
    assert not aside(at, LESSONS[2])


# ---- side by side ---------------------------------------------------------------------
@pytest.mark.parametrize("variant", [None, "right"])
def test_a_comparison_lesson_opens_its_variants_side_by_side(at, variant):
    """"Open the setup" of the learning-rate lesson trains its three rates as
    one comparison (and says so in the link); a variant's button opens that
    variant alone."""
    from playground.dense.compare import as_run
    from playground.lessons import lesson
    from playground.ui.compare import MODE_KEY, RUNS_KEY

    item = lesson("learning_rate")
    at.query_params["lesson"] = item.id
    run(at)
    at.button(key=f"lesson.open.{variant}").click()
    run(at)
    assert not at.exception
    if variant is None:
        assert at.session_state[MODE_KEY] == "compare"
        assert at.session_state[RUNS_KEY] == [as_run(spec_for(item, v))
                                              for v in item.variant_names]
        assert at.query_params["mode"] == "compare"
        assert at.query_params["runs"] == "lr:0.0001|base|lr:1.0"
    else:
        assert at.session_state[MODE_KEY] == "one"
        assert at.session_state["spec"] == spec_for(item, variant)
        assert "mode" not in at.query_params
