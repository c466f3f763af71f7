"""Your own input: draw a digit or upload a picture, see what the network sees
and what it answers. The image is preprocessed like the data (grayscale,
light ink on dark, cropped, centred, resized) before the worker classifies it."""

from __future__ import annotations

import numpy as np
import streamlit as st

from playground.charts import images as image_charts
from playground.data.handwriting import load_upload, prepare_digit
from playground.images.worker import ImageWorker
from playground.ui.text import t

CANVAS_SIZE = 224
CONFIG = {"displaylogo": False, "displayModeBar": False}


def _canvas():
    """The drawing canvas, or None where the component can't load."""
    try:
        from streamlit_drawable_canvas import st_canvas
    except Exception:  # noqa: BLE001 - the page works without it: upload still does
        return None
    return st_canvas(
        stroke_width=18, stroke_color="#000000", background_color="#FFFFFF",
        width=CANVAS_SIZE, height=CANVAS_SIZE, drawing_mode="freedraw",
        key="img.canvas", return_image_data=True,
    )


def own_input(worker: ImageWorker, shape: tuple[int, int, int], classes: list[str]) -> None:
    draw_col, upload_col = st.columns(2)
    with draw_col:
        st.caption(t("img.own.draw"))
        result = _canvas()
        if result is None:
            st.caption(t("img.own.no_canvas"))
    with upload_col:
        upload = st.file_uploader(t("img.own.upload"), type=["png", "jpg", "jpeg", "bmp"],
                                  key="img.upload", help=t("img.help.upload"))
    image = None
    if upload is not None:
        try:
            image = load_upload(upload.getvalue())
        except ValueError:
            st.error(t("img.own.bad_upload", name=upload.name), icon=":material/broken_image:")
            return
    elif result is not None and result.json_data and result.json_data.get("objects"):
        image = result.image_data
    if image is None:
        st.caption(t("img.own.hint"))
        return
    prepared = prepare_digit(np.asarray(image), size=shape[1], mnist_style=shape[1] >= 28)
    if prepared is None:
        st.warning(t("img.own.blank"), icon=":material/draw:")
        return
    request = worker.classify(prepared)
    worker.wait_idle(timeout=3.0)
    answer = worker.snapshot().classified
    left, right = st.columns([1, 2])
    left.plotly_chart(image_charts.image_figure(prepared[0], t("img.own.sees")),
                      key="img.chart.sees", config=CONFIG)
    if answer is None or answer[0] != request:
        right.caption(t("img.own.waiting"))
        return
    probs = answer[1]
    right.plotly_chart(image_charts.probability_figure(probs, classes, {
        "title": t("img.own.answer", label=classes[int(np.argmax(probs))]),
        "probability": t("img.chart.probability")}), key="img.chart.probs", config=CONFIG)
