"""ImageExperiment.parse and ImageLayer: clamping, notes, presets, URL and JSON round trips."""

from __future__ import annotations

import json
from dataclasses import fields, replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from playground.core import catalog
from playground.core.fields import Note, short
from playground.images import presets as image_presets
from playground.images.layers import (
    DEFAULT_LAYERS,
    LAYER_KINDS,
    MAX_IMAGE_LAYERS,
    ImageLayer,
    encode_layers,
    parse_layer,
    parse_layers,
)
from playground.images.presets import (
    PRESET_KEYS,
    PRESET_SIZES,
    PRESETS,
    apply_preset,
    matches_preset,
)
from playground.images.spec import DATASET_SHAPES, DATASET_SIZES, ImageExperiment

FIELDS = {f.name: f for f in fields(ImageExperiment)}
NUMERIC = [name for name, f in FIELDS.items() if "min" in f.metadata]
CHOICE = [name for name, f in FIELDS.items() if "choices" in f.metadata]
BOOLS = [name for name, f in FIELDS.items() if isinstance(f.default, bool)]

conv = ImageLayer.conv
dense = ImageLayer.dense
pool = ImageLayer.pool


def codes(notes: list[Note]) -> list[str]:
    return [n.code for n in notes]


# ---- defaults and derived values ------------------------------------------------
def test_defaults_are_valid_and_round_trip():
    assert ImageExperiment.parse({}) == (ImageExperiment(), [])
    assert ImageExperiment.parse(ImageExperiment().to_dict()) == (ImageExperiment(), [])
    assert ImageExperiment().to_query() == {}
    spec = ImageExperiment()
    assert spec.dataset == "digits" and spec.subset == 5000 and spec.preset == "custom"
    assert spec.layers == (ImageLayer("flatten"), dense(64, "relu")) == DEFAULT_LAYERS


def test_field_tables():
    assert FIELDS["dataset"].metadata["choices"] == ("digits", "mnist_sample", "mnist", "fashion")
    assert FIELDS["optimizer"].metadata["choices"] == catalog.OPTIMIZERS
    assert FIELDS["preset"].metadata["choices"] == ("custom", *PRESETS)
    assert sorted(NUMERIC) == sorted(
        ["subset", "val_ratio", "test_ratio", "seed", "lr", "batch_size", "weight_decay",
         "patience", "max_epochs"]
    )  # fmt: skip
    assert sorted(BOOLS) == ["augment", "early_stopping", "mixed_precision", "normalize"]
    assert DATASET_SIZES == {"digits": 1797, "mnist_sample": 5000, "mnist": 70000,
                             "fashion": 70000}
    assert DATASET_SHAPES == {"digits": (1, 8, 8), "mnist_sample": (1, 28, 28),
                              "mnist": (1, 28, 28), "fashion": (1, 28, 28)}


@pytest.mark.parametrize(
    "dataset,subset,n_images",
    [("digits", 5000, 1797), ("digits", 500, 500), ("mnist", 5000, 5000),
     ("mnist_sample", 70000, 5000), ("mnist_sample", 1000, 1000),
     ("fashion", 70000, 70000)],
)  # fmt: skip
def test_n_images_is_capped_by_the_dataset_without_a_note(dataset, subset, n_images):
    spec, notes = ImageExperiment.parse({"dataset": dataset, "subset": subset})
    assert notes == [] and spec.subset == subset and spec.n_images == n_images
    assert spec.n_train + spec.n_val + spec.n_test == n_images
    assert spec.n_test == round(n_images * spec.test_ratio)
    assert spec.input_shape == DATASET_SHAPES[dataset] and spec.n_classes == 10


# ---- scalar fields ------------------------------------------------------------------
@pytest.mark.parametrize("name", [n for n in NUMERIC if n != "batch_size"])
@pytest.mark.parametrize("side", ["above", "below"])
def test_out_of_range_numbers_are_clamped(name, side):
    meta = FIELDS[name].metadata
    raw = meta["max"] * 2 + 1 if side == "above" else meta["min"] - 1
    expected = meta["max"] if side == "above" else meta["min"]
    for value in (raw, str(raw)):
        spec, notes = ImageExperiment.parse({name: value})
        assert getattr(spec, name) == expected
        assert codes(notes) == ["clamped"] and notes[0].field == name


@pytest.mark.parametrize("name", NUMERIC)
@pytest.mark.parametrize("garbage", ["abc", "", "nan", "[1]", None, True, [3]])
def test_garbage_numbers_give_bad_value_and_default(name, garbage):
    spec, notes = ImageExperiment.parse({name: garbage})
    assert getattr(spec, name) == FIELDS[name].default
    assert codes(notes) == ["bad_value"]


@pytest.mark.parametrize("name", BOOLS)
def test_booleans(name):
    assert getattr(ImageExperiment.parse({name: "1"})[0], name) is True
    assert getattr(ImageExperiment.parse({name: "off"})[0], name) is False
    spec, notes = ImageExperiment.parse({name: "maybe"})
    assert getattr(spec, name) == FIELDS[name].default and codes(notes) == ["bad_value"]


@pytest.mark.parametrize("name", CHOICE)
def test_unknown_names_give_unknown_and_default(name):
    spec, notes = ImageExperiment.parse({name: "nope"})
    assert getattr(spec, name) == FIELDS[name].default
    assert codes(notes) == ["unknown"]


def test_unknown_keys_are_ignored_with_a_note():
    spec, notes = ImageExperiment.parse({"colour": "red", "lr": "0.01"})
    assert spec.lr == 0.01 and notes == [Note("ignored", "colour", "red")]


def test_batch_size_is_clamped_to_the_training_part():
    spec, notes = ImageExperiment.parse({"subset": 500, "batch_size": 1024})
    assert spec.batch_size == spec.n_train == 350
    assert notes == [Note("clamped", "batch_size", "1024", "350")]


# ---- layers ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text,layer",
    [
        ("conv:32:3:1:valid:relu", conv(32, 3)),
        ("conv:8:5:2:same:tanh", conv(8, 5, 2, "same", "tanh")),
        ("maxpool:2:0", pool("maxpool", 2, 0)),
        ("avgpool:3:1", pool("avgpool", 3, 1)),
        ("dense:512:relu", dense(512)),
        ("dense:10:linear", dense(10, "linear")),
        ("flatten", ImageLayer("flatten")),
        ("dropout:0.25", ImageLayer("dropout", rate=0.25)),
        ("batchnorm", ImageLayer("batchnorm")),
    ],
)
def test_layer_text_form_round_trips(text, layer):
    notes = []
    assert layer.encode() == text
    assert parse_layer(text, notes) == layer
    assert parse_layer(layer.to_dict(), notes) == layer
    assert parse_layer(text.split(":"), notes) == layer
    assert parse_layer(layer, notes) == layer
    assert notes == []


def test_short_forms_take_defaults_pools_keras_style():
    notes = []
    assert parse_layer("maxpool", notes) == pool("maxpool", 2, 0)
    assert parse_layer("avgpool:3", notes).pool_stride == 3
    assert parse_layer("conv:16", notes) == conv(16, 3, 1, "valid", "relu")
    assert parse_layer("conv:16::2", notes) == conv(16, 3, 2)
    assert parse_layer(" Dense:32:ReLU ", notes) == dense(32, "relu")
    assert parse_layer({"kind": "dense"}, notes) == dense(64)
    assert parse_layer(["dense", 5], notes) == dense(5)
    assert notes == []


def test_irrelevant_fields_are_normalised():
    assert ImageLayer("flatten", units=3, rate=0.1) == ImageLayer("flatten")
    assert ImageLayer("maxpool", kernel=2, stride=0, filters=9, padding="same") == pool()
    notes = []
    layer = parse_layer(
        {"kind": "dense", "units": 8, "filters": 3, "kernel": 7, "activation": "tanh"}, notes
    )
    assert layer == dense(8, "tanh") and notes == []  # asdict() of a layer reads silently
    with pytest.raises(ValueError):
        ImageLayer("conv3d")


def test_kernel_and_stride_default_per_kind():
    assert ImageLayer("maxpool") == pool("maxpool", 2, 0) and ImageLayer("avgpool").pool_stride == 2
    assert ImageLayer("conv") == conv(32, 3, 1)
    assert (ImageLayer("conv").kernel, ImageLayer("conv").stride) == (3, 1)
    assert ImageLayer("dense").kernel == 3  # irrelevant fields hold the documented defaults


@pytest.mark.parametrize(
    "item", ["conv3d:32", "", "dense:1:relu:extra", 42, None, {"units": 3}, [], ["nope", 1]]
)
def test_unreadable_layers_are_left_out_with_a_note(item):
    notes = []
    assert parse_layer(item, notes) is None
    assert codes(notes) == ["bad_image_layer"] and notes[0].fixed == ""


@pytest.mark.parametrize(
    "item,layer,note",
    [
        ("conv:999:3", conv(256, 3), Note("clamped", "filters", "999", "256")),
        ("conv:8:13", conv(8, 11), Note("clamped", "kernel", "13", "11")),
        ("conv:8:3:0", conv(8, 3, 1), Note("clamped", "stride", "0", "1")),
        ("conv:8:3:1:full", conv(8), Note("unknown", "padding", "full", "valid")),
        ("dense:0:relu", dense(1), Note("clamped", "units", "0", "1")),
        ("dense:abc", dense(64), Note("bad_value", "units", "abc", "64")),
        ("dense:8:swish", dense(8), Note("unknown", "activation", "swish", "relu")),
        ("maxpool:9", pool("maxpool", 8, 0), Note("clamped", "kernel", "9", "8")),
        ("maxpool:2:-1", pool("maxpool", 2, 0), Note("clamped", "stride", "-1", "0")),
        ("dropout:1.5", ImageLayer("dropout", rate=0.9), Note("clamped", "rate", "1.5", "0.9")),
        ("dropout:2.5e", ImageLayer("dropout"), Note("bad_value", "rate", "2.5e", "0.5")),
    ],
)
def test_bad_layer_values_are_clamped_or_replaced(item, layer, note):
    notes = []
    assert parse_layer(item, notes) == layer
    assert notes == [note]


def test_unknown_keys_in_a_layer_dict_are_ignored_with_a_note():
    notes = []
    assert parse_layer({"kind": "dropout", "rate": 0.2, "seed": 3}, notes) == ImageLayer(
        "dropout", rate=0.2
    )
    assert notes == [Note("ignored", "layers.seed", "3")]


def test_layer_stacks():
    notes = []
    assert parse_layers("none", notes) == () == parse_layers("", notes) == parse_layers([], notes)
    stack = (conv(), pool(), ImageLayer("flatten"), ImageLayer("dropout"), dense(10))
    assert parse_layers(encode_layers(stack), notes) == stack
    assert parse_layers([layer.to_dict() for layer in stack], notes) == stack
    assert notes == []
    assert encode_layers(()) == "none"
    spec, notes = ImageExperiment.parse({"layers": "conv:8,bogus,dense:4"})
    assert spec.layers == (conv(8), dense(4)) and codes(notes) == ["bad_image_layer"]
    spec, notes = ImageExperiment.parse({"layers": 3})
    assert spec.layers == DEFAULT_LAYERS and codes(notes) == ["bad_value"]


@pytest.mark.parametrize("raw", ["garbage", "bogus:1,conv3d", " , ", ["nope", 7],
                                 ",".join(["x"] * 20)])
def test_a_stack_with_no_readable_layer_keeps_the_default_model(raw):
    """Garbage is not a request for logistic regression: the default stack,
    and one note that names the whole value."""
    spec, notes = ImageExperiment.parse({"layers": raw})
    assert spec.layers == DEFAULT_LAYERS
    assert notes == [Note("bad_value", "layers", short(raw), encode_layers(DEFAULT_LAYERS))]


@pytest.mark.parametrize("raw", ["none", "None", " none ", "", []])
def test_a_link_that_asks_for_no_layers_gets_logistic_regression(raw):
    assert ImageExperiment.parse({"layers": raw}) == (ImageExperiment(layers=()), [])


@pytest.mark.parametrize("raw,value", [("", True), (" ", True), ("0", False), ("off", False),
                                       ("1", True)])
def test_an_empty_normalize_keeps_it_on(raw, value):
    assert ImageExperiment.parse({"normalize": raw}) == (ImageExperiment(normalize=value), [])


def test_too_many_layers_are_cut_with_a_note():
    spec, notes = ImageExperiment.parse({"layers": ",".join(["dense:8"] * 15)})
    assert spec.layers == (dense(8),) * MAX_IMAGE_LAYERS
    assert notes == [Note("too_many_layers", "layers", "15", str(MAX_IMAGE_LAYERS))]


# ---- presets ------------------------------------------------------------------------
@pytest.mark.parametrize("name", PRESETS)
def test_presets_set_only_network_and_training(name):
    assert set(PRESETS[name]) <= set(PRESET_KEYS)
    start = ImageExperiment(dataset="fashion", subset=2000, seed=7, max_epochs=5)
    spec = apply_preset(start, name)
    assert spec.preset == name and matches_preset(spec, name)
    assert (spec.dataset, spec.subset, spec.seed, spec.max_epochs) == ("fashion", 2000, 7, 5)
    assert ImageExperiment.parse({"preset": name}) == (apply_preset(ImageExperiment(), name), [])
    assert image_presets.apply_preset(start, name) == spec  # the same function, importable there


def test_classic_preset_settings():
    mlp512 = apply_preset(ImageExperiment(), "mlp512")
    assert (mlp512.optimizer, mlp512.lr, mlp512.batch_size) == ("rmsprop", 0.001, 128)
    assert mlp512.layers == (dense(512, "relu"),)
    cnn = apply_preset(ImageExperiment(), "cnn")
    assert [layer.kind for layer in cnn.layers] == [
        "conv", "maxpool", "conv", "maxpool", "conv", "flatten", "dense"
    ]  # fmt: skip
    assert apply_preset(ImageExperiment(), "mlp64x2").lr == 0.01


def test_course_presets_set_their_epochs_and_need_28x28():
    course = ("mlp512", "mlp128", "mlp64x2", "cnn")
    for name in PRESETS:
        spec = apply_preset(ImageExperiment(max_epochs=17), name)
        if name in course:  # the published epoch count: 5 in the primers
            assert spec.max_epochs == 5 and PRESET_SIZES[name] == (28, 28), name
        else:  # the small ones keep the epochs set, and fit any image
            assert spec.max_epochs == 17 and PRESET_SIZES[name] is None, name
    assert set(PRESET_SIZES) == set(PRESETS)


def test_an_edited_preset_becomes_custom():
    spec = apply_preset(ImageExperiment(), "cnn")
    edited, notes = ImageExperiment.parse({**spec.to_dict(), "lr": 0.01})
    assert edited.preset == "custom" and edited.layers == spec.layers and notes == []
    linked, notes = ImageExperiment.parse({"preset": "cnn", "batch_size": "16"})
    assert linked.preset == "custom" and linked.layers == spec.layers and linked.batch_size == 16
    assert apply_preset(spec, "custom").preset == "custom"
    spec, notes = ImageExperiment.parse({"preset": "resnet50"})
    assert spec == ImageExperiment() and codes(notes) == ["unknown"]


# ---- round trips and fuzzing ----------------------------------------------------------
layer_st = st.one_of(
    st.builds(conv, st.integers(1, 256), st.integers(1, 11), st.integers(1, 4),
              st.sampled_from(["valid", "same"]), st.sampled_from(list(catalog.ACTIVATIONS))),
    st.builds(dense, st.integers(1, 1024), st.sampled_from(list(catalog.ACTIVATIONS))),
    st.builds(pool, st.sampled_from(["maxpool", "avgpool"]), st.integers(1, 8), st.integers(0, 8)),
    st.builds(ImageLayer, st.just("dropout"), rate=st.floats(0.0, 0.9)),
    st.sampled_from([ImageLayer("flatten"), ImageLayer("batchnorm")]),
)  # fmt: skip


def _value_st(f):
    if f.name == "layers":
        return st.lists(layer_st, max_size=MAX_IMAGE_LAYERS).map(tuple)
    if "choices" in f.metadata:
        return st.sampled_from(f.metadata["choices"])
    if isinstance(f.default, bool):
        return st.booleans()
    lo, hi = f.metadata["min"], f.metadata["max"]
    return st.integers(lo, hi) if isinstance(f.default, int) else st.floats(lo, hi)


spec_st = st.fixed_dictionaries({name: _value_st(f) for name, f in FIELDS.items()}).map(
    lambda values: ImageExperiment.parse(ImageExperiment(**values).to_dict())[0]
)


@settings(max_examples=150)
@given(spec_st, st.sampled_from(["custom", *PRESETS]))
def test_query_and_json_round_trip_exactly(spec, preset):
    if preset != "custom":
        spec = apply_preset(spec, preset)
    query = spec.to_query()
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in query.items())
    assert ImageExperiment.from_query(query) == (spec, [])
    assert ImageExperiment.from_json(spec.to_json()) == (spec, [])
    assert ImageExperiment.parse(json.loads(json.dumps(spec.to_dict()))) == (spec, [])


junk = st.one_of(st.text(max_size=30), st.sampled_from(["nan", "-inf", "1e400", ":,:", "none"]))
query_keys = st.sampled_from([*FIELDS, "bogus"])


@settings(max_examples=300)
@given(st.dictionaries(query_keys, junk, max_size=8))
def test_fuzzed_queries_never_raise_and_give_a_stable_spec(query):
    spec, _ = ImageExperiment.from_query(query)
    assert ImageExperiment.from_query(spec.to_query()) == (spec, [])


layer_keys = st.sampled_from(["kind", "units", "rate", "x"])
layer_junk = st.recursive(
    st.one_of(st.none(), st.integers(), st.floats(), st.text(max_size=20),
              st.sampled_from(LAYER_KINDS)),
    lambda inner: st.one_of(st.lists(inner, max_size=6), st.dictionaries(layer_keys, inner)),
    max_leaves=12,
)  # fmt: skip


@settings(max_examples=300)
@given(layer_junk)
def test_fuzzed_json_layers_never_raise(layers):
    spec, _ = ImageExperiment.parse({"layers": layers})
    assert len(spec.layers) <= MAX_IMAGE_LAYERS
    assert ImageExperiment.from_json(spec.to_json()) == (spec, [])


@pytest.mark.parametrize("text", ["{", "[1, 2]", "null", '"x"', "{\"lr\": }"])
def test_bad_json_files_leave_the_defaults(text):
    spec, notes = ImageExperiment.from_json(text)
    assert spec == ImageExperiment() and codes(notes) == ["bad_file"]


def test_to_query_lists_only_changes():
    spec = replace(ImageExperiment(), dataset="mnist", layers=(), augment=True, lr=0.0003)
    assert spec.to_query() == {"dataset": "mnist", "layers": "none", "augment": "1", "lr": "0.0003"}
