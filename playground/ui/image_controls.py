"""Sidebar widgets of the image page. Each `*_ui()` returns plain values keyed
by ImageExperiment field; `load(spec)` puts a spec into the widgets. The layer
stack is a list of layer ids in session state, and each layer's widgets are
keyed by its id, so moving or removing a layer leaves the others' values alone.
"""

from __future__ import annotations

import itertools
from dataclasses import asdict

import streamlit as st

from playground.core import catalog
from playground.images.fit import fit_preset
from playground.images.layers import (
    LAYER_FIELDS,
    LAYER_KINDS,
    LAYER_LIMITS,
    MAX_IMAGE_LAYERS,
    PADDINGS,
    POOL_KINDS,
    POOL_LIMITS,
    ImageLayer,
)
from playground.images.presets import PRESETS
from playground.images.spec import DATASET_SIZES, ImageExperiment
from playground.images.worker import ImageWorker
from playground.ui.image_data import usable
from playground.ui.page import Task
from playground.ui.text import note_text, t
from playground.ui.widgets import Widgets

STACK_KEY = "img.stack"  # list of layer ids, in order
PRESET_NOTES = "img.preset_notes"  # what loading a preset changed besides the network
DATA_KEYS = ("dataset", "subset", "val_ratio", "test_ratio", "normalize", "seed")
LR_CHOICES = (0.00001, 0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0)
BATCH_CHOICES = (8, 16, 32, 64, 128, 256, 512, 1024)
DECAY_CHOICES = (0.0, 0.00001, 0.0001, 0.001, 0.01, 0.1)
MAX_STRIDE = 4  # a pool's stride may be larger in a link or a file, not in the widget
W = Widgets(ImageExperiment, "img.w.")
_ids = itertools.count(1)


def _layer(layer_id: int) -> Widgets:
    """One layer's widgets, keyed "img.l.<id>.<field>"."""
    return Widgets(ImageLayer, f"img.l.{layer_id}.")


def load(spec: ImageExperiment) -> None:
    """Seed every widget from `spec`; call before the widgets are drawn."""
    W.put({name: value for name, value in spec.to_dict().items() if name != "layers"})
    ids = [next(_ids) for _ in spec.layers]
    for layer_id, layer in zip(ids, spec.layers):
        _layer(layer_id).put(asdict(layer))
    st.session_state[STACK_KEY] = ids


IMAGES = Task("images", ImageExperiment, ImageWorker, "img.spec", load,
              notes_key="img.link_notes")


# ---- data ----------------------------------------------------------------------
def data_ui(spec: ImageExperiment) -> dict:
    W.seed(spec, "dataset", "subset", "val_ratio", "test_ratio", "normalize", "seed")
    dataset = W(st.selectbox, "dataset", t("img.field.dataset"),
                format_func=lambda d: t(f"img.dataset.{d}"), help=t("img.help.dataset"))
    size = DATASET_SIZES[dataset]
    if W["subset"] > size:
        W["subset"] = size
    subset = W(st.slider, "subset", t("img.field.subset"), min(500, size), size,
               step=100 if size > 5000 else 1, help=t("img.help.subset", size=f"{size:,}"))
    if subset == size and spec.subset > size:
        subset = spec.subset  # "all of them" here, and the same number on a larger set
    left, right = st.columns(2)
    val_ratio = W(left.slider, "val_ratio", t("img.field.val_ratio"), step=0.05)
    test_ratio = W(right.slider, "test_ratio", t("img.field.test_ratio"), step=0.05)
    normalize = W(st.toggle, "normalize", t("img.field.normalize"), help=t("img.help.normalize"))
    seed = W(st.number_input, "seed", t("field.seed"))
    return {"dataset": dataset, "subset": subset, "val_ratio": val_ratio,
            "test_ratio": test_ratio, "normalize": normalize, "seed": seed}


# ---- model ---------------------------------------------------------------------
def _load_preset() -> None:
    """The preset on the data the widgets show now (not the last accepted
    spec's, which may be older); a set it cannot use gives way to the MNIST
    sample, with a note shown under the preset."""
    spec = st.session_state[IMAGES.spec_key]
    shown = {name: W[name] for name in DATA_KEYS if name in W}
    current = ImageExperiment.parse({**spec.to_dict(), **shown})[0]
    fitted, notes = fit_preset(current, W["preset_choice"], usable)
    load(fitted)
    st.session_state[PRESET_NOTES] = notes


def _move(index: int, offset: int) -> None:
    ids = st.session_state[STACK_KEY]
    j = index + offset
    if 0 <= j < len(ids):
        ids[index], ids[j] = ids[j], ids[index]


def _remove(index: int) -> None:
    del st.session_state[STACK_KEY][index]


def _add() -> None:
    layer_id = next(_ids)
    _layer(layer_id).put(asdict(ImageLayer(kind=W["add_kind"])))
    st.session_state[STACK_KEY].append(layer_id)


def model_ui(spec: ImageExperiment) -> dict:
    # The whole width for the names, so none is cut off; the long description under it.
    choice = st.selectbox(t("img.field.preset"), tuple(PRESETS), key=W.key("preset_choice"),
                          format_func=lambda p: t(f"img.preset.{p}"), help=t("img.help.preset"))
    st.caption(t(f"img.preset.{choice}.about"))
    st.button(t("img.button.load_preset"), on_click=_load_preset, key="img.load_preset",
              width="stretch")
    for note in st.session_state.pop(PRESET_NOTES, []):  # once, after the load
        st.info(note_text(note), icon=":material/swap_horiz:")
    if STACK_KEY not in st.session_state:
        load(spec)
    ids = st.session_state[STACK_KEY]
    layers = [_layer_ui(index, layer_id, len(ids)) for index, layer_id in enumerate(ids)]
    if not ids:
        st.caption(t("img.no_layers"))
    add, button = st.columns([3, 2], vertical_alignment="bottom")
    add.selectbox(t("img.field.add_kind"), LAYER_KINDS, key=W.key("add_kind"),
                  format_func=lambda k: t(f"img.kind.{k}"))
    button.button(t("img.button.add"), on_click=_add, icon=":material/add:", key="img.add",
                  width="stretch", disabled=len(ids) >= MAX_IMAGE_LAYERS)
    # The preset last loaded names the spec; parsing makes it "custom" once a value differs.
    return {"layers": layers, "preset": W.get("preset", spec.preset)}


def _layer_ui(index: int, layer_id: int, count: int) -> dict:
    w = _layer(layer_id)
    with st.container(border=True, key=f"img.layer.{layer_id}"):
        # The layer's name and its buttons on one row, the kind below at full
        # width: beside three buttons a select box cuts "MaxPool2D" off.
        head, up, down, remove = st.columns([5, 1, 1, 1], vertical_alignment="center", gap="small")
        label = t("img.field.layer", i=index + 1)
        head.markdown(f"**{label}**")
        up.button("", icon=":material/arrow_upward:", key=f"img.up.{layer_id}",
                  on_click=_move, args=(index, -1), disabled=index == 0, help=t("img.help.up"))
        down.button("", icon=":material/arrow_downward:", key=f"img.down.{layer_id}",
                    on_click=_move, args=(index, 1), disabled=index == count - 1,
                    help=t("img.help.down"))
        remove.button("", icon=":material/delete:", key=f"img.remove.{layer_id}",
                      on_click=_remove, args=(index,), help=t("img.help.remove"))
        kind = w(st.selectbox, "kind", label, LAYER_KINDS, label_visibility="collapsed",
                 format_func=lambda v: t(f"img.kind.{v}"))
        values, names = {"kind": kind}, LAYER_FIELDS[kind]
        # Numbers side by side, then each select box at the full width: two
        # to a row cut "Leaky ReLU", even "Sigmoid", off in the sidebar.
        selects = [n for n in names if n in ("padding", "activation")]
        numbers = [n for n in names if n not in selects]
        boxes = dict(zip(numbers, st.columns(len(numbers)))) if numbers else {}
        boxes.update(dict.fromkeys(selects, st))  # drawn in order, below the numbers
        for name in names:
            box, label = boxes[name], t(f"img.param.{name}")
            if name == "padding":
                values[name] = w(box.selectbox, name, label, PADDINGS,
                                 format_func=lambda v: t(f"img.padding.{v}"))
            elif name == "activation":
                values[name] = w(box.selectbox, name, label, tuple(catalog.ACTIVATIONS),
                                 format_func=lambda a: t(f"activation.{a}"))
            else:
                lo, hi = (POOL_LIMITS if kind in POOL_KINDS else LAYER_LIMITS)[name]
                pool_stride = name == "stride" and kind in POOL_KINDS
                values[name] = w(box.slider if name == "rate" else box.number_input, name, label,
                                 lo, min(hi, MAX_STRIDE) if name == "stride" else hi,
                                 step=0.05 if name == "rate" else None,
                                 help=t(f"img.help.stride_{kind}") if pool_stride else None)
        return values


# ---- training ------------------------------------------------------------------
def training_ui(spec: ImageExperiment, cuda: bool) -> dict:
    W.seed(spec, "optimizer", "lr", "batch_size", "weight_decay", "max_epochs", "early_stopping",
           "patience", "augment", "mixed_precision")
    if not cuda:
        W["mixed_precision"] = False
    return {  # in the order drawn
        "optimizer": W(st.selectbox, "optimizer", t("field.optimizer"),
                       format_func=lambda n: t(f"optimizer.{n}"), help=t("help.optimizer")),
        "lr": W(st.select_slider, "lr", t("field.lr"), W.steps("lr", LR_CHOICES),
                format_func=lambda v: f"{v:g}", help=t("help.lr")),
        "batch_size": W(st.select_slider, "batch_size", t("field.batch_size"),
                        W.steps("batch_size", BATCH_CHOICES), help=t("help.batch_size")),
        "weight_decay": W(st.select_slider, "weight_decay", t("img.field.weight_decay"),
                          W.steps("weight_decay", DECAY_CHOICES),
                          format_func=lambda v: f"{v:g}", help=t("img.help.weight_decay")),
        "max_epochs": W(st.number_input, "max_epochs", t("img.field.max_epochs")),
        "early_stopping": (early := W(st.toggle, "early_stopping", t("img.field.early_stopping"),
                                      help=t("img.help.early_stopping"))),
        "patience": W(st.number_input, "patience", t("img.field.patience"), disabled=not early,
                      help=t("img.help.patience")),
        "augment": W(st.toggle, "augment", t("img.field.augment"), help=t("img.help.augment")),
        "mixed_precision": W(st.toggle, "mixed_precision", t("img.field.mixed_precision"),
                             disabled=not cuda, help=t("img.help.mixed_precision")),
    }


def problem_text(problem) -> str:
    """A summary Problem as a sentence that says what to change."""
    detail = {k: "×".join(map(str, v)) if isinstance(v, tuple) else v
              for k, v in problem.detail.items()}
    if "kind" in detail:
        detail["kind"] = t(f"img.kind.{detail['kind']}")
    if isinstance(detail.get("kernel"), int):  # a square window: "2×2", not "2"
        detail["kernel"] = f"{detail['kernel']}×{detail['kernel']}"
    for name in ("params", "limit"):
        if name in detail:
            detail[name] = f"{detail[name]:,}"
    layer = "" if problem.layer_index is None else problem.layer_index + 1
    return t(f"img.problem.{problem.code}", layer=layer, **detail)
