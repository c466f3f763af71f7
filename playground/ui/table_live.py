"""The table page's live part: metrics, the data seen through the model
(the boundary for two input columns, else a PCA projection), the curves and
the evaluation on the test rows. Drawn from snapshots by a polling
fragment; never trains."""

from __future__ import annotations

import numpy as np
import streamlit as st

from playground.charts.common import common as charts
from playground.charts.common import images as image_charts
from playground.charts.common import tables as table_charts
from playground.core import metrics
from playground.dense.table_eval import project, regression_scores
from playground.dense.table_runner import TableJob
from playground.dense.worker import Snapshot, Worker
from playground.ui.live import POLL_SECONDS, accuracy_score, metric_row
from playground.ui.text import t

CONFIG = {"displaylogo": False}
PROJECTION_KEY = "t.projection"


def live_view(worker: Worker, running: bool) -> None:
    @st.fragment(run_every=POLL_SECONDS if running else None)
    def _live() -> None:
        snap = worker.snapshot()
        if (snap.status == "running") != running:
            st.rerun()  # training stopped itself (or started): switch polling, redraw buttons
        job = worker.spec
        # Right after a change the snapshot may still be the old run's.
        draw(snap, job if job.spec == snap.spec else None)

    _live()


def _actual_units(job: TableJob, values: np.ndarray) -> np.ndarray:
    """Regression values from the trainer's standardised units to the target's."""
    return values * job.y_std + job.y_mean


def draw(snap: Snapshot, job: TableJob | None) -> None:
    frame = snap.frame()
    classification = snap.spec.problem != "regression"
    pred = snap.predictions
    if classification:
        score = accuracy_score(snap)
    else:
        scores = None
        if job is not None and pred is not None and np.isfinite(pred["test"]).all():
            scores = regression_scores(_actual_units(job, snap.data.y_test),
                                       _actual_units(job, pred["test"]))
        score = (t("tbl.metric.r2"), "–" if scores is None else f"{scores['r2']:.3f}",
                 t("tbl.help.r2"))
    metric_row(snap, score)
    if job is None:
        return
    st.caption(t("tbl.sizes", train=f"{len(snap.data.y_train):,}",
                 test=f"{len(snap.data.y_test):,}", inputs=job.n_inputs))

    left, right = st.columns([5, 4])
    with left:
        if snap.grid is not None:
            st.plotly_chart(_boundary(snap, job), key="tbl.chart.boundary", config=CONFIG)
        elif pred is not None:
            st.plotly_chart(_projection(snap, job), key="tbl.chart.projection", config=CONFIG)
    with right:
        axis = t("chart.epoch")
        st.plotly_chart(charts.curves_figure(
            frame, {"train_loss": t("chart.train"), "test_loss": t("chart.test")},
            t("chart.loss_title"), t("chart.loss"), axis), key="tbl.chart.loss", config=CONFIG)
        if classification:
            st.plotly_chart(charts.curves_figure(
                frame, {"train_acc": t("chart.train"), "test_acc": t("chart.test")},
                t("chart.acc_title"), t("chart.accuracy"), axis, y_range=(0, 1.02)),
                key="tbl.chart.acc", config=CONFIG)

    if pred is None or snap.status == "diverged":
        return
    st.subheader(t("tbl.evaluation"), divider="gray")
    if classification:
        _classification_report(snap, job)
    else:
        _regression_report(snap, job)


def _boundary(snap: Snapshot, job: TableJob):
    data, spec = snap.data, snap.spec
    labels = {
        "title": t(f"chart.boundary_title.{spec.problem}"),
        "x": t("tbl.axis_standardised", column=job.feature_names[0]),
        "y": t("tbl.axis_standardised", column=job.feature_names[1]),
        "value": t("chart.value"), "class": t("chart.class"),
        "train": t("chart.train"), "test": t("chart.test"),
    }
    points = [(data.x_train, data.y_train, "train"), (data.x_test, data.y_test, "test")]
    return charts.boundary_figure(snap.grid, points, spec.problem, False, labels)


def _projection(snap: Snapshot, job: TableJob):
    """Every row (train, then test) on the first two principal components of
    the inputs. The projection depends only on the data: computed once per run."""
    data = snap.data
    cached = st.session_state.get(PROJECTION_KEY)
    if cached is None or cached[0] is not data:
        coords, ratio = project(np.concatenate([data.x_train, data.x_test]), snap.spec.seed)
        cached = (data, coords, ratio)
        st.session_state[PROJECTION_KEY] = cached
    _, coords, ratio = cached
    pred = np.concatenate([snap.predictions["train"], snap.predictions["test"]])
    actual = np.concatenate([data.y_train, data.y_test])
    if snap.spec.problem == "regression":
        pred, actual = _actual_units(job, pred), _actual_units(job, actual)
    labels = {
        "title": t("tbl.chart.projection"),
        "x": t("tbl.axis_pc", k=1, share=f"{ratio[0]:.0%}"),
        "y": t("tbl.axis_pc", k=2, share=f"{ratio[1]:.0%}"),
        "right": t("tbl.chart.right"), "wrong": t("tbl.chart.wrong"),
        "predicted": t("tbl.chart.predicted"), "actual": t("tbl.chart.actual"),
    }
    return table_charts.projection_figure(coords, pred, actual, job.class_names, labels)


def _classification_report(snap: Snapshot, job: TableJob) -> None:
    classes = list(job.class_names)
    cm = metrics.confusion_matrix(snap.data.y_test, snap.predictions["test"], len(classes))
    left, right = st.columns(2)
    left.plotly_chart(image_charts.confusion_figure(cm, classes, {
        "title": t("tbl.chart.confusion"), "true": t("img.chart.true"),
        "predicted": t("img.chart.predicted"), "count": t("img.chart.count"),
        "share": t("img.chart.share")}), key="tbl.chart.confusion", config=CONFIG)
    labels = {c: t(f"img.report.{c}") for c in ("class", "precision", "recall", "f1")}
    labels["support"] = t("tbl.report.support")
    table = image_charts.report_table(metrics.per_class_report(cm, classes), labels)
    right.dataframe(table, hide_index=True, key="tbl.report", width="stretch")
    right.caption(t("tbl.report_hint"))


def _regression_report(snap: Snapshot, job: TableJob) -> None:
    actual = _actual_units(job, snap.data.y_test)
    predicted = _actual_units(job, snap.predictions["test"])
    if not np.isfinite(predicted).all():
        return
    scores = regression_scores(actual, predicted)
    left, right = st.columns([3, 2])
    left.plotly_chart(table_charts.regression_figure(actual, predicted, {
        "title": t("tbl.chart.regression", column=snap.spec.target),
        "actual": t("tbl.chart.actual"), "predicted": t("tbl.chart.predicted"),
        "ideal": t("tbl.chart.ideal")}), key="tbl.chart.regression", config=CONFIG)
    right.metric(t("tbl.metric.mae"), f"{scores['mae']:.4g}", help=t("tbl.help.mae"))
    right.metric(t("tbl.metric.rmse"), f"{scores['rmse']:.4g}", help=t("tbl.help.rmse"))
