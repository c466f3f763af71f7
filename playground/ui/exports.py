"""Save, load and export: the panel both dense-network pages share.

Downloads: the settings (JSON), the trained weights (safetensors), the
training history (CSV), a standalone PyTorch script, the same model as Keras
code, and ONNX. Uploads: settings and weights, each read in its uploader's
on_change callback (the only moment a widget's value may still be changed
in the same run) and answered with a message kept until the next upload.

Weights and ONNX are made when the button is clicked, from the weights the
training process has at that moment; the callables run outside the script,
so they touch no st.* and get their texts ready-made.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st
import torch

from playground.dense.codegen import keras_code, pytorch_script
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
from playground.ui.text import t

# (kind, text) messages from the last upload, kept across reruns.
MESSAGES = "exports.messages"


def _template(spec, n_in: int) -> torch.nn.Sequential:
    """A model of the spec's shape: what an uploaded weights file must fit."""
    n_out = layer_widths(spec, n_in)[-1]
    return build_model(spec, n_in, n_out, torch.Generator().manual_seed(0))


def _current_model(worker: Worker, spec, n_in: int) -> torch.nn.Sequential:
    state = worker.fetch_state()
    if state is None:
        raise RuntimeError("the training process did not send its weights in time")
    model = _template(spec, n_in)
    model.load_state_dict(state)
    return model


SettingsLoader = Callable[[str], tuple[bool, list[str]]]


def export_panel(worker: Worker, spec, n_in: int, history: pd.DataFrame, stem: str,
                 load_settings: SettingsLoader, prefix: str) -> None:
    """Everything, for the pages that train a dense network of `n_in` inputs.
    `load_settings(text)` puts a settings file into the page's widgets and
    returns (loaded, messages about what it could not use); it raises nothing."""
    _header(prefix)
    epochs = max(int(history["epoch"].iloc[-1]), 10) if len(history) else 100
    row = st.columns(3)
    _settings_button(row[0], spec, stem, prefix)
    row[1].download_button(
        t("exp.weights"), lambda: weights_bytes(_current_model(worker, spec, n_in), spec),
        f"{stem}-weights.safetensors", "application/octet-stream", key=prefix + "dl.weights",
        icon=":material/neurology:", on_click="ignore", width="stretch",
        help=t("exp.help.weights"))
    _history_button(row[2], history, stem, prefix)
    script_name, keras_name = f"{stem}_pytorch.py", f"{stem}_keras.py"
    script = pytorch_script(spec, n_in, epochs=epochs, filename=script_name)
    keras = keras_code(spec, n_in, epochs=epochs, filename=keras_name)
    row = st.columns(3)
    row[0].download_button(
        t("exp.pytorch"), script, script_name, "text/x-python",
        key=prefix + "dl.pytorch", icon=":material/code:", on_click="ignore", width="stretch",
        help=t("exp.help.pytorch"))
    row[1].download_button(
        t("exp.keras"), keras, keras_name, "text/x-python", key=prefix + "dl.keras",
        icon=":material/code:", on_click="ignore", width="stretch", help=t("exp.help.keras"))
    available = onnx_available()
    row[2].download_button(
        t("exp.onnx"), (lambda: onnx_bytes(_current_model(worker, spec, n_in), n_in))
        if available else b"", f"{stem}.onnx", "application/octet-stream",
        key=prefix + "dl.onnx", icon=":material/account_tree:", on_click="ignore",
        width="stretch", disabled=not available,
        help=t("exp.help.onnx") if available else t("exp.help.onnx_missing"))

    left, right = st.columns(2)
    _settings_uploader(left, prefix, load_settings)
    right.file_uploader(
        t("exp.load_weights"), type=["safetensors"], key=prefix + "up.weights",
        on_change=_weights_uploaded, args=(prefix, worker, spec, n_in),
        help=t("exp.help.load_weights"))

    with st.expander(t("exp.show_code"), icon=":material/code_blocks:"):
        torch_tab, keras_tab = st.tabs([t("exp.tab.pytorch"), t("exp.tab.keras")])
        torch_tab.code(script, language="python")
        keras_tab.code(keras, language="python")


def settings_panel(spec, history: pd.DataFrame, stem: str, load_settings: SettingsLoader,
                   prefix: str) -> None:
    """Settings and history only: for the image page, whose convolutional
    models the weights and code exports don't cover yet."""
    _header(prefix, t("exp.title_settings"))
    left, right = st.columns(2)
    _settings_button(left, spec, stem, prefix)
    _history_button(right, history, stem, prefix)
    _settings_uploader(st, prefix, load_settings)


def _header(prefix: str, title: str | None = None) -> None:
    st.subheader(title or t("exp.title"), divider="gray", anchor=False)
    for kind, text in st.session_state.get(prefix + MESSAGES, []):
        (st.success if kind == "ok" else st.warning if kind == "warn" else st.error)(text)


def _settings_button(where, spec, stem: str, prefix: str) -> None:
    where.download_button(
        t("exp.settings"), settings_json(spec), f"{stem}-settings.json", "application/json",
        key=prefix + "dl.settings", icon=":material/settings:", on_click="ignore",
        width="stretch", help=t("exp.help.settings"))


def _history_button(where, history: pd.DataFrame, stem: str, prefix: str) -> None:
    where.download_button(
        t("exp.history"), history_csv(history), f"{stem}-history.csv", "text/csv",
        key=prefix + "dl.history", icon=":material/show_chart:", on_click="ignore",
        width="stretch", help=t("exp.help.history"))


def _settings_uploader(where, prefix: str, load_settings: SettingsLoader) -> None:
    where.file_uploader(
        t("exp.load_settings"), type=["json"], key=prefix + "up.settings",
        on_change=_settings_uploaded, args=(prefix, load_settings),
        help=t("exp.help.load_settings"))


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


def _weights_uploaded(prefix: str, worker: Worker, spec, n_in: int) -> None:
    upload = st.session_state.get(prefix + "up.weights")
    if upload is None:
        return
    try:
        state = load_weights(upload.getvalue(), _template(spec, n_in))
    except ExportError as exc:
        st.session_state[prefix + MESSAGES] = [
            ("error", t(f"exp.error.{exc.code}", **exc.detail))]
        return
    worker.load_state(state)
    worker.wait_idle(timeout=3.0)
    st.session_state[prefix + MESSAGES] = [("ok", t("exp.msg.weights_loaded", name=upload.name))]
