"""The 2D page's live view: metrics, the decision boundary (and the picked
neuron's map) beside the curves, then the views inside the network that
are on. Drawn from a snapshot by live.show's fragment."""

from __future__ import annotations

import streamlit as st

from playground.dense.worker import Snapshot, Worker
from playground.ui import click_points, inside, live
from playground.ui.live import CONFIG
from playground.ui.text import t


def draw(snap: Snapshot, worker: Worker) -> None:
    live.dense_metrics(snap)
    neuron = inside.selected_map(snap)
    if neuron is None:
        left, right = st.columns([5, 4])
    else:
        left, middle, right = st.columns([5, 4, 4])
        middle.plotly_chart(neuron, key="chart.neuron", config=CONFIG)
    spec = snap.spec
    click_points.boundary_chart(left, live.boundary(snap, "x1", "x2", spec.show_test,
                                                    spec.discretize), spec, CONFIG)
    live.curves(snap, (right, right), "", accuracy=spec.problem != "regression")
    if "network" in worker.views:
        st.subheader(t("inside.network_title"), divider="gray")
        inside.draw_network(snap, worker)
    if "stats" in worker.views:
        st.subheader(t("inside.stats_title"), divider="gray")
        inside.draw_stats(snap)

