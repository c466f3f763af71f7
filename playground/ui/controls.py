"""Sidebar widget groups. Each `*_ui()` draws its widgets and returns plain
values keyed by Experiment field; `load(spec)` puts a spec into the widgets.

Widgets are created without `value=`: their state is seeded from the spec
under stable keys ("w.<field>"), so a spec from a link, a file or a fix-up
reaches the widgets the same way.
"""

from __future__ import annotations

import random

import streamlit as st

from playground.core import catalog
from playground.dense.spec import MAX_HIDDEN_LAYERS, MAX_WIDTH, Experiment, Layer
from playground.ui.text import t

LR_CHOICES = (0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
REG_RATES = (0.0, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0)


def key(name: str, prefix: str = "w.") -> str:
    """Widget keys are per session, shared by every page: each page that
    draws these groups passes its own prefix."""
    return f"{prefix}{name}"


def load(spec, prefix: str = "w.") -> None:
    """Seed every widget from `spec` (an Experiment, or any spec with the same
    network and training fields); call before the widgets are drawn."""
    for name, value in spec.to_dict().items():
        if name != "hidden":
            st.session_state[key(name, prefix)] = value
    st.session_state[key("features", prefix)] = list(spec.features)
    st.session_state[key("n_layers", prefix)] = len(spec.hidden)
    for i, layer in enumerate(spec.hidden):
        st.session_state[key(f"width.{i}", prefix)] = layer.width
        st.session_state[key(f"act.{i}", prefix)] = layer.activation


def _seed(name: str, value, prefix: str = "w.") -> None:
    """Give a widget its value from the spec if it has none (it may have been
    hidden on an earlier run, and Streamlit drops a hidden widget's state)."""
    if key(name, prefix) not in st.session_state:
        st.session_state[key(name, prefix)] = value


def _regenerate() -> None:
    st.session_state[key("seed")] = random.randrange(2**31 - 1)


def data_ui(spec: Experiment) -> dict:
    for name in ("dataset", "n_classes", "noise", "n_samples", "train_ratio", "seed"):
        _seed(name, getattr(spec, name))
    dataset = st.selectbox(
        t("field.dataset"), tuple(catalog.DATASETS), key=key("dataset"),
        format_func=lambda d: t(f"dataset.{d}"), help=t("help.dataset"),
    )
    values = {"dataset": dataset}
    if catalog.DATASETS[dataset].problem == "multiclass":
        values["n_classes"] = st.slider(t("field.n_classes"), 3, 5, key=key("n_classes"))
    values["noise"] = st.slider(
        t("field.noise"), 0.0, 0.5, step=0.05, key=key("noise"), help=t("help.noise")
    )
    values["n_samples"] = st.slider(t("field.n_samples"), 50, 2000, step=50, key=key("n_samples"))
    values["train_ratio"] = st.slider(
        t("field.train_ratio"), 0.1, 0.9, step=0.05, key=key("train_ratio"),
        help=t("help.train_ratio"),
    )
    values["seed"] = st.number_input(t("field.seed"), 0, 2**31 - 1, key=key("seed"))
    st.button(t("button.regenerate"), on_click=_regenerate, help=t("help.regenerate"),
              icon=":material/casino:", width="stretch")
    return values


def features_ui(spec: Experiment) -> dict:
    _seed("features", list(spec.features))
    chosen = st.pills(
        t("field.features"), catalog.FEATURE_NAMES, selection_mode="multi",
        key=key("features"), format_func=lambda f: t(f"feature.{f}"), help=t("help.features"),
    )
    if not chosen:
        st.caption(t("note.no_features_widget"))
    return {"features": list(chosen) or ["x1", "x2"]}


def network_ui(spec: Experiment, problem: str, prefix: str = "w.") -> dict:
    _seed("n_layers", len(spec.hidden), prefix)
    n_layers = st.number_input(
        t("field.n_layers"), 0, MAX_HIDDEN_LAYERS, key=key("n_layers", prefix),
        help=t("help.n_layers"),
    )
    hidden = []
    for i in range(n_layers):
        default = spec.hidden[i] if i < len(spec.hidden) else Layer()
        _seed(f"width.{i}", default.width, prefix)
        _seed(f"act.{i}", default.activation, prefix)
        left, right = st.columns([2, 3], vertical_alignment="bottom")
        width = left.number_input(
            t("field.width", i=i + 1), 1, MAX_WIDTH, key=key(f"width.{i}", prefix)
        )
        act = right.selectbox(
            t("field.activation", i=i + 1), tuple(catalog.ACTIVATIONS), key=key(f"act.{i}", prefix),
            format_func=lambda a: t(f"activation.{a}"),
        )
        hidden.append([width, act])

    losses = [name for name, head in catalog.LOSSES.items() if problem in head.problems]
    _seed("loss", spec.loss, prefix)
    if st.session_state[key("loss", prefix)] not in losses:
        # The dataset changed kind: pick its usual loss and say why.
        st.session_state[key("loss", prefix)] = catalog.DEFAULT_LOSS[problem]
        st.info(t("note.loss_switched", problem=t(f"problem.{problem}")))
    loss = st.selectbox(
        t("field.loss"), losses, key=key("loss", prefix), format_func=lambda n: t(f"loss.{n}"),
        help=t(f"help.loss.{problem}"),
    )
    _seed("init", spec.init, prefix)
    init = st.selectbox(t("field.init"), catalog.INITS, key=key("init", prefix),
                        format_func=lambda n: t(f"init.{n}"), help=t("help.init"))
    return {"hidden": hidden, "loss": loss, "init": init}


def training_ui(spec: Experiment, n_train: int, prefix: str = "w.") -> dict:
    for name in ("optimizer", "lr", "momentum", "nesterov", "batch_size",
                 "regularization", "reg_rate"):
        _seed(name, getattr(spec, name), prefix)
    optimizer = st.selectbox(
        t("field.optimizer"), catalog.OPTIMIZERS, key=key("optimizer", prefix),
        format_func=lambda n: t(f"optimizer.{n}"), help=t("help.optimizer"),
    )
    lr_choices = sorted(set(LR_CHOICES) | {st.session_state[key("lr", prefix)]})
    lr = st.select_slider(t("field.lr"), lr_choices, key=key("lr", prefix),
                          format_func=lambda v: f"{v:g}", help=t("help.lr"))
    values = {"optimizer": optimizer, "lr": lr, "momentum": 0.0, "nesterov": False}
    if optimizer in ("sgd", "rmsprop"):
        values["momentum"] = st.slider(t("field.momentum"), 0.0, 0.99, step=0.01,
                                       key=key("momentum", prefix), help=t("help.momentum"))
    if optimizer == "sgd":
        values["nesterov"] = st.checkbox(
            t("field.nesterov"), key=key("nesterov", prefix), disabled=values["momentum"] == 0,
            help=t("help.nesterov"),
        ) and values["momentum"] > 0
    if st.session_state[key("batch_size", prefix)] > n_train:
        st.session_state[key("batch_size", prefix)] = n_train
    values["batch_size"] = st.number_input(t("field.batch_size"), 1, n_train,
                                           key=key("batch_size", prefix), help=t("help.batch_size"))
    values["regularization"] = st.selectbox(
        t("field.regularization"), catalog.REGULARIZERS, key=key("regularization", prefix),
        format_func=lambda n: t(f"reg.{n}"), help=t("help.regularization"),
    )
    rates = sorted(set(REG_RATES) | {st.session_state[key("reg_rate", prefix)]})
    values["reg_rate"] = st.select_slider(
        t("field.reg_rate"), rates, key=key("reg_rate", prefix), format_func=lambda v: f"{v:g}",
        disabled=values["regularization"] == "none",
    )
    return values


def view_ui(spec: Experiment) -> dict:
    _seed("show_test", spec.show_test)
    _seed("discretize", spec.discretize)
    left, right = st.columns(2)
    return {
        "show_test": left.toggle(t("field.show_test"), key=key("show_test")),
        "discretize": right.toggle(t("field.discretize"), key=key("discretize")),
    }
