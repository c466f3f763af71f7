"""The image page's live view: metrics, curves and what the model gets wrong,
drawn from a snapshot by live.show's fragment; never trains."""

from __future__ import annotations

import math
from functools import partial

import numpy as np
import streamlit as st

from playground.charts import images as image_charts
from playground.charts.common import DIVERGING
from playground.images.worker import ImageSnapshot, ImageWorker
from playground.ui import live
from playground.ui.live import CONFIG
from playground.ui.text import lang, t

FOCUS_KEY = "img.focus"
FIGURES_KEY = "img.figures"  # chart key -> (what it was drawn from, language, figure)


def _figure(key: str, source, build):
    """build(), or the figure built from this same `source` (a report or
    feature maps: a new object whenever it changes) on an earlier redraw.
    Reports come about once a second, redraws twice: the image grids, the
    costliest figures of the page, are built once per report."""
    figures = st.session_state.setdefault(FIGURES_KEY, {})
    kept = figures.get(key)
    if kept is None or kept[0] is not source or kept[1] != lang():
        kept = figures[key] = (source, lang(), build())
    return kept[2]


def _fmt(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return f"{value:.4f}"


def draw(snap: ImageSnapshot, worker: ImageWorker) -> None:
    frame = live.history_arrays(snap)
    last = {c: float(a[-1]) for c, a in frame.items()}  # None -> NaN
    epoch = f"{snap.epoch:,}"
    if snap.status == "running" and snap.progress > 0:
        epoch += f" (+{snap.progress:.0%})"
    speed = f"{snap.samples_per_sec:,.0f}" if snap.status == "running" else "–"
    live.metric_row([(t("metric.epoch"), epoch, None),
                     (t("img.metric.train_loss"), _fmt(last["train_loss"]), None),
                     (t("img.metric.val_loss"), _fmt(last["val_loss"]), None),
                     (t("img.metric.val_acc"), f"{last['val_acc']:.1%}", None),
                     (t("img.metric.speed"), speed, None), (t("metric.device"), snap.device, None)])
    live.show_status(snap)
    if snap.status == "finished" and snap.message == "early_stop":
        st.success(t("img.status.early_stop", epoch=snap.epoch, patience=snap.spec.patience),
                   icon=":material/flag:")
    elif snap.status == "finished":
        st.success(t("img.status.max_epochs", epoch=snap.epoch), icon=":material/flag:")

    sizes = snap.info.get("sizes", (0, 0, 0))
    st.caption(t("img.sizes", train=f"{sizes[0]:,}", val=f"{sizes[1]:,}", test=f"{sizes[2]:,}"))
    live.curves(snap, st.columns(2), "img.", held_out="val", name=t("img.chart.val"))

    report = snap.report
    if report is None:
        st.caption(t("img.report_waiting"))
        return
    classes = list(snap.info["classes"])
    evaluation, mistakes, first, maps = st.tabs([
        t("img.tab.evaluation"), t("img.tab.mistakes"), t("img.tab.first_layer"),
        t("img.tab.feature_maps")])
    with evaluation:
        st.caption(t("img.report_at", epoch=report["epoch"], acc=f"{report['test_acc']:.1%}"))
        live.class_report(report["cm"], classes, "img.", t("img.chart.confusion"),
                          t("img.report.support"), t("img.report_hint"))
    with mistakes:
        _mistakes(report, classes)
    with first:
        _first_layer(report)
    with maps:
        _feature_maps(snap, worker)


def _mistakes(report: dict, classes: list[str]) -> None:
    m = report["mistakes"]
    if len(m["index"]) == 0:
        st.caption(t("img.no_mistakes"))
        return
    titles = [
        t("img.mistake", true=classes[tr], pred=classes[pr], p=f"{probs[pr]:.0%}")
        for tr, pr, probs in zip(m["true"], m["pred"], m["probs"])
    ]
    st.plotly_chart(_figure("img.chart.mistakes", m, lambda: image_charts.image_grid_figure(
        m["images"], titles, 8, {"title": t("img.chart.mistakes"), "value": t("img.pixel")})),
        key="img.chart.mistakes", config=CONFIG)


def _first_layer(report: dict) -> None:
    kind, weights = report["first_layer"]
    if kind == "none" or len(weights) == 0:
        st.caption(t("img.first_layer_none"))
        return
    titles = [t(f"img.first_{kind}_item", i=i + 1) for i in range(len(weights))]
    st.plotly_chart(_figure("img.chart.first", weights, lambda: image_charts.image_grid_figure(
        weights, titles, 8, {"title": t(f"img.chart.first_{kind}"), "value": t("img.weight")},
        colorscale=DIVERGING, zmid=0.0)),
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
    # The n-th maps are the n-th convolution's, cut to its first channels.
    filters = [layer.filters for layer in snap.spec.layers if layer.kind == "conv"]
    with right:
        for n, (_module, maps) in enumerate(fm["maps"]):
            titles = [t("img.channel", c=c + 1) for c in range(len(maps))]
            channels = filters[n] if n < len(filters) else len(maps)
            labels = {"title": t("img.chart.fmaps", n=n + 1, shown=len(maps),
                                 channels=channels,
                                 shape=" × ".join(map(str, (channels, *maps.shape[1:])))),
                      "value": t("img.activation")}
            st.plotly_chart(_figure(f"img.chart.fmaps.{n}", maps, partial(
                image_charts.image_grid_figure, np.asarray(maps), titles, 8, labels,
                shared_scale=False, width=560)), key=f"img.chart.fmaps.{n}", config=CONFIG)
