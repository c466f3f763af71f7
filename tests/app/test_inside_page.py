"""The "Look inside the network" part of the playground page under AppTest:
the two views (network diagram, layer statistics) switched on and off, and
the edit form changing a bias in the real training process.

Same setup as test_playground_page.py: every test starts and ends with
`st.cache_resource.clear()` (which stops the session's worker), and the
`worker_registry` fixture checks that no training process outlives the test.
The page is only looked at through what it draws (captions, chart specs):
the worker is reached through the page, never directly.
"""

from __future__ import annotations

import json

import pytest
from pagetools import run
from streamlit.testing.v1 import AppTest

from playground.core.i18n import translate

SUBMIT = "FormSubmitter:inside.edit-Apply"  # st.form_submit_button's key in form "inside.edit"
STAT_COLUMNS = ("grad_norm", "weight_norm", "act_mean_abs", "inactive_share")


# ---- what the page shows -------------------------------------------------------------------
def subheaders(at: AppTest) -> list[str]:
    return [s.value for s in at.subheader]


def captions(at: AppTest) -> list[str]:
    return [c.value for c in at.caption]


def charts(at: AppTest) -> dict[str, dict]:
    """Every Plotly chart on the page by its key ("chart.network", ...)."""
    out = {}
    for element in at.get("plotly_chart"):
        key = element.proto.id.rsplit("-", 1)[-1]  # "$$ID-<hash>-chart.network"
        out[key] = json.loads(element.proto.spec)
    return out


def title(spec: dict) -> str | None:
    return (spec["layout"].get("title") or {}).get("text")


def traces_with(spec: dict, kind: str) -> list[dict]:
    """The traces whose customdata rows start with `kind` ("n", "w" or "b")."""
    return [
        trace for trace in spec["data"]
        if isinstance(trace.get("customdata"), list) and trace["customdata"]
        and trace["customdata"][0][0] == kind
    ]


def network_chart(at: AppTest) -> dict | None:
    """The diagram: the one chart with neuron (node) customdata."""
    found = [spec for spec in charts(at).values() if traces_with(spec, "n")]
    assert len(found) <= 1, "more than one chart with neuron markers"
    return found[0] if found else None


def bias_hover(spec: dict, layer: int, neuron: int) -> str:
    """The diagram's hover text of one bias marker (biases[layer][neuron])."""
    (trace,) = traces_with(spec, "b")
    for custom, text in zip(trace["customdata"], trace["text"]):
        if custom == ["b", layer, neuron]:
            return text
    raise AssertionError(f"no bias marker for layer {layer}, neuron {neuron}")


def current_value(at: AppTest) -> str:
    """The number in "Value in the model now: ..." under the edit form."""
    prefix = translate("inside.current", value="")
    found = [c[len(prefix):] for c in captions(at) if c.startswith(prefix)]
    assert len(found) == 1, captions(at)
    return found[0]


def set_views(at: AppTest, views: list[str]) -> None:
    at.segmented_control(key="inside.views").set_value(views)
    run(at)


def fill_edit_form(at: AppTest, kind: str, layer: int, row: int, col: int, value: float):
    at.selectbox(key="inside.kind").set_value(kind)
    at.selectbox(key="inside.layer").set_value(layer)
    at.number_input(key="inside.row").set_value(row)
    at.number_input(key="inside.col").set_value(col)
    at.number_input(key="inside.value").set_value(value)
    at.button(key=SUBMIT).click()
    run(at)


# ---- views ---------------------------------------------------------------------------------
def test_the_network_diagram_is_on_by_default(at):
    run(at)
    assert at.segmented_control(key="inside.views").value == ["network"]
    assert translate("inside.network_title") in subheaders(at)
    assert translate("inside.stats_title") not in subheaders(at)
    spec = network_chart(at)
    assert spec is not None, list(charts(at))
    assert "chart.network" in charts(at)
    # Default network 2 -> 8 -> 8 -> 1: a marker per neuron, a bias per non-input neuron.
    (nodes,) = traces_with(spec, "n")
    assert len(nodes["customdata"]) == 2 + 8 + 8 + 1
    (biases,) = traces_with(spec, "b")
    assert len(biases["customdata"]) == 8 + 8 + 1
    assert traces_with(spec, "w"), "no edge-hover markers"
    # The edit form is there, with a readout of the parameter it points at.
    assert at.button(key=SUBMIT).label == translate("inside.apply")
    float(current_value(at))
    assert translate("inside.pick_hint") in captions(at)
    assert not at.warning and not at.error


def test_layer_statistics_after_a_step_and_both_views_off(at):
    run(at)
    set_views(at, ["network", "stats"])
    assert translate("inside.stats_title") in subheaders(at)
    at.button(key="cmd.step").click()
    run(at)
    shown = charts(at)
    # The default network (tanh layers) has all four: gradients, weights,
    # activations and the share of saturated units.
    for column in STAT_COLUMNS:
        assert f"chart.stat.{column}" in shown, list(shown)
        assert title(shown[f"chart.stat.{column}"]) == translate(f"inside.stat.{column}")
    assert title(shown["chart.flow"]) == translate("inside.flow_title")
    assert title(shown["chart.hist"]).startswith(translate("inside.hist_title", epoch=""))
    assert translate("inside.flow_hint") in captions(at)
    assert network_chart(at) is not None  # the diagram stays on beside the statistics

    set_views(at, [])
    assert at.segmented_control(key="inside.views").value == []
    assert translate("inside.network_title") not in subheaders(at)
    assert translate("inside.stats_title") not in subheaders(at)
    left = charts(at)
    assert network_chart(at) is None
    assert not {"chart.network", "chart.flow", "chart.hist"} & set(left), list(left)
    assert not [k for k in left if k.startswith("chart.stat.")], list(left)
    assert "chart.boundary" in left  # the rest of the page is still drawn
    assert not at.form_submit_button, "the edit form should go with the diagram"


# ---- editing -------------------------------------------------------------------------------
def test_a_submit_handled_in_a_full_run_does_not_raise(at):
    """The edit form's submit may reach the page in a full-app run: always in
    AppTest, and in the browser when it coalesces with a pending full rerun
    (a click on Pause just before, or the fragment's own st.rerun() when
    training stops itself). Streamlit refuses st.rerun(scope="fragment") there,
    so the edit panel must rerun the app instead."""
    run(at)
    at.selectbox(key="inside.kind").set_value("b")
    at.number_input(key="inside.value").set_value(0.5)
    at.button(key=SUBMIT).click()
    run(at)
    assert current_value(at) == "0.5000"


def test_editing_a_bias_changes_the_model(at):
    run(at)
    before = network_chart(at)
    old = bias_hover(before, 0, 0)
    assert "1.2345" not in old

    fill_edit_form(at, "b", 0, 1, 1, 1.2345)
    assert not at.warning, [w.value for w in at.warning]
    assert current_value(at) == "1.2345"
    # The diagram is drawn from the worker's next snapshot: its bias marker
    # (hover text and colour value) shows the new bias.
    after = network_chart(at)
    hover = bias_hover(after, 0, 0)  # 4 significant digits of the stored (float32) value
    prefix = translate("inside.node", name=f"1 ({translate('inside.layer', i=1, act='Tanh')})",
                       bias="")
    assert hover.startswith(prefix), hover
    assert float(hover[len(prefix):]) == pytest.approx(1.2345, abs=6e-4), hover
    (markers,) = traces_with(after, "b")
    index = markers["customdata"].index(["b", 0, 0])
    assert markers["marker"]["color"][index] == pytest.approx(1.2345, abs=1e-6)
    # Nothing else moved: only that one bias changed.
    (old_markers,) = traces_with(before, "b")
    changed = [
        c for c, a, b in zip(markers["customdata"], old_markers["marker"]["color"],
                             markers["marker"]["color"]) if a != b
    ]
    assert changed == [["b", 0, 0]]

    # The form now points at that bias, and it survives a plain rerun.
    assert at.selectbox(key="inside.kind").value == "b"
    assert at.number_input(key="inside.value").value == pytest.approx(1.2345, abs=1e-6)
    run(at)
    assert current_value(at) == "1.2345"


def test_an_edit_outside_the_layer_is_refused(at):
    run(at)
    before = network_chart(at)
    fill_edit_form(at, "b", 0, 64, 1, 5.0)
    # The first hidden layer: 8 neurons fed by the 2 inputs.
    assert [w.value for w in at.warning] == [translate("inside.no_such", rows=8, cols=2)]
    after = network_chart(at)
    for kind in ("b", "w"):
        (old,), (new,) = traces_with(before, kind), traces_with(after, kind)
        assert old["text"] == new["text"], f"{kind} changed"
    assert not [c for c in captions(at) if c.startswith(translate("inside.current", value=""))]
