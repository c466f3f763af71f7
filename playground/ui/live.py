"""The live part of the page: the control bar and a fragment that polls the
worker's latest snapshot and draws it. The fragment never trains and never
touches the model; it only reads snapshots.
"""

from __future__ import annotations

import math

import streamlit as st

from playground.charts.common import common as charts
from playground.dense.worker import Snapshot, Worker
from playground.ui import inside
from playground.ui.text import t

POLL_SECONDS = 0.5  # how often a running session redraws
STOPPED = ("diverged", "error", "finished")  # states in which Play and Step do nothing


def _after(worker: Worker, command: str) -> None:
    getattr(worker, command)()
    worker.wait_idle(timeout=2.0)  # so this rerun already draws the new state


def control_bar(worker: Worker, status: str) -> None:
    """Play/Pause, Step and Reset. Buttons live outside the fragment so a
    click reruns the whole page and the fragment's polling follows the state."""
    play, step, reset, _ = st.columns([1, 1, 1, 3])
    if status == "running":
        play.button(t("button.pause"), key="cmd.pause", icon=":material/pause:", type="primary",
                    on_click=_after, args=(worker, "pause"), width="stretch")
    else:
        play.button(t("button.play"), key="cmd.play", icon=":material/play_arrow:",
                    type="primary", on_click=_after, args=(worker, "play"), width="stretch",
                    disabled=status in STOPPED, help=t("help.play"))
    step.button(t("button.step"), key="cmd.step", icon=":material/skip_next:",
                on_click=_after, args=(worker, "step"), width="stretch",
                disabled=status in STOPPED, help=t("help.step"))
    reset.button(t("button.reset"), key="cmd.reset", icon=":material/restart_alt:",
                 on_click=_after, args=(worker, "reset"), width="stretch", help=t("help.reset"))


def live_view(worker: Worker, running: bool, views: set[str]) -> None:
    @st.fragment(run_every=POLL_SECONDS if running else None)
    def _live() -> None:
        snap = worker.snapshot()
        if (snap.status == "running") != running:
            st.rerun()  # training paused itself (or started): switch polling, redraw buttons
        draw(snap)
        if "network" in views:
            st.subheader(t("inside.network_title"), divider="gray")
            inside.draw_network(snap, worker)
        if "stats" in views:
            st.subheader(t("inside.stats_title"), divider="gray")
            inside.draw_stats(snap)

    _live()


def fmt(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    # Fixed width while it changes; losses near zero keep their significant digits.
    return f"{value:.4f}" if abs(value) >= 0.001 else f"{value:.2e}"


def metric_row(snap: Snapshot, score: tuple[str, str, str | None] | None) -> None:
    """Epoch, both losses, an optional score (label, value, help), speed and
    device, then why training stopped itself, if it did."""
    last = snap.frame().iloc[-1]
    cols = st.columns(5 if score is None else 6)
    cols[0].metric(t("metric.epoch"), f"{snap.epoch:,}")
    cols[1].metric(t("metric.train_loss"), fmt(last["train_loss"]))
    cols[2].metric(t("metric.test_loss"), fmt(last["test_loss"]))
    if score is not None:
        label, value, help_text = score
        cols[3].metric(label, value, help=help_text)
    speed = f"{snap.steps_per_sec:,.0f}" if snap.status == "running" else "–"
    cols[-2].metric(t("metric.speed"), speed)
    cols[-1].metric(t("metric.device"), snap.device)
    show_status(snap)


def accuracy_score(snap: Snapshot) -> tuple[str, str, None]:
    """The latest test accuracy, as metric_row shows it."""
    return t("metric.test_acc"), f"{snap.frame().iloc[-1]['test_acc']:.1%}", None


def draw(snap: Snapshot) -> None:
    frame = snap.frame()
    classification = snap.spec.problem != "regression"
    metric_row(snap, accuracy_score(snap) if classification else None)

    neuron = inside.selected_map(snap)
    if neuron is None:
        left, right = st.columns([5, 4])
    else:
        left, middle, right = st.columns([5, 4, 4])
        middle.plotly_chart(neuron, key="chart.neuron", config={"displaylogo": False})
    with left:
        st.plotly_chart(_boundary(snap), key="chart.boundary", config={"displaylogo": False})
    with right:
        axis = t("chart.epoch")
        st.plotly_chart(charts.curves_figure(
            frame, {"train_loss": t("chart.train"), "test_loss": t("chart.test")},
            t("chart.loss_title"), t("chart.loss"), axis), key="chart.loss",
            config={"displaylogo": False})
        if classification:
            st.plotly_chart(charts.curves_figure(
                frame, {"train_acc": t("chart.train"), "test_acc": t("chart.test")},
                t("chart.acc_title"), t("chart.accuracy"), axis, y_range=(0, 1.02)),
                key="chart.acc", config={"displaylogo": False})


def show_status(snap: Snapshot) -> None:
    """Why training stopped itself, if it did, and what to do about it."""
    if snap.status == "diverged":
        st.error(t("status.diverged", reason=t(f"status.reason.{snap.message}"),
                   lr=f"{snap.spec.lr:g}"), icon=":material/warning:")
    elif snap.status == "error":
        print(snap.message)  # server log keeps the details; the page gets a plain message
        st.error(t("status.error"), icon=":material/error:")


def _boundary(snap: Snapshot):
    data, spec = snap.data, snap.spec
    points = [(data.x_train, data.y_train, "train")]
    if spec.show_test:
        points.append((data.x_test, data.y_test, "test"))
    labels = {
        "title": t(f"chart.boundary_title.{spec.problem}"), "x": "x1", "y": "x2",
        "value": t("chart.value"), "class": t("chart.class"),
        "train": t("chart.train"), "test": t("chart.test"),
    }
    return charts.boundary_figure(snap.grid, points, spec.problem, spec.discretize, labels)
