"""The table page's live view: metrics, the data seen through the model
(the boundary for two input columns, else a PCA projection), the curves and
the evaluation on the test rows. Drawn from a snapshot by live.show's
fragment; never trains."""

from __future__ import annotations

import numpy as np
import streamlit as st

from playground.charts import tables as table_charts
from playground.core import metrics
from playground.dense.runner import TableJob
from playground.dense.table_eval import project, regression_scores
from playground.dense.worker import Snapshot, TableWorker
from playground.ui import live
from playground.ui.live import CONFIG
from playground.ui.text import t

PROJECTION_KEY = "t.projection"


def _actual_units(job: TableJob, values: np.ndarray) -> np.ndarray:
    """Regression values from the trainer's standardised units to the target's."""
    return values * job.y_std + job.y_mean


def draw(snap: Snapshot, worker: TableWorker) -> None:
    job = worker.spec  # right after a change the snapshot may still be the old run's
    job = job if job.spec == snap.spec else None
    classification = snap.spec.problem != "regression"
    pred = snap.predictions
    fit = None  # a regression's test rows: (actual, predicted, scores), in the target's units
    if not classification and job is not None and pred is not None:
        actual, predicted = _actual_units(job, snap.data.y_test), _actual_units(job, pred["test"])
        if np.isfinite(predicted).all():
            fit = actual, predicted, regression_scores(actual, predicted)
    score = None if classification else (  # None: a classifier's accuracy
        t("tbl.metric.r2"), "–" if fit is None else f"{fit[2]['r2']:.3f}", t("tbl.help.r2"))
    live.dense_metrics(snap, score)
    if job is None:
        return
    st.caption(t("tbl.sizes", train=f"{len(snap.data.y_train):,}",
                 test=f"{len(snap.data.y_test):,}", inputs=job.n_inputs))

    left, right = st.columns([5, 4])
    if snap.grid is not None:
        axes = [t("tbl.axis_standardised", column=name) for name in job.feature_names[:2]]
        left.plotly_chart(live.boundary(snap, *axes, True, False), key="tbl.chart.boundary",
                          config=CONFIG)
    elif pred is not None:
        left.plotly_chart(_projection(snap, job), key="tbl.chart.projection", config=CONFIG)
    live.curves(snap, (right, right), "tbl.", accuracy=classification)

    if pred is None or snap.status == "diverged":
        return
    st.subheader(t("tbl.evaluation"), divider="gray")
    if classification:
        classes = list(job.class_names)
        cm = metrics.confusion_matrix(snap.data.y_test, pred["test"], len(classes))
        live.class_report(cm, classes, "tbl.", t("tbl.chart.confusion"),
                          t("tbl.report.support"), t("tbl.report_hint"), decimals=3)
    elif fit is not None:
        _regression_report(snap, *fit)


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


def _regression_report(snap: Snapshot, actual, predicted, scores: dict) -> None:
    left, right = st.columns([3, 2])
    left.plotly_chart(table_charts.regression_figure(actual, predicted, {
        "title": t("tbl.chart.regression", column=snap.spec.target),
        "actual": t("tbl.chart.actual"), "predicted": t("tbl.chart.predicted"),
        "ideal": t("tbl.chart.ideal")}), key="tbl.chart.regression", config=CONFIG)
    right.metric(t("tbl.metric.mae"), f"{scores['mae']:.4g}", help=t("tbl.help.mae"))
    right.metric(t("tbl.metric.rmse"), f"{scores['rmse']:.4g}", help=t("tbl.help.rmse"))
