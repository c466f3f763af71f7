"""Experiment.parse: clamping, replacing, notes; URL and JSON round trips."""

from __future__ import annotations

import json
from dataclasses import fields, replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from playground.core import catalog
from playground.core.fields import Note
from playground.dense.spec import MAX_HIDDEN_LAYERS, MAX_WIDTH, Experiment, Layer

FIELDS = {f.name: f for f in fields(Experiment)}
NUMERIC = [name for name, f in FIELDS.items() if "min" in f.metadata]
CHOICE = [name for name, f in FIELDS.items() if "choices" in f.metadata]
BOOLS = [name for name, f in FIELDS.items() if isinstance(f.default, bool)]


def codes(notes: list[Note]) -> list[str]:
    return [n.code for n in notes]


# ---- defaults -----------------------------------------------------------------
def test_defaults_are_valid():
    spec, notes = Experiment.parse({})
    assert spec == Experiment()
    assert notes == []
    assert Experiment.parse(Experiment().to_dict()) == (Experiment(), [])
    assert Experiment().to_query() == {}


def test_default_values():
    spec = Experiment()
    assert spec.dataset == "spiral"
    assert spec.hidden == (Layer(8, "tanh"), Layer(8, "tanh"))
    assert spec.features == ("x1", "x2")
    assert spec.loss == "bce"
    assert spec.problem == "binary"
    assert spec.classes == 2
    assert spec.n_train == 200


def test_field_tables_match_the_catalog():
    assert FIELDS["dataset"].metadata["choices"] == tuple(catalog.DATASETS)
    assert FIELDS["loss"].metadata["choices"] == tuple(catalog.LOSSES)
    assert FIELDS["optimizer"].metadata["choices"] == catalog.OPTIMIZERS
    assert FIELDS["init"].metadata["choices"] == catalog.INITS
    assert FIELDS["regularization"].metadata["choices"] == catalog.REGULARIZERS
    assert sorted(NUMERIC) == sorted(
        ["n_classes", "noise", "n_samples", "train_ratio", "seed", "lr", "momentum",
         "batch_size", "reg_rate", "dropout", "patience"]
    )
    assert sorted(BOOLS) == ["discretize", "early_stopping", "nesterov", "show_test"]


@pytest.mark.parametrize(
    "dataset,n_classes,classes,problem",
    [("circle", 4, 2, "binary"), ("blobs", 4, 4, "multiclass"), ("bump", 5, 0, "regression")],
)
def test_derived_problem_and_classes(dataset, n_classes, classes, problem):
    loss = catalog.DEFAULT_LOSS[problem]
    spec = Experiment(dataset=dataset, n_classes=n_classes, loss=loss)
    assert spec.problem == problem
    assert spec.classes == classes


@pytest.mark.parametrize(
    "n_samples,ratio,n_train", [(400, 0.5, 200), (50, 0.1, 5), (2000, 0.9, 1800), (51, 0.5, 26)]
)
def test_n_train(n_samples, ratio, n_train):
    spec = Experiment(n_samples=n_samples, train_ratio=ratio)
    assert spec.n_train == n_train
    assert 1 <= spec.n_train <= n_samples - 1


# ---- numbers ------------------------------------------------------------------
@pytest.mark.parametrize("name", [n for n in NUMERIC if n != "batch_size"])
@pytest.mark.parametrize("side", ["above", "below"])
def test_out_of_range_numbers_are_clamped(name, side):
    lo, hi = FIELDS[name].metadata["min"], FIELDS[name].metadata["max"]
    kind = type(FIELDS[name].default)
    raw, bound = (hi * 2 + 1, hi) if side == "above" else (lo - 1, lo)
    raw = kind(raw)
    for given_value in (raw, str(raw)):
        spec, notes = Experiment.parse({name: given_value})
        assert getattr(spec, name) == bound
        assert type(getattr(spec, name)) is kind
        assert notes == [Note("clamped", name, str(raw), str(kind(bound)))]


@pytest.mark.parametrize("name", NUMERIC)
def test_in_range_numbers_pass_unchanged(name):
    lo, hi = FIELDS[name].metadata["min"], FIELDS[name].metadata["max"]
    kind = type(FIELDS[name].default)
    for value in (lo, hi):
        extra = {"n_samples": 2000, "train_ratio": 0.9} if name == "batch_size" else {}
        if name == "batch_size" and value == hi:
            continue  # larger than any train set: covered by the batch-size tests
        spec, notes = Experiment.parse({name: str(kind(value)), **extra})
        assert getattr(spec, name) == value
        assert notes == []


def test_numbers_accept_json_types_and_integral_floats():
    spec, notes = Experiment.parse({"n_samples": 300.0, "lr": 1, "seed": "42", "noise": "0.25"})
    assert notes == []
    assert (spec.n_samples, spec.lr, spec.seed, spec.noise) == (300, 1.0, 42, 0.25)
    assert type(spec.n_samples) is int and type(spec.lr) is float


def test_infinity_is_clamped_for_floats():
    spec, notes = Experiment.parse({"lr": "inf", "noise": "-inf"})
    assert (spec.lr, spec.noise) == (10.0, 0.0)
    assert codes(notes) == ["clamped", "clamped"]


@pytest.mark.parametrize("name", NUMERIC)
@pytest.mark.parametrize("garbage", ["abc", "", "nan", "1,5", "[1]", "0x10", None, True, [3]])
def test_garbage_numbers_give_bad_value_and_default(name, garbage):
    spec, notes = Experiment.parse({name: garbage})
    assert getattr(spec, name) == FIELDS[name].default
    assert notes[0].code == "bad_value"
    assert notes[0].field == name
    assert notes[0].fixed == str(FIELDS[name].default)
    assert len(notes) == 1


@pytest.mark.parametrize("name", [n for n in NUMERIC if isinstance(FIELDS[n].default, int)])
@pytest.mark.parametrize("raw", ["3.5", 2.5, "1e400", "inf"])
def test_non_integral_values_for_integer_fields_are_bad(name, raw):
    spec, notes = Experiment.parse({name: raw})
    assert getattr(spec, name) == FIELDS[name].default
    assert codes(notes) == ["bad_value"]


@pytest.mark.parametrize("name", NUMERIC)
@pytest.mark.parametrize("text", ["５", "1_0", "٣", "\u00a01", "２.５"])
def test_numbers_in_other_scripts_or_with_underscores_are_noted(name, text):
    """A link's numbers are read as the page writes them (ASCII), not guessed."""
    spec, notes = Experiment.parse({name: text})
    assert getattr(spec, name) == FIELDS[name].default
    assert notes == [Note("bad_value", name, text, str(FIELDS[name].default))]


# ---- booleans -----------------------------------------------------------------
@pytest.mark.parametrize("name", ["show_test", "discretize"])
@pytest.mark.parametrize(
    "raw,value",
    [("1", True), ("true", True), ("YES", True), (" on ", True), (True, True),
     ("0", False), ("false", False), ("No", False), ("off", False), ("", False), (False, False)],
)
def test_booleans(name, raw, value):
    spec, notes = Experiment.parse({name: raw})
    assert getattr(spec, name) is value
    assert notes == []


@pytest.mark.parametrize("name", BOOLS)
def test_an_empty_boolean_keeps_the_default(name):
    """`?show_test=` says nothing (the image page's normalize, on by default,
    tests the other side)."""
    assert Experiment.parse({name: " "}) == (Experiment(), [])


@pytest.mark.parametrize("name", BOOLS)
@pytest.mark.parametrize("garbage", ["maybe", "2", "tru", None, 1.5])
def test_garbage_booleans_give_bad_value(name, garbage):
    spec, notes = Experiment.parse({name: garbage})
    assert getattr(spec, name) is False
    assert notes[0] == Note("bad_value", name, str(garbage), "0")


# ---- names --------------------------------------------------------------------
@pytest.mark.parametrize("name", CHOICE)
@pytest.mark.parametrize("raw", ["nope", "", "SGD", None, 3])
def test_unknown_names_give_unknown_and_default(name, raw):
    spec, notes = Experiment.parse({name: raw})
    assert getattr(spec, name) == FIELDS[name].default
    assert notes[0] == Note("unknown", name, str(raw), FIELDS[name].default)


@pytest.mark.parametrize("name", CHOICE)
def test_every_known_name_is_accepted(name):
    for choice in FIELDS[name].metadata["choices"]:
        raw = {name: choice}
        if name == "loss":  # pair each loss with a dataset it suits
            raw["dataset"] = "bump" if choice in ("mse", "huber") else "circle"
        if name == "dataset":  # and each dataset with its first loss
            raw["loss"] = catalog.DEFAULT_LOSS[catalog.DATASETS[choice].problem]
        spec, notes = Experiment.parse(raw)
        assert getattr(spec, name) == choice
        assert notes == []


def test_unknown_dataset_and_optimizer():
    spec, notes = Experiment.parse({"dataset": "mnist", "optimizer": "lbfgs"})
    assert (spec.dataset, spec.optimizer) == ("spiral", "adam")
    assert notes == [Note("unknown", "dataset", "mnist", "spiral"),
                     Note("unknown", "optimizer", "lbfgs", "adam")]


def test_unknown_keys_are_ignored_with_a_note():
    spec, notes = Experiment.parse({"colour": "red", "lr": "0.1", "Dataset": "xor"})
    assert spec == Experiment(lr=0.1)
    assert notes == [Note("ignored", "colour", "red"), Note("ignored", "Dataset", "xor")]


def test_long_values_are_shortened_in_notes():
    spec, notes = Experiment.parse({"dataset": "x" * 100})
    assert len(notes[0].value) == 40
    assert notes[0].value.endswith("…")


# ---- combinations -------------------------------------------------------------
@pytest.mark.parametrize(
    "dataset,loss,fixed",
    [("circle", "mse", "bce"), ("xor", "huber", "bce"), ("blobs", "bce", "ce"),
     ("blobs", "tanh_mse", "ce"), ("blobs", "mse", "ce"), ("plane", "bce", "mse"),
     ("bump", "ce", "mse"), ("plane", "tanh_mse", "mse")],
)
def test_incompatible_loss_is_replaced(dataset, loss, fixed):
    spec, notes = Experiment.parse({"dataset": dataset, "loss": loss})
    assert spec.loss == fixed
    assert notes == [Note("incompatible_loss", "loss", loss, fixed)]


@pytest.mark.parametrize(
    "dataset,loss",
    [("spiral", "ce"), ("moons", "tanh_mse"), ("blobs", "ce"), ("plane", "huber"), ("bump", "mse")],
)
def test_compatible_loss_is_kept(dataset, loss):
    spec, notes = Experiment.parse({"dataset": dataset, "loss": loss})
    assert spec.loss == loss
    assert notes == []


def test_dataset_alone_takes_its_problems_usual_loss_silently():
    # No loss was asked for, so nothing was refused: no note.
    spec, notes = Experiment.parse({"dataset": "blobs"})
    assert spec.loss == "ce"
    assert notes == []
    spec, notes = Experiment.parse({"dataset": "bump"})
    assert spec.loss == "mse"
    assert notes == []


@pytest.mark.parametrize(
    "raw",
    [{"optimizer": "sgd", "momentum": "0"}, {"optimizer": "adam", "momentum": "0.9"},
     {"optimizer": "rmsprop", "momentum": "0.5"}, {}],
)
def test_nesterov_without_sgd_momentum_is_refused(raw):
    spec, notes = Experiment.parse({**raw, "nesterov": "1"})
    assert spec.nesterov is False
    assert notes == [Note("nesterov_needs_momentum", "nesterov", "1", "0")]


def test_nesterov_with_sgd_momentum_is_kept():
    spec, notes = Experiment.parse({"optimizer": "sgd", "momentum": "0.9", "nesterov": "1"})
    assert spec.nesterov is True
    assert notes == []


def test_batch_larger_than_train_set_is_clamped():
    spec, notes = Experiment.parse({"n_samples": "100", "train_ratio": "0.5", "batch_size": "80"})
    assert spec.batch_size == 50
    assert notes == [Note("clamped", "batch_size", "80", "50")]


def test_batch_clamped_twice_reports_both_steps():
    spec, notes = Experiment.parse({"batch_size": "5000"})
    assert spec.batch_size == 200
    assert notes == [Note("clamped", "batch_size", "5000", "2000"),
                     Note("clamped", "batch_size", "2000", "200")]


def test_batch_equal_to_train_set_is_fine():
    spec, notes = Experiment.parse({"n_samples": "100", "train_ratio": "0.5", "batch_size": "50"})
    assert spec.batch_size == 50
    assert notes == []


# ---- hidden layers ------------------------------------------------------------
def test_hidden_from_string():
    spec, notes = Experiment.parse({"hidden": "4-relu, 3-sigmoid,2-linear"})
    assert spec.hidden == (Layer(4, "relu"), Layer(3, "sigmoid"), Layer(2, "linear"))
    assert notes == []


@pytest.mark.parametrize("raw", ["", "none", " none ", [], ()])
def test_no_hidden_layers(raw):
    spec, notes = Experiment.parse({"hidden": raw})
    assert spec.hidden == ()
    assert notes == []


def test_hidden_from_json_shapes():
    raw = [[4, "relu"], {"width": 3, "activation": "elu"}, Layer(2, "gelu"), "5-silu", {}]
    spec, notes = Experiment.parse({"hidden": raw})
    assert spec.hidden == (Layer(4, "relu"), Layer(3, "elu"), Layer(2, "gelu"),
                           Layer(5, "silu"), Layer(8, "tanh"))
    assert notes == []


def test_too_many_hidden_layers_are_truncated():
    raw = ",".join(f"{w}-relu" for w in range(1, 13))
    spec, notes = Experiment.parse({"hidden": raw})
    assert len(spec.hidden) == MAX_HIDDEN_LAYERS == 8
    assert [layer.width for layer in spec.hidden] == list(range(1, 9))
    assert notes == [Note("too_many_layers", "hidden", "12", "8")]


def test_too_many_hidden_layers_from_a_list():
    spec, notes = Experiment.parse({"hidden": [[3, "tanh"]] * 9})
    assert spec.hidden == (Layer(3, "tanh"),) * 8
    assert codes(notes) == ["too_many_layers"]


@pytest.mark.parametrize(
    "raw,width,code",
    [("0-relu", 1, "clamped"), ("-3", 8, "bad_value"), ("65-relu", MAX_WIDTH, "clamped"),
     ("1000-relu", 64, "clamped"), ("x-relu", 8, "bad_value"), ("2.5-relu", 8, "bad_value")],
)
def test_widths_are_clamped_to_1_64(raw, width, code):
    spec, notes = Experiment.parse({"hidden": raw})
    assert len(spec.hidden) == 1
    assert spec.hidden[0].width == width
    assert notes[0].code == code


def test_width_limits_are_kept():
    spec, notes = Experiment.parse({"hidden": "1-relu,64-relu"})
    assert [layer.width for layer in spec.hidden] == [1, 64]
    assert notes == []


def test_unknown_activation_becomes_tanh():
    spec, notes = Experiment.parse({"hidden": "4-swish,4"})
    assert spec.hidden == (Layer(4, "tanh"), Layer(4, "tanh"))
    assert notes == [Note("unknown", "activation", "swish", "tanh")]


@pytest.mark.parametrize("raw", [5, None, {"a": 1}, True])
def test_hidden_of_the_wrong_type_keeps_the_default(raw):
    spec, notes = Experiment.parse({"hidden": raw})
    assert spec.hidden == Experiment().hidden
    assert codes(notes) == ["bad_value"]


def test_malformed_layer_items_are_dropped():
    spec, notes = Experiment.parse({"hidden": [[4, "relu"], [1, 2, 3], None, 7]})
    assert spec.hidden == (Layer(4, "relu"),)
    assert codes(notes) == ["bad_layer"] * 3


# ---- features -----------------------------------------------------------------
def test_features_are_canonical_and_deduplicated():
    spec, notes = Experiment.parse({"features": "sin_x2,x1,x1_sq,x1"})
    assert spec.features == ("x1", "x1_sq", "sin_x2")
    assert notes == []


def test_features_from_a_list():
    spec, notes = Experiment.parse({"features": ["x2", "x1_x2"]})
    assert spec.features == ("x2", "x1_x2")
    assert notes == []


def test_unknown_features_are_dropped_with_a_note():
    spec, notes = Experiment.parse({"features": "x1,x3"})
    assert spec.features == ("x1",)
    assert notes == [Note("unknown_feature", "features", "x3")]


@pytest.mark.parametrize("raw", ["", "none", "x9", [], None, 5])
def test_no_usable_features_falls_back_to_x1_x2(raw):
    spec, notes = Experiment.parse({"features": raw})
    assert spec.features == ("x1", "x2")
    assert notes and notes[-1].code in ("no_features", "bad_value")


# ---- serialising --------------------------------------------------------------
HAND_MADE = [
    Experiment(),
    Experiment(dataset="blobs", n_classes=5, loss="ce", noise=0.35, seed=99),
    Experiment(dataset="plane", loss="huber", hidden=(), features=("x1",), lr=1e-05),
    Experiment(dataset="bump", loss="mse", hidden=(Layer(64, "relu"),) * 8, init="he",
               optimizer="rmsprop", momentum=0.5, n_samples=2000, batch_size=1800,
               train_ratio=0.9),
    Experiment(dataset="xor", loss="tanh_mse", optimizer="sgd", momentum=0.99, nesterov=True,
               features=catalog.FEATURE_NAMES, regularization="l1", reg_rate=0.003,
               show_test=True, discretize=True),
    Experiment(dataset="moons", loss="ce", hidden=(Layer(1, "softplus"), Layer(3, "gelu")),
               lr=0.1 + 0.2, train_ratio=0.1, n_samples=50, batch_size=5, seed=2**31 - 1,
               init="zeros", regularization="l2", reg_rate=1.0),
]


@pytest.mark.parametrize("spec", HAND_MADE)
def test_url_round_trip(spec):
    query = spec.to_query()
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in query.items())
    assert Experiment.from_query(query) == (spec, [])


@pytest.mark.parametrize("spec", HAND_MADE)
def test_json_round_trip(spec):
    text = spec.to_json()
    json.loads(text)  # plain JSON
    assert Experiment.from_json(text) == (spec, [])
    assert Experiment.parse(spec.to_dict()) == (spec, [])


def test_query_holds_only_changed_fields():
    spec = Experiment(dataset="xor", show_test=True, hidden=(), lr=0.5)
    assert spec.to_query() == {"dataset": "xor", "show_test": "1", "hidden": "none", "lr": "0.5"}


def test_query_encodes_layers_and_features():
    spec = Experiment(hidden=(Layer(3, "relu"), Layer(2, "elu")), features=("x1", "sin_x1"))
    assert spec.to_query() == {"hidden": "3-relu,2-elu", "features": "x1,sin_x1"}


@pytest.mark.parametrize("text", ["", "not json", "{", "[1, 2]", "3", "null", '"x"', "NaN"])
def test_bad_json_gives_bad_file_and_defaults(text):
    spec, notes = Experiment.from_json(text)
    assert spec == Experiment()
    assert codes(notes) == ["bad_file"]


def test_deeply_nested_json_gives_bad_file():
    spec, notes = Experiment.from_json("[" * 100_000)
    assert codes(notes) == ["bad_file"]


# ---- properties ---------------------------------------------------------------
def _number(name):
    lo, hi = FIELDS[name].metadata["min"], FIELDS[name].metadata["max"]
    if isinstance(FIELDS[name].default, int):
        return st.integers(lo, hi)
    return st.floats(lo, hi, allow_nan=False)


@st.composite
def experiments(draw) -> Experiment:
    dataset = draw(st.sampled_from(list(catalog.DATASETS)))
    problem = catalog.DATASETS[dataset].problem
    loss = draw(st.sampled_from([k for k, h in catalog.LOSSES.items() if problem in h.problems]))
    feats = draw(st.sets(st.sampled_from(catalog.FEATURE_NAMES), min_size=1))
    hidden = draw(st.lists(
        st.builds(Layer, st.integers(1, MAX_WIDTH), st.sampled_from(list(catalog.ACTIVATIONS))),
        max_size=MAX_HIDDEN_LAYERS,
    ))
    optimizer = draw(st.sampled_from(catalog.OPTIMIZERS))
    momentum = draw(_number("momentum"))
    spec = Experiment(
        dataset=dataset,
        n_classes=draw(_number("n_classes")),
        noise=draw(_number("noise")),
        n_samples=draw(_number("n_samples")),
        train_ratio=draw(_number("train_ratio")),
        seed=draw(_number("seed")),
        features=tuple(f for f in catalog.FEATURE_NAMES if f in feats),
        hidden=tuple(hidden),
        loss=loss,
        init=draw(st.sampled_from(catalog.INITS)),
        optimizer=optimizer,
        lr=draw(_number("lr")),
        momentum=momentum,
        nesterov=optimizer == "sgd" and momentum > 0 and draw(st.booleans()),
        regularization=draw(st.sampled_from(catalog.REGULARIZERS)),
        reg_rate=draw(_number("reg_rate")),
        show_test=draw(st.booleans()),
        discretize=draw(st.booleans()),
    )
    return replace(spec, batch_size=draw(st.integers(1, spec.n_train)))


@settings(max_examples=300)
@given(experiments())
def test_valid_experiments_round_trip_through_the_url(spec):
    assert Experiment.parse(spec.to_dict()) == (spec, [])
    assert Experiment.from_query(spec.to_query()) == (spec, [])


@settings(max_examples=300)
@given(experiments())
def test_valid_experiments_round_trip_through_json(spec):
    assert Experiment.from_json(spec.to_json()) == (spec, [])


field_names = st.sampled_from(list(FIELDS))
junk_text = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["nan", "inf", "-inf", "1e400", "-0", "1_000", "none", " ", "0-relu,x",
                     "8-relu,,", "-5-relu", "x1,x1,none", "1", "0", "true", "3.0"]),
)


def _assert_fixed_point(spec, notes):
    assert isinstance(spec, Experiment)
    assert all(isinstance(n, Note) for n in notes)
    # Whatever came in, what comes out is valid: it parses back silently.
    assert Experiment.from_query(spec.to_query()) == (spec, [])
    assert Experiment.from_json(spec.to_json()) == (spec, [])


@settings(max_examples=400)
@given(st.dictionaries(st.one_of(field_names, st.text(max_size=10)), junk_text, max_size=12))
def test_arbitrary_string_dicts_never_raise(raw):
    _assert_fixed_point(*Experiment.from_query(raw))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=4),
    max_leaves=12,
)


@settings(max_examples=300)
@given(st.dictionaries(st.one_of(field_names, st.text(max_size=10)), json_values, max_size=12))
def test_arbitrary_json_values_never_raise(raw):
    _assert_fixed_point(*Experiment.parse(raw))


@settings(max_examples=200)
@given(st.text(max_size=60))
def test_arbitrary_json_text_never_raises(text):
    _assert_fixed_point(*Experiment.from_json(text))
