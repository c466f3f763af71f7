"""Adding training points by clicking, under AppTest: the control in the data
group, points from a link, a click (AppTest cannot click a Plotly chart: the
test does what the chart's callback does with one), the clear button, and
the training process that trains on the points. The browser test clicks for
real (tests/browser/test_click_points_browser.py)."""

from __future__ import annotations

import json

from pagetools import run, wait_for
from streamlit.testing.v1 import AppTest

from playground.core.i18n import translate
from playground.dense.spec import MAX_POINTS, Point
from playground.ui import click_points


def count_caption(at: AppTest) -> str:
    (text,) = [c.value for c in at.caption if translate("click.count", n="", added="")[:10]
               in c.value]
    return text


def charts(at: AppTest) -> dict[str, dict]:
    """The page's Plotly figures by key, and whether each reports selections."""
    return {e.proto.id.rsplit("-", 1)[-1]: {**json.loads(e.proto.spec),
                                            "selects": bool(e.proto.selection_mode)}
            for e in at.get("plotly_chart")}


def trace_names(at: AppTest, key: str = click_points.CHART_KEY) -> list[str]:
    return [trace.get("name") for trace in charts(at)[key]["data"]]


def test_a_classification_set_offers_the_classes_and_no_click_layer_until_one_is_chosen(at):
    at.query_params["dataset"] = "blobs"
    run(at)
    control = at.segmented_control(key=click_points.CLASS_KEY)
    assert control.options == [":orange[●] 0", ":blue[●] 1", ":green[●] 2"]
    assert control.value is None
    assert click_points.CLICK_CHART_KEY not in charts(at) and "click" not in trace_names(at)
    assert count_caption(at) == translate("click.count", n="200", added=0)
    control.set_value(2)
    run(at)
    # Over the boundary, a figure of its own takes clicks: the invisible grid,
    # the data points, no surface image.
    over = charts(at)[click_points.CLICK_CHART_KEY]
    assert over["selects"] and not charts(at)[click_points.CHART_KEY]["selects"]
    assert "click" in trace_names(at, click_points.CLICK_CHART_KEY)
    assert "image" not in [trace["type"] for trace in over["data"]]
    assert "image" in [trace["type"] for trace in charts(at)[click_points.CHART_KEY]["data"]]
    assert over["layout"]["margin"] == charts(at)[click_points.CHART_KEY]["layout"]["margin"]


def test_a_regression_set_says_clicks_add_nothing(at):
    at.query_params["dataset"] = "plane"
    run(at)
    assert not at.get("segmented_control") or all(
        s.key != click_points.CLASS_KEY for s in at.get("segmented_control"))
    assert translate("click.regression") in [c.value for c in at.caption]


def test_points_from_a_link_train_and_are_ringed(at, worker_registry):
    at.query_params.update({"dataset": "circle", "points": "1:1:0,-2:3.5:1"})
    run(at)
    spec = at.session_state["spec"]
    assert spec.points == (Point(1.0, 1.0, 0), Point(-2.0, 3.5, 1))
    assert count_caption(at) == translate("click.count", n="202", added=2)
    worker = worker_registry[0]
    wait_for(at, lambda: worker.snapshot().data is not None
             and len(worker.snapshot().data.x_train) == 202)
    assert "added" in trace_names(at)
    assert at.query_params["points"] == "1:1:0,-2:3.5:1"


def click(at: AppTest, x: float, y: float) -> None:
    """What the chart's callback does with a click at (x, y). AppTest cannot
    click a Plotly chart, nor set its selection."""
    added = click_points.with_click(at.session_state[click_points.POINTS_KEY], [{"x": x, "y": y}],
                                    at.session_state[click_points.CLASS_KEY])
    assert added is not None
    at.session_state[click_points.POINTS_KEY] = added


def test_a_click_adds_nothing_without_a_class_or_beyond_the_cap():
    one = ((1.0, 1.0, 0),)
    assert click_points.with_click(one, [{"x": 0, "y": 0}], None) is None
    assert click_points.with_click(one, [], 1) is None
    assert click_points.with_click([(0.0, 0.0, 0)] * MAX_POINTS, [{"x": 1, "y": 1}], 1) is None
    assert click_points.with_click(one, [{"x": 9, "y": -0.123}], 1)[-1] == Point(6.0, -0.12, 1)


def test_a_click_adds_a_point_of_the_chosen_class_and_the_run_goes_on(at, worker_registry):
    at.query_params.update({"dataset": "xor", "lr": "0.01"})
    run(at)
    worker = worker_registry[0]
    at.button(key="cmd.step").click()
    run(at)
    history = worker.snapshot().history  # a new run would start a new one
    at.segmented_control(key=click_points.CLASS_KEY).set_value(1)
    run(at)
    click(at, 2.3456, -1.0)
    run(at)
    spec = at.session_state["spec"]
    assert spec.points == (Point(2.35, -1.0, 1),)
    assert at.query_params["points"] == "2.35:-1:1"
    assert count_caption(at) == translate("click.count", n="201", added=1)
    wait_for(at, lambda: len(worker.snapshot().data.x_train) == 201)
    snap = worker.snapshot()
    assert snap.history is history and snap.epoch >= 1  # the same run, trained on
    assert snap.data.y_train[-1] == 1


def test_the_clear_button_removes_the_added_points(at):
    at.query_params.update({"dataset": "moons", "points": "1:1:0"})
    run(at)
    assert not at.button(key="w.clear_points").disabled
    at.button(key="w.clear_points").click()
    run(at)
    assert at.session_state["spec"].points == () and "points" not in at.query_params
    assert at.button(key="w.clear_points").disabled


def test_a_switch_to_a_set_with_fewer_classes_drops_their_points(at):
    at.query_params.update({"dataset": "blobs", "n_classes": "4", "points": "1:1:3,2:2:0"})
    run(at)
    at.selectbox(key="w.dataset").set_value("circle")
    run(at)
    assert at.session_state["spec"].points == (Point(2.0, 2.0, 0),)
    assert translate("click.dropped", n=1) in [i.value for i in at.info]
