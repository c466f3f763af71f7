"""The image page's live part: metrics, curves and what the model gets wrong,
drawn from the worker's snapshots by a polling fragment; never trains."""

from __future__ import annotations

import math

import numpy as np
import streamlit as st

from playground.charts.common import common as charts
from playground.charts.common import images as image_charts
from playground.core import metrics
from playground.images.worker import ImageSnapshot, ImageWorker
from playground.ui.text import t

POLL_SECONDS = 0.5
CONFIG = {"displaylogo": False}
FOCUS_KEY = "img.focus"


def _fmt(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return f"{value:.4f}"


def live_view(worker: ImageWorker, running: bool) -> None:
    @st.fragment(run_every=POLL_SECONDS if running else None)
    def _live() -> None:
        snap = worker.snapshot()
        if (snap.status == "running") != running:
            st.rerun()  # training stopped itself (or started): switch polling, redraw buttons
        draw(snap, worker)

    _live()


def draw(snap: ImageSnapshot, worker: ImageWorker) -> None:
    frame = snap.frame()
    last = frame.iloc[-1]
    report = snap.report
    cols = st.columns(6)
    epoch = f"{snap.epoch:,}"
    if snap.status == "running" and snap.progress > 0:
        epoch += f" (+{snap.progress:.0%})"
    cols[0].metric(t("metric.epoch"), epoch)
    cols[1].metric(t("img.metric.train_loss"), _fmt(last["train_loss"]))
    cols[2].metric(t("img.metric.val_loss"), _fmt(last["val_loss"]))
    cols[3].metric(t("img.metric.val_acc"), f"{last['val_acc']:.1%}")
    cols[4].metric(t("img.metric.speed"), f"{snap.samples_per_sec:,.0f}"
                   if snap.status == "running" else "–")
    cols[5].metric(t("metric.device"), snap.device)
    _status(snap)

    sizes = snap.info.get("sizes", (0, 0, 0))
    st.caption(t("img.sizes", train=f"{sizes[0]:,}", val=f"{sizes[1]:,}", test=f"{sizes[2]:,}"))
    left, right = st.columns(2)
    axis = t("chart.epoch")
    names = {"train": t("chart.train"), "val": t("img.chart.val")}
    left.plotly_chart(charts.curves_figure(
        frame, {"train_loss": names["train"], "val_loss": names["val"]},
        t("chart.loss_title"), t("chart.loss"), axis), key="img.chart.loss", config=CONFIG)
    right.plotly_chart(charts.curves_figure(
        frame, {"train_acc": names["train"], "val_acc": names["val"]},
        t("chart.acc_title"), t("chart.accuracy"), axis, y_range=(0, 1.02)),
        key="img.chart.acc", config=CONFIG)

    if report is None:
        st.caption(t("img.report_waiting"))
        return
    classes = list(snap.info["classes"])
    evaluation, mistakes, first, maps = st.tabs([
        t("img.tab.evaluation"), t("img.tab.mistakes"), t("img.tab.first_layer"),
        t("img.tab.feature_maps")])
    with evaluation:
        _evaluation(report, classes)
    with mistakes:
        _mistakes(report, classes)
    with first:
        _first_layer(report)
    with maps:
        _feature_maps(snap, worker)


def _status(snap: ImageSnapshot) -> None:
    if snap.status == "diverged":
        st.error(t("status.diverged", reason=t(f"status.reason.{snap.message}"),
                   lr=f"{snap.spec.lr:g}"), icon=":material/warning:")
    elif snap.status == "finished" and snap.message == "early_stop":
        st.success(t("img.status.early_stop", epoch=snap.epoch,
                     patience=snap.spec.patience), icon=":material/flag:")
    elif snap.status == "finished":
        st.success(t("img.status.max_epochs", epoch=snap.epoch), icon=":material/flag:")
    elif snap.status == "error":
        print(snap.message)  # the server log keeps the details; the page a plain message
        st.error(t("status.error"), icon=":material/error:")


def _evaluation(report: dict, classes: list[str]) -> None:
    cm = report["cm"]
    st.caption(t("img.report_at", epoch=report["epoch"], acc=f"{report['test_acc']:.1%}"))
    left, right = st.columns([1, 1])
    left.plotly_chart(image_charts.confusion_figure(cm, classes, {
        "title": t("img.chart.confusion"), "true": t("img.chart.true"),
        "predicted": t("img.chart.predicted"), "count": t("img.chart.count"),
        "share": t("img.chart.share")}), key="img.chart.confusion", config=CONFIG)
    table = metrics.per_class_report(cm, classes)
    table = table.rename(columns={c: t(f"img.report.{c}") for c in
                                  ("class", "precision", "recall", "f1", "support")})
    right.dataframe(table, hide_index=True, key="img.report", width="stretch")
    right.caption(t("img.report_hint"))


def _mistakes(report: dict, classes: list[str]) -> None:
    m = report["mistakes"]
    if len(m["index"]) == 0:
        st.caption(t("img.no_mistakes"))
        return
    titles = [
        t("img.mistake", true=classes[tr], pred=classes[pr], p=f"{probs[pr]:.0%}")
        for tr, pr, probs in zip(m["true"], m["pred"], m["probs"])
    ]
    st.plotly_chart(image_charts.image_grid_figure(
        m["images"], titles, 8, {"title": t("img.chart.mistakes"), "value": t("img.pixel")}),
        key="img.chart.mistakes", config=CONFIG)


def _first_layer(report: dict) -> None:
    kind, weights = report["first_layer"]
    if kind == "none" or len(weights) == 0:
        st.caption(t("img.first_layer_none"))
        return
    title = t(f"img.chart.first_{kind}")
    titles = [t(f"img.first_{kind}_item", i=i + 1) for i in range(len(weights))]
    st.plotly_chart(image_charts.image_grid_figure(
        weights, titles, 8, {"title": title, "value": t("img.weight")},
        colorscale=charts.DIVERGING, zmid=0.0),
        key="img.chart.first", config=CONFIG)
    st.caption(t(f"img.first_{kind}_hint"))


def _feature_maps(snap: ImageSnapshot, worker: ImageWorker) -> None:
    n_test = snap.info.get("sizes", (0, 0, 0))[2]
    fm = snap.fmaps
    if n_test == 0 or fm is None:
        st.caption(t("img.fmaps_waiting"))
        return
    chosen = st.number_input(t("img.field.example"), 0, n_test - 1, key=FOCUS_KEY,
                             help=t("img.help.example"))
    if chosen != fm["index"]:
        worker.focus(chosen)
    left, right = st.columns([1, 4])
    classes = list(snap.info["classes"])
    left.plotly_chart(image_charts.image_figure(
        fm["image"], t("img.example", label=classes[fm["label"]])),
        key="img.chart.example", config=CONFIG)
    if not fm["maps"]:
        right.caption(t("img.fmaps_none"))
        return
    with right:
        for n, (_module, maps) in enumerate(fm["maps"]):
            titles = [t("img.channel", c=c + 1) for c in range(len(maps))]
            st.plotly_chart(image_charts.image_grid_figure(
                np.asarray(maps), titles, 8,
                {"title": t("img.chart.fmaps", n=n + 1, shape=" × ".join(map(str, maps.shape))),
                 "value": t("img.activation")}, shared_scale=False, width=560),
                key=f"img.chart.fmaps.{n}", config=CONFIG)
