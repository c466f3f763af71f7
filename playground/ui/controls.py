"""Sidebar widget groups of the dense-network pages. Each `*_ui()` draws its
widgets and returns plain values keyed by spec field; `load(spec)` puts a
spec into the widgets. The 2D page's widgets are keyed "w.<field>"; the
table page draws the network and training groups under its own prefix.
"""

from __future__ import annotations

import random

import streamlit as st

from playground.core import catalog
from playground.dense.model import dense_param_count, layer_widths
from playground.dense.spec import MAX_HIDDEN_LAYERS, MAX_WIDTH, Experiment, Layer
from playground.dense.worker import Worker
from playground.ui import click_points
from playground.ui.page import Task
from playground.ui.text import t
from playground.ui.widgets import Widgets

LR_CHOICES = (0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
REG_RATES = (0.0, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0)
W = Widgets(Experiment, "w.")


def load(spec, w: Widgets = W) -> None:
    """Seed every widget from `spec` (an Experiment, or any spec with the same
    network and training fields); call before the widgets are drawn."""
    w.put({name: value for name, value in spec.to_dict().items() if name != "hidden"})
    w["n_layers"] = len(spec.hidden)
    for i, layer in enumerate(spec.hidden):
        w[f"width.{i}"], w[f"act.{i}"] = layer.width, layer.activation


PLAYGROUND = Task("2d", Experiment, Worker, "spec", load, notes_key="link_notes")


def _regenerate() -> None:
    W["seed"] = random.randrange(2**31 - 1)


def data_ui(spec: Experiment) -> dict:
    W.seed(spec, "dataset", "n_classes", "noise", "n_samples", "train_ratio", "seed")
    dataset = W(st.selectbox, "dataset", t("field.dataset"),
                format_func=lambda d: t(f"dataset.{d}"), help=t("help.dataset"))
    values = {"dataset": dataset}
    if catalog.DATASETS[dataset].problem == "multiclass":
        values["n_classes"] = W(st.slider, "n_classes", t("field.n_classes"))
    values["noise"] = W(st.slider, "noise", t("field.noise"), step=0.05, help=t("help.noise"))
    values["n_samples"] = W(st.slider, "n_samples", t("field.n_samples"), step=50)
    values["train_ratio"] = W(st.slider, "train_ratio", t("field.train_ratio"), step=0.05,
                              help=t("help.train_ratio"))
    values["seed"] = W(st.number_input, "seed", t("field.seed"))
    st.button(t("button.regenerate"), on_click=_regenerate, help=t("help.regenerate"),
              icon=":material/casino:", width="stretch")
    return values | click_points.points_ui(spec, values)


def features_ui(spec: Experiment) -> dict:
    W.seed(spec, features=list(spec.features))
    chosen = W(st.pills, "features", t("field.features"), catalog.FEATURE_NAMES,
               selection_mode="multi", format_func=lambda f: t(f"feature.{f}"),
               help=t("help.features"))
    if not chosen:
        st.caption(t("note.no_features_widget"))
    return {"features": list(chosen) or ["x1", "x2"]}


def network_ui(spec, problem: str, w: Widgets = W) -> dict:
    w.seed(spec, n_layers=len(spec.hidden))
    n_layers = w(st.number_input, "n_layers", t("field.n_layers"), 0, MAX_HIDDEN_LAYERS,
                 help=t("help.n_layers"))
    hidden = []
    for i in range(n_layers):
        default = spec.hidden[i] if i < len(spec.hidden) else Layer()
        w.seed(spec, **{f"width.{i}": default.width, f"act.{i}": default.activation})
        left, right = st.columns([2, 3], vertical_alignment="bottom")
        width = w(left.number_input, f"width.{i}", t("field.width", i=i + 1), 1, MAX_WIDTH)
        act = w(right.selectbox, f"act.{i}", t("field.activation", i=i + 1),
                tuple(catalog.ACTIVATIONS), format_func=lambda a: t(f"activation.{a}"))
        hidden.append([width, act])

    losses = [name for name, head in catalog.LOSSES.items() if problem in head.problems]
    w.seed(spec, "loss", "init")
    if w["loss"] not in losses:
        # The dataset changed kind: pick its usual loss and say why.
        w["loss"] = catalog.DEFAULT_LOSS[problem]
        st.info(t("note.loss_switched", problem=t(f"problem.{problem}")))
    loss = w(st.selectbox, "loss", t("field.loss"), losses,
             format_func=lambda n: t(f"loss.{n}"), help=t(f"help.loss.{problem}"))
    init = w(st.selectbox, "init", t("field.init"), format_func=lambda n: t(f"init.{n}"),
             help=t("help.init"))
    return {"hidden": hidden, "loss": loss, "init": init}


def network_summary(box, spec, n_in: int | None = None) -> None:
    """The network's shape and parameter count, under its widgets in `box`
    (None: the group is hidden)."""
    if box is not None:
        widths = layer_widths(spec, n_in)
        box.caption(t("network.summary", shape=" → ".join(map(str, widths)),
                      params=f"{dense_param_count(widths):,}"))


def training_ui(spec, n_train: int, w: Widgets = W) -> dict:
    w.seed(spec, "optimizer", "lr", "momentum", "nesterov", "batch_size", "regularization",
           "reg_rate")
    optimizer = w(st.selectbox, "optimizer", t("field.optimizer"),
                  format_func=lambda n: t(f"optimizer.{n}"), help=t("help.optimizer"))
    lr = w(st.select_slider, "lr", t("field.lr"), w.steps("lr", LR_CHOICES),
           format_func=lambda v: f"{v:g}", help=t("help.lr"))
    values = {"optimizer": optimizer, "lr": lr, "momentum": 0.0, "nesterov": False}
    if optimizer in ("sgd", "rmsprop"):
        values["momentum"] = w(st.slider, "momentum", t("field.momentum"), step=0.01,
                               help=t("help.momentum"))
    if optimizer == "sgd":
        values["nesterov"] = w(st.checkbox, "nesterov", t("field.nesterov"),
                               disabled=values["momentum"] == 0,
                               help=t("help.nesterov")) and values["momentum"] > 0
    if w["batch_size"] > n_train:
        w["batch_size"] = n_train
    values["batch_size"] = w(st.number_input, "batch_size", t("field.batch_size"), 1, n_train,
                             help=t("help.batch_size"))
    values["regularization"] = w(st.selectbox, "regularization", t("field.regularization"),
                                 format_func=lambda n: t(f"reg.{n}"),
                                 help=t("help.regularization"))
    values["reg_rate"] = w(st.select_slider, "reg_rate", t("field.reg_rate"),
                           w.steps("reg_rate", REG_RATES),
                           format_func=lambda v: f"{v:g}",
                           disabled=values["regularization"] == "none")
    return values | remedies_ui(spec, w)


def remedies_ui(spec, w: Widgets = W) -> dict:
    """The other remedies for overfitting, as on the images page: dropout and
    early stopping (on the test loss)."""
    w.seed(spec, "dropout", "early_stopping", "patience")
    values = {"dropout": w(st.slider, "dropout", t("field.dropout"), step=0.05,
                           help=t("help.dropout")),
              "early_stopping": w(st.toggle, "early_stopping", t("img.field.early_stopping"),
                                  help=t("help.early_stopping"))}
    values["patience"] = w(st.number_input, "patience", t("img.field.patience"),
                           disabled=not values["early_stopping"], help=t("help.patience"))
    return values


def view_ui(spec: Experiment) -> dict:
    W.seed(spec, "show_test", "discretize")
    left, right = st.columns(2)
    return {"show_test": W(left.toggle, "show_test", t("field.show_test")),
            "discretize": W(right.toggle, "discretize", t("field.discretize"))}
