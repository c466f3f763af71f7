"""What the charts say on the pages themselves: the boundary's key for its
classes and test points, feature-map titles that count the channels drawn,
and parameter counts with thousands separators."""

from __future__ import annotations

import json

from pagetools import run, wait_for
from streamlit.testing.v1 import AppTest

from playground.core.i18n import translate


def figure(at: AppTest, key: str) -> dict | None:
    """The plotly figure (as JSON) of the chart whose key ends with `key`."""
    found = [json.loads(c.proto.spec) for c in at.get("plotly_chart") if c.proto.id.endswith(key)]
    return found[0] if found else None


def test_the_boundary_keys_its_classes_and_test_points(open_page):
    at = open_page()
    at.query_params.update({"dataset": "blobs", "show_test": "true"})
    run(at)
    boundary = figure(at, "chart.boundary")
    (key,) = boundary["layout"]["annotations"]
    assert translate("chart.test") in key["text"]
    classes = at.session_state["spec"].n_classes
    for c in range(classes):
        assert f"{translate('chart.class')} {c}" in key["text"]


def test_feature_maps_say_how_many_channels_are_drawn(open_page):
    at = open_page("pages/images.py")
    at.query_params["layers"] = "conv:32:3:1:valid:relu,flatten,dense:16:relu"
    run(at)
    summary = [d for d in at.dataframe if "params" in d.value.columns]
    assert summary and '"localized"' in summary[0].proto.columns  # 4,640, not 4640
    at.button(key="cmd.play").click()
    run(at)
    wait_for(at, lambda: figure(at, "img.chart.fmaps.0") is not None, timeout=60)
    title = figure(at, "img.chart.fmaps.0")["layout"]["title"]["text"]
    assert translate("img.chart.fmaps", n=1, shape="32 × 6 × 6", shown=16, channels=32) == title
    at.button(key="cmd.pause").click()
    run(at)
