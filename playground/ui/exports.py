"""Save, load and export: the panel every task page shows. Downloads: the
settings (JSON), the trained weights (safetensors), the history (CSV), PyTorch
and Keras code, and ONNX; weights and ONNX are made on click, from the
training process's weights at that moment. Uploads are read in their
uploader's on_change callback, the only moment a widget's value may still
change in the same run, and answered with a message kept until the next one.
The dense pages and the image page differ only in the few functions below
that build their models and write their code.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st
import torch

from playground.dense import codegen as dense_codegen
from playground.dense.export import (
    ExportError,
    history_csv,
    load_weights,
    settings_json,
    weights_bytes,
)
from playground.dense.model import build_model, layer_widths
from playground.dense.onnx_export import onnx_available, onnx_bytes
from playground.dense.worker import Worker
from playground.images import codegen as image_codegen
from playground.images.export import image_onnx, image_weights, load_image_weights
from playground.images.spec import ImageExperiment
from playground.images.worker import ImageWorker
from playground.ui import classroom
from playground.ui.text import t

# (kind, text) messages from the last upload, kept across reruns.
MESSAGES = "exports.messages"
# Both have fetch_state and load_state.
AnyWorker = Worker | ImageWorker


def _state(worker: AnyWorker) -> dict:
    """The training process's weights at this moment."""
    state = worker.fetch_state()
    if state is None:
        raise RuntimeError("the training process did not send its weights in time")
    return state


def _model(spec, n_in: int, worker: AnyWorker | None = None) -> torch.nn.Sequential:
    """A dense model of the spec's shape (what an uploaded weights file must fit),
    with the training process's weights at this moment when `worker` is given."""
    model = build_model(spec, n_in, layer_widths(spec, n_in)[-1], torch.Generator().manual_seed(0))
    if worker is not None:
        model.load_state_dict(_state(worker))
    return model


def _weights_file(spec, n_in: int, worker: AnyWorker) -> bytes:
    if isinstance(spec, ImageExperiment):
        return image_weights(spec, _state(worker))
    return weights_bytes(_model(spec, n_in, worker), spec)


def _onnx_file(spec, n_in: int, worker: AnyWorker) -> bytes:
    if isinstance(spec, ImageExperiment):
        return image_onnx(spec, _state(worker))
    return onnx_bytes(_model(spec, n_in, worker), n_in)


def _checked_weights(data: bytes, spec, n_in: int) -> dict:
    """An uploaded file's tensors for the spec's network, or ExportError."""
    if isinstance(spec, ImageExperiment):
        return load_image_weights(data, spec)
    return load_weights(data, _model(spec, n_in))


def _code(spec, n_in: int, history: pd.DataFrame, stem: str) -> tuple[str, str, str, str]:
    """(PyTorch script, its file name, Keras code, its file name). A dense run's
    default epochs are those trained so far (10 at least); an image run's, its
    epoch limit."""
    script_name, keras_name = f"{stem}_pytorch.py", f"{stem}_keras.py"
    if isinstance(spec, ImageExperiment):
        return (image_codegen.pytorch_script(spec, filename=script_name), script_name,
                image_codegen.keras_code(spec, filename=keras_name), keras_name)
    epochs = max(int(history["epoch"].iloc[-1]), 10) if len(history) else 100
    return (dense_codegen.pytorch_script(spec, n_in, epochs=epochs, filename=script_name),
            script_name,
            dense_codegen.keras_code(spec, n_in, epochs=epochs, filename=keras_name), keras_name)


SettingsLoader = Callable[[str], tuple[bool, list[str]]]


def export_panel(spec, history: pd.DataFrame, stem: str, load_settings: SettingsLoader,
                 prefix: str, worker: AnyWorker | None = None, n_in: int = 0) -> None:
    """Everything, for a page that trains in `worker` a dense network of `n_in`
    inputs or an image network (an ImageExperiment); without a worker the
    settings and history only. `load_settings(text)` puts a settings file into
    the page's widgets and returns (loaded, messages about what it could not
    use); it raises nothing."""
    st.subheader(t("exp.title") if worker else t("exp.title_settings"), divider="gray",
                 anchor=False)
    for kind, text in st.session_state.get(prefix + MESSAGES, []):
        (st.success if kind == "ok" else st.warning if kind == "warn" else st.error)(text)

    def download(box, name: str, label: str, data, file_name: str, mime: str, icon: str,
                 help_text: str, **kwargs) -> None:
        box.download_button(label, data, file_name, mime, key=f"{prefix}dl.{name}", icon=icon,
                            on_click="ignore", width="stretch", help=help_text, **kwargs)

    row = st.columns(3 if worker else 2)
    download(row[0], "settings", t("exp.settings"), settings_json(spec), f"{stem}-settings.json",
             "application/json", ":material/settings:", t("exp.help.settings"))
    download(row[-1], "history", t("exp.history"), history_csv(history), f"{stem}-history.csv",
             "text/csv", ":material/show_chart:", t("exp.help.history"))
    if worker is not None:
        download(row[1], "weights", t("exp.weights"),
                 lambda: _weights_file(spec, n_in, worker),
                 f"{stem}-weights.safetensors", "application/octet-stream",
                 ":material/neurology:", t("exp.help.weights"))
        script, script_name, keras, keras_name = _code(spec, n_in, history, stem)
        row = st.columns(3)
        download(row[0], "pytorch", t("exp.pytorch"), script, script_name, "text/x-python",
                 ":material/code:", t("exp.help.pytorch"))
        download(row[1], "keras", t("exp.keras"), keras, keras_name, "text/x-python",
                 ":material/code:", t("exp.help.keras"))
        available = onnx_available()
        download(row[2], "onnx", t("exp.onnx"),
                 (lambda: _onnx_file(spec, n_in, worker))
                 if available else b"", f"{stem}.onnx", "application/octet-stream",
                 ":material/account_tree:",
                 t("exp.help.onnx") if available else t("exp.help.onnx_missing"),
                 disabled=not available)
    uploads, right = st.columns(2) if worker is not None else (st, None)
    if classroom.tools_shown():  # a teacher's tool: a link with tools=0 hides it
        uploads.file_uploader(
            t("exp.load_settings"), type=["json"], key=prefix + "up.settings",
            on_change=_settings_uploaded, args=(prefix, load_settings),
            help=t("exp.help.load_settings"))
    if worker is not None:
        right.file_uploader(
            t("exp.load_weights"), type=["safetensors"], key=prefix + "up.weights",
            on_change=_weights_uploaded, args=(prefix, worker, spec, n_in),
            help=t("exp.help.load_weights"))
        with st.expander(t("exp.show_code"), icon=":material/code_blocks:"):
            torch_tab, keras_tab = st.tabs([t("exp.tab.pytorch"), t("exp.tab.keras")])
            torch_tab.code(script, language="python")
            keras_tab.code(keras, language="python")


def _settings_uploaded(prefix: str, load_settings: SettingsLoader) -> None:
    upload = st.session_state.get(prefix + "up.settings")
    if upload is None:
        return
    try:
        text = upload.getvalue().decode("utf-8")
    except UnicodeDecodeError:
        st.session_state[prefix + MESSAGES] = [("error", t("exp.msg.not_text"))]
        return
    loaded, problems = load_settings(text)
    messages = [("warn" if loaded else "error", p) for p in problems]
    if loaded:
        messages.append(("ok", t("exp.msg.settings_loaded", name=upload.name)))
    st.session_state[prefix + MESSAGES] = messages


def _weights_uploaded(prefix: str, worker: AnyWorker, spec, n_in: int) -> None:
    upload = st.session_state.get(prefix + "up.weights")
    if upload is None:
        return
    try:
        state = _checked_weights(upload.getvalue(), spec, n_in)
    except ExportError as exc:
        st.session_state[prefix + MESSAGES] = [
            ("error", t(f"exp.error.{exc.code}", **exc.detail))]
        return
    worker.load_state(state)
    worker.wait_idle(timeout=3.0)
    st.session_state[prefix + MESSAGES] = [("ok", t("exp.msg.weights_loaded", name=upload.name))]
