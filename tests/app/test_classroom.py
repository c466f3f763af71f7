"""Classroom links under AppTest: a link that hides sidebar sections, the
presenter view, app parameters that mean nothing, and the teacher's share
panel that makes such a link."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from pagetools import run
from streamlit.testing.v1 import AppTest

from playground.core.i18n import translate
from playground.dense.spec import Experiment


def labels(at: AppTest) -> set[str]:
    return {w.label for kind in ("selectbox", "slider", "number_input", "select_slider")
            for w in at.get(kind)}


def test_a_link_can_hide_sidebar_sections_and_keep_their_settings(at):
    at.query_params.update({"dataset": "circle", "hidden": "3-relu", "hide": "data,network"})
    run(at)
    shown = labels(at)
    assert translate("field.dataset") not in shown  # data: hidden
    assert translate("field.loss") not in shown  # network: hidden
    assert translate("field.optimizer") in shown  # training: still there
    spec = at.session_state["spec"]
    assert spec.dataset == "circle" and [layer.width for layer in spec.hidden] == [3]
    # A change to a visible control keeps the hidden settings and the hiding.
    at.selectbox(key="w.optimizer").set_value("sgd")
    run(at)
    spec = at.session_state["spec"]
    assert spec.optimizer == "sgd" and spec.dataset == "circle"
    assert at.query_params["hide"] == "data,network"


def test_app_parameters_that_mean_nothing_are_named(at):
    at.query_params.update({"lang": "xx", "hide": "data,bogus", "present": "maybe"})
    run(at)
    warnings = " ".join(w.value for w in at.warning)
    assert "xx" in warnings and "bogus" in warnings and "maybe" in warnings
    assert translate("field.dataset") not in labels(at)  # the good part of hide= holds
    assert at.session_state["spec"] == Experiment()


def test_presenter_view_zooms_the_page(at):
    at.query_params["present"] = "1"
    run(at)
    assert any("zoom" in h.proto.body for h in at.get("html"))
    other = AppTest.from_file(str(at._script_path), default_timeout=60)
    run(other)
    assert not any("zoom" in h.proto.body for h in other.get("html"))


def test_the_share_panel_makes_the_link(at):
    at.query_params.update({"dataset": "xor", "lr": "0.1"})
    run(at)
    at.multiselect(key="class.hide").set_value(["data", "training"])
    at.toggle(key="class.present").set_value(True)
    run(at)
    (link,) = [c.value for c in at.code if "dataset=xor" in c.value]
    query = {k: v[0] for k, v in parse_qs(urlsplit(link).query).items()}
    assert query["hide"] == "data,training" and query["present"] == "1"
    assert query["lang"] == "en"
    spec, notes = Experiment.from_query({k: v for k, v in query.items()
                                         if k not in ("hide", "present", "lang", "tools")})
    assert spec == at.session_state["spec"] and not notes


def test_the_image_page_hides_sections_and_shares_its_link(open_page):
    at = open_page("pages/images.py")
    at.query_params.update({"lr": "0.003", "hide": "data,training"})
    run(at)
    shown = labels(at)
    assert translate("img.field.dataset") not in shown
    assert translate("field.optimizer") not in shown
    assert at.session_state["img.spec"].lr == 0.003
    at.multiselect(key="img.class.hide").set_value(["network"])
    run(at)
    # The share link; the exported code says lr=0.003 too.
    (link,) = [c.value for c in at.code if "lr=0.003" in c.value and "hide=" in c.value]
    assert "hide=network" in link


# ---- the teacher's tools ------------------------------------------------------------------
def teacher_tools(at: AppTest) -> dict[str, bool]:
    """Whether the share panel and the settings upload are on the page."""
    return {"share": translate("class.title") in {e.label for e in at.expander},
            "upload": translate("exp.load_settings") in {u.label for u in
                                                         at.get("file_uploader")}}


def test_a_link_from_the_share_panel_hides_the_teacher_tools_unless_asked(at):
    at.query_params.update({"dataset": "xor"})
    run(at)
    assert teacher_tools(at) == {"share": True, "upload": True}
    (link,) = [c.value for c in at.code if "dataset=xor" in c.value]
    assert parse_qs(urlsplit(link).query)["tools"] == ["0"]  # off unless the teacher shows them
    at.toggle(key="class.tools").set_value(True)
    run(at)
    (link,) = [c.value for c in at.code if "dataset=xor" in c.value]
    assert "tools" not in parse_qs(urlsplit(link).query)


@pytest.mark.parametrize("page", [None, "pages/images.py", "pages/tables.py"])
def test_students_on_a_tools_0_link_see_no_teacher_tools(open_page, page):
    at = open_page(page)
    at.query_params["tools"] = "0"
    run(at)
    assert teacher_tools(at) == {"share": False, "upload": False}
    assert at.query_params["tools"] == "0"  # and a copied link keeps them hidden
    assert not at.warning  # an app key, not one the page ignores
    assert any(b.label == translate("exp.settings") for b in at.get("download_button"))


def test_a_tools_value_that_means_nothing_is_named_and_the_tools_stay(at):
    at.query_params["tools"] = "perhaps"
    run(at)
    assert any("perhaps" in w.value for w in at.warning)
    assert teacher_tools(at) == {"share": True, "upload": True}


def test_the_share_link_carries_the_lesson_shown_beside_the_setup(at):
    at.query_params.update({"lesson": "learning_rate", "dataset": "plane"})
    run(at)
    (link,) = [c.value for c in at.code if "dataset=plane" in c.value]
    assert parse_qs(urlsplit(link).query)["lesson"] == ["learning_rate"]
