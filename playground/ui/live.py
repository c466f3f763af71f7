"""The live part every task page shares: the control bar, and a fragment that
polls the worker's latest snapshot and hands it to the page's `draw`; and the
metrics, status, curves and classifier evaluation the pages draw from it.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import streamlit as st

from playground.charts import common as charts
from playground.charts.boundary import boundary_figure
from playground.charts.decimate import LIVE_POINTS, HistoryArrays
from playground.core import metrics
from playground.core.loss_watch import WINDOW as WATCH_WINDOW
from playground.core.worker import BaseWorker as Worker
from playground.ui import visibility
from playground.ui.pace import status_line
from playground.ui.text import t

POLL_SECONDS = 0.5  # how often a running session redraws
STOPPED = ("diverged", "error", "finished")  # states in which Play and Step do nothing
CONFIG = {"displaylogo": False}
HISTORY_KEY = "live.history"  # the session's HistoryArrays, of the run it last drew
PAUSED_POINTS = 20_000  # per curve once training stops: drawn once, zoom shows detail


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


def show(worker: Worker, draw: Callable) -> None:
    """The control bar, then `draw(snapshot, worker)` in a fragment that
    redraws every POLL_SECONDS while training runs."""
    worker.set_hidden(visibility.tab_hidden())  # a hidden tab pauses, and doesn't poll
    status = worker.snapshot().status
    control_bar(worker, status)
    running = status == "running"

    @st.fragment(run_every=POLL_SECONDS if running else None)
    def _live() -> None:
        snap = worker.snapshot()
        if (snap.status == "running") != running:
            st.rerun()  # training paused itself (or started): switch polling, redraw buttons
        status_line(worker, snap)  # how fast it trains and why, or its place in the queue
        draw(snap, worker)

    _live()


def fmt(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    # Fixed width while it changes; losses near zero keep their significant digits.
    return f"{value:.4f}" if abs(value) >= 0.001 else f"{value:.2e}"


def metric_row(cells: list[tuple[str, str, str | None]]) -> None:
    """One metric per (label, value, help), side by side."""
    for box, (label, value, help_text) in zip(st.columns(len(cells)), cells):
        box.metric(label, value, help=help_text)


def dense_metrics(snap, score: tuple[str, str, str | None] | None = None) -> None:
    """Epoch, both losses, a score (label, value, help; a classifier's test
    accuracy by default), speed and device, then why training stopped
    itself, if it did."""
    last = {c: float(a[-1]) for c, a in history_arrays(snap).items()}  # None -> NaN
    if score is None and snap.spec.problem != "regression":
        score = t("metric.test_acc"), f"{last['test_acc']:.1%}", None
    speed = f"{snap.steps_per_sec:,.0f}" if snap.status == "running" else "–"
    metric_row([(t("metric.epoch"), f"{snap.epoch:,}", None),
                (t("metric.train_loss"), fmt(last["train_loss"]), None),
                (t("metric.test_loss"), fmt(last["test_loss"]), None),
                *([score] if score else []),
                (t("metric.speed"), speed, None), (t("metric.device"), snap.device, None)])
    show_status(snap)
    if snap.status == "finished" and snap.message == "early_stop":
        patience = snap.spec.patience
        st.success(t("status.early_stop", epoch=f"{snap.epoch:,}", patience=patience,
                     best=f"{snap.epoch - patience:,}"), icon=":material/flag:")


def show_status(snap) -> None:
    """Why training stopped itself, if it did, and what to do about it."""
    if snap.status == "diverged":
        st.error(t("status.diverged", reason=t(f"status.reason.{snap.message}"),
                   lr=f"{snap.spec.lr:g}"), icon=":material/warning:")
    elif snap.status == "error":
        print(snap.message)  # server log keeps the details; the page gets a plain message
        st.error(t("status.error"), icon=":material/error:")
    warning = getattr(snap, "warning", None)  # the learning rate looks too big
    if warning is not None and snap.status != "diverged":
        st.warning(lr_warning_text(warning), icon=":material/trending_up:")


def lr_warning_text(w) -> str:
    """A core.loss_watch.LossWarning as a sentence: why, and what to try."""
    return t(f"status.lr_{w.kind}", n=WATCH_WINDOW, loss=f"{w.loss:.3g}", best=f"{w.best:.3g}",
             start=f"{w.start:.3g}", low=f"{w.low:.3g}", high=f"{w.high:.3g}", lr=f"{w.lr:g}",
             optimizer=t(f"optimizer.{w.optimizer}"), suggest=f"{w.suggest:g}")


def history_arrays(snap) -> dict[str, np.ndarray]:
    """The snapshot's history as numpy columns. Kept in the session and
    extended by the rows added since the last redraw: converting the whole
    history on every redraw cost ~0.1 s at 100,000 epochs."""
    arrays = st.session_state.get(HISTORY_KEY)
    if arrays is None or arrays.source is not snap.history.cols:  # a new run
        arrays = st.session_state[HISTORY_KEY] = HistoryArrays(snap.history.cols)
    return arrays.read(snap.n)


def curves(snap, boxes: tuple, prefix: str, held_out: str = "test",
           name: str | None = None, accuracy: bool = True) -> None:
    """Loss, then (for a classifier) accuracy, of training and of the
    `held_out` part (legend `name`) per epoch, in boxes[0] and boxes[1].
    While training, each curve is cut to about a point per pixel; stopped,
    it keeps up to PAUSED_POINTS (the CSV export has every epoch). After
    thousands of epochs the epoch axis turns log-scale (charts.log_epochs),
    so the early drop stays in sight."""
    frame = history_arrays(snap)
    points = LIVE_POINTS if snap.status == "running" else PAUSED_POINTS
    axis, train, name = t("chart.epoch"), t("chart.train"), name or t("chart.test")
    log = {"log_x": charts.log_epochs(frame["epoch"]), "log_x_title": t("chart.epoch_log")}
    boxes[0].plotly_chart(charts.curves_figure(
        frame, {"train_loss": train, f"{held_out}_loss": name},
        t("chart.loss_title"), t("chart.loss"), axis, max_points=points, **log),
        key=f"{prefix}chart.loss", config=CONFIG)
    if accuracy:
        boxes[1].plotly_chart(charts.curves_figure(
            frame, {"train_acc": train, f"{held_out}_acc": name},
            t("chart.acc_title"), t("chart.accuracy"), axis, y_range=(0, 1.02),
            max_points=points, **log), key=f"{prefix}chart.acc", config=CONFIG)


def boundary(snap, x: str, y: str, test: bool, discretize: bool):
    """The model's output over the plane of two inputs (axis titles x, y)
    with the training points on top, and the test points if `test`."""
    data, problem = snap.data, snap.spec.problem
    points = [(data.x_train, data.y_train, "train")]
    if test:
        points.append((data.x_test, data.y_test, "test"))
    labels = {
        "title": t(f"chart.boundary_title.{problem}"), "x": x, "y": y,
        "value": t("chart.value"), "class": t("chart.class"),
        "train": t("chart.train"), "test": t("chart.test"),
    }
    return boundary_figure(snap.grid, points, problem, discretize, labels)


def class_report(cm: np.ndarray, classes: list[str], prefix: str, title: str, support: str,
                 hint: str, decimals: int | None = None) -> None:
    """A classifier's test set: the confusion matrix beside the per-class
    report (scores rounded to `decimals`, if given) and its hint."""
    left, right = st.columns(2)
    left.plotly_chart(charts.confusion_figure(cm, classes, {
        "title": title, "true": t("img.chart.true"), "predicted": t("img.chart.predicted"),
        "count": t("img.chart.count"), "share": t("img.chart.share")}),
        key=f"{prefix}chart.confusion", config=CONFIG)
    labels = {c: t(f"img.report.{c}") for c in ("class", "precision", "recall", "f1")}
    table = charts.report_table(metrics.per_class_report(cm, classes),
                                {**labels, "support": support}, decimals)
    right.dataframe(table, hide_index=True, key=f"{prefix}report", width="stretch")
    right.caption(hint)
