"""Sidebar widgets of the image page. Each `*_ui()` returns plain values keyed
by ImageExperiment field; `load(spec)` puts a spec into the widgets.

The layer stack is a list of layer ids in session state; each layer's
widgets are keyed by its id, so moving or removing a layer keeps the others'
values where they are.
"""

from __future__ import annotations

import itertools

import streamlit as st

from playground.core import catalog
from playground.images.presets import PRESETS, apply_preset
from playground.images.spec import DATASET_SIZES, LAYER_KINDS, ImageExperiment, ImageLayer
from playground.ui.text import t

STACK_KEY = "img.stack"  # list of layer ids, in order
LR_CHOICES = (0.00001, 0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0)
BATCH_CHOICES = (8, 16, 32, 64, 128, 256, 512, 1024)
DECAY_CHOICES = (0.0, 0.00001, 0.0001, 0.001, 0.01, 0.1)
LAYER_FIELDS = {
    "dense": ("units", "activation"),
    "conv": ("filters", "kernel", "stride", "padding", "activation"),
    "maxpool": ("kernel", "stride"),
    "avgpool": ("kernel", "stride"),
    "dropout": ("rate",),
    "flatten": (),
    "batchnorm": (),
}
_ids = itertools.count(1)


def key(name: str) -> str:
    return f"img.w.{name}"


def _layer_key(layer_id: int, name: str) -> str:
    return f"img.l.{layer_id}.{name}"


def load(spec: ImageExperiment) -> None:
    """Seed every widget from `spec`; call before the widgets are drawn."""
    for name, value in spec.to_dict().items():
        if name != "layers":
            st.session_state[key(name)] = value
    ids = []
    for layer in spec.layers:
        ids.append(next(_ids))
        _seed_layer(ids[-1], layer, force=True)
    st.session_state[STACK_KEY] = ids


def _seed(name: str, value) -> None:
    if key(name) not in st.session_state:
        st.session_state[key(name)] = value


def _seed_layer(layer_id: int, layer: ImageLayer, force: bool = False) -> None:
    for name in ("kind", "units", "filters", "kernel", "stride", "padding", "activation", "rate"):
        k = _layer_key(layer_id, name)
        if force or k not in st.session_state:
            st.session_state[k] = getattr(layer, name)


# ---- data ----------------------------------------------------------------------
def data_ui(spec: ImageExperiment) -> dict:
    for name in ("dataset", "subset", "val_ratio", "test_ratio", "normalize", "seed"):
        _seed(name, getattr(spec, name))
    dataset = st.selectbox(t("img.field.dataset"), tuple(DATASET_SIZES), key=key("dataset"),
                           format_func=lambda d: t(f"img.dataset.{d}"),
                           help=t("img.help.dataset"))
    size = DATASET_SIZES[dataset]
    low = min(500, size)
    if st.session_state[key("subset")] > size:
        st.session_state[key("subset")] = size
    subset = st.slider(t("img.field.subset"), low, size, step=100 if size > 5000 else 1,
                       key=key("subset"), help=t("img.help.subset", size=f"{size:,}"))
    if subset == size and spec.subset > size:
        subset = spec.subset  # "all of them" here, and the same number on a larger set
    left, right = st.columns(2)
    val_ratio = left.slider(t("img.field.val_ratio"), 0.05, 0.3, step=0.05,
                            key=key("val_ratio"))
    test_ratio = right.slider(t("img.field.test_ratio"), 0.1, 0.3, step=0.05,
                              key=key("test_ratio"))
    normalize = st.toggle(t("img.field.normalize"), key=key("normalize"),
                          help=t("img.help.normalize"))
    seed = st.number_input(t("field.seed"), 0, 2**31 - 1, key=key("seed"))
    return {"dataset": dataset, "subset": subset, "val_ratio": val_ratio,
            "test_ratio": test_ratio, "normalize": normalize, "seed": seed}


# ---- model ---------------------------------------------------------------------
def _load_preset() -> None:
    name = st.session_state[key("preset_choice")]
    load(apply_preset(st.session_state["img.spec"], name))


def _move(index: int, offset: int) -> None:
    ids = st.session_state[STACK_KEY]
    j = index + offset
    if 0 <= j < len(ids):
        ids[index], ids[j] = ids[j], ids[index]


def _remove(index: int) -> None:
    del st.session_state[STACK_KEY][index]


def _add() -> None:
    kind = st.session_state[key("add_kind")]
    layer_id = next(_ids)
    _seed_layer(layer_id, ImageLayer(kind=kind), force=True)
    st.session_state[STACK_KEY].append(layer_id)


def model_ui(spec: ImageExperiment) -> dict:
    left, right = st.columns([3, 2], vertical_alignment="bottom")
    left.selectbox(t("img.field.preset"), tuple(PRESETS), key=key("preset_choice"),
                   format_func=lambda p: t(f"img.preset.{p}"), help=t("img.help.preset"))
    right.button(t("img.button.load_preset"), on_click=_load_preset, key="img.load_preset",
                 width="stretch")
    if STACK_KEY not in st.session_state:
        load(spec)
    layers = []
    ids = st.session_state[STACK_KEY]
    for index, layer_id in enumerate(ids):
        layers.append(_layer_ui(index, layer_id, len(ids)))
    if not ids:
        st.caption(t("img.no_layers"))
    add, button = st.columns([3, 2], vertical_alignment="bottom")
    add.selectbox(t("img.field.add_kind"), LAYER_KINDS, key=key("add_kind"),
                  format_func=lambda k: t(f"img.kind.{k}"))
    button.button(t("img.button.add"), on_click=_add, icon=":material/add:", key="img.add",
                  width="stretch", disabled=len(ids) >= 12)
    return {"layers": layers}


def _layer_ui(index: int, layer_id: int, count: int) -> dict:
    k = lambda name: _layer_key(layer_id, name)  # noqa: E731 - a short local key maker
    with st.container(border=True, key=f"img.layer.{layer_id}"):
        head, up, down, remove = st.columns([5, 1, 1, 1], vertical_alignment="bottom", gap="small")
        kind = head.selectbox(t("img.field.layer", i=index + 1), LAYER_KINDS, key=k("kind"),
                              format_func=lambda v: t(f"img.kind.{v}"))
        up.button("", icon=":material/arrow_upward:", key=f"img.up.{layer_id}",
                  on_click=_move, args=(index, -1), disabled=index == 0, help=t("img.help.up"))
        down.button("", icon=":material/arrow_downward:", key=f"img.down.{layer_id}",
                    on_click=_move, args=(index, 1), disabled=index == count - 1,
                    help=t("img.help.down"))
        remove.button("", icon=":material/delete:", key=f"img.remove.{layer_id}",
                      on_click=_remove, args=(index,), help=t("img.help.remove"))
        values = {"kind": kind}
        names = LAYER_FIELDS[kind]
        if not names:
            return values
        # Numbers side by side, then the select boxes two to a row: three
        # select boxes to a row are too narrow in the sidebar to show a value.
        numbers = [n for n in names if n not in ("padding", "activation")]
        selects = [n for n in names if n in ("padding", "activation")]
        boxes = {}
        for group, width in ((numbers, 3), (selects, 2)):
            if group:
                cols = st.columns(max(len(group), 2) if width == 2 else len(group))
                boxes.update(zip(group, cols))
        for name in names:
            box = boxes[name]
            label = t(f"img.param.{name}")
            if name in ("units", "filters"):
                values[name] = box.number_input(label, 1, 1024 if name == "units" else 256,
                                                key=k(name))
            elif name == "kernel":
                values[name] = box.number_input(label, 1, 11 if kind == "conv" else 8,
                                                key=k(name))
            elif name == "stride":
                values[name] = box.number_input(label, 0 if kind != "conv" else 1, 4,
                                                key=k(name), help=t(f"img.help.stride_{kind}")
                                                if kind != "conv" else None)
            elif name == "padding":
                values[name] = box.selectbox(label, ("valid", "same"), key=k(name),
                                             format_func=lambda v: t(f"img.padding.{v}"))
            elif name == "activation":
                values[name] = box.selectbox(label, tuple(catalog.ACTIVATIONS), key=k(name),
                                             format_func=lambda a: t(f"activation.{a}"))
            elif name == "rate":
                values[name] = box.slider(label, 0.0, 0.9, step=0.05, key=k(name))
        return values


# ---- training ------------------------------------------------------------------
def training_ui(spec: ImageExperiment, cuda: bool) -> dict:
    for name in ("optimizer", "lr", "batch_size", "weight_decay", "max_epochs",
                 "early_stopping", "patience", "augment", "mixed_precision"):
        _seed(name, getattr(spec, name))
    optimizer = st.selectbox(t("field.optimizer"), catalog.OPTIMIZERS, key=key("optimizer"),
                             format_func=lambda n: t(f"optimizer.{n}"), help=t("help.optimizer"))
    lr_choices = sorted(set(LR_CHOICES) | {st.session_state[key("lr")]})
    lr = st.select_slider(t("field.lr"), lr_choices, key=key("lr"),
                          format_func=lambda v: f"{v:g}", help=t("help.lr"))
    batches = sorted(set(BATCH_CHOICES) | {st.session_state[key("batch_size")]})
    batch_size = st.select_slider(t("field.batch_size"), batches, key=key("batch_size"),
                                  help=t("help.batch_size"))
    decays = sorted(set(DECAY_CHOICES) | {st.session_state[key("weight_decay")]})
    weight_decay = st.select_slider(t("img.field.weight_decay"), decays, key=key("weight_decay"),
                                    format_func=lambda v: f"{v:g}",
                                    help=t("img.help.weight_decay"))
    max_epochs = st.number_input(t("img.field.max_epochs"), 1, 200, key=key("max_epochs"))
    early = st.toggle(t("img.field.early_stopping"), key=key("early_stopping"),
                      help=t("img.help.early_stopping"))
    patience = st.number_input(t("img.field.patience"), 1, 20, key=key("patience"),
                               disabled=not early, help=t("img.help.patience"))
    augment = st.toggle(t("img.field.augment"), key=key("augment"), help=t("img.help.augment"))
    if not cuda:
        st.session_state[key("mixed_precision")] = False
    mixed = st.toggle(t("img.field.mixed_precision"), key=key("mixed_precision"),
                      disabled=not cuda, help=t("img.help.mixed_precision"))
    return {"optimizer": optimizer, "lr": lr, "batch_size": batch_size,
            "weight_decay": weight_decay, "max_epochs": max_epochs, "early_stopping": early,
            "patience": patience, "augment": augment, "mixed_precision": mixed}


def problem_text(problem) -> str:
    """A summary Problem as a sentence that says what to change."""
    detail = {k: "×".join(map(str, v)) if isinstance(v, tuple) else v
              for k, v in problem.detail.items()}
    if "kind" in detail:
        detail["kind"] = t(f"img.kind.{detail['kind']}")
    for name in ("params", "limit"):
        if name in detail:
            detail[name] = f"{detail[name]:,}"
    layer = "" if problem.layer_index is None else problem.layer_index + 1
    return t(f"img.problem.{problem.code}", layer=layer, **detail)
