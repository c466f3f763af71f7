"""Spec fields written once: the generic parse, notes and the JSON and link round trip,
on a small spec of its own (the page specs have their own tests); how a link's
numbers, empty values and unreadable stacks are read; close keys for a typo."""

from __future__ import annotations

import json
from dataclasses import dataclass, fields

import pytest

from playground.core.fields import (
    Note,
    Spec,
    choice,
    close_key,
    encode,
    fit_batch,
    listed,
    number,
    parse_stack,
    parsed,
    plain,
)
from playground.dense.spec import Layer
from playground.dense.table_spec import TableExperiment


def _words(raw, notes):
    return parse_stack("words", raw, notes, ("a",), 3, lambda w, n: w.strip() or None)


@dataclass(frozen=True)
class Toy(Spec):
    name: str = ""  # free text: no metadata needed
    size: int = number(4, 1, 8)
    rate: float = number(0.5, 0.0, 1.0)
    mode: str = choice("a", ("a", "b"))
    on: bool = False
    words: tuple[str, ...] = parsed(("a",), _words)


@dataclass(frozen=True)
class KindToy(Toy):
    JSON_KIND = "toy"


def test_metadata_stays_on_the_dataclass_fields():
    meta = {f.name: dict(f.metadata) for f in fields(Toy)}
    assert meta["size"] == {"min": 1, "max": 8} and meta["mode"] == {"choices": ("a", "b")}
    assert meta["name"] == meta["on"] == {} and meta["words"] == {"parse": _words}


def test_each_kind_of_field_is_read_by_its_metadata():
    raw = {"name": " x ", "size": "99", "rate": "abc", "mode": "c", "on": "yes",
           "words": "p, ,q", "colour": "red"}
    spec, notes = Toy.parse(raw)
    assert spec == Toy(name="x", size=8, rate=0.5, mode="a", on=True, words=("p", "q"))
    assert notes == [Note("ignored", "colour", "red"), Note("clamped", "size", "99", "8"),
                     Note("bad_value", "rate", "abc", "0.5"), Note("unknown", "mode", "c", "a")]


def test_free_text_refuses_what_is_not_text_or_a_number():
    assert Toy.parse({"name": 3})[0].name == "3"
    assert Toy.parse({"name": True}) == (Toy(), [Note("bad_value", "name", "True", "")])
    assert Toy.parse({"name": [1]}) == (Toy(), [Note("bad_value", "name", "[1]", "")])


def test_stacks_are_cut_or_replaced_with_a_note():
    notes = []
    assert _words("a,b,c,d", notes) == ("a", "b", "c")
    assert _words(["x"], notes) == ("x",) and _words(" None ", notes) == ()
    assert _words(5, notes) == ("a",)
    assert notes == [Note("too_many_layers", "words", "4", "3"),
                     Note("bad_value", "words", "5", "a")]


def test_json_and_link_round_trip():
    spec = Toy(name="n", size=2, rate=0.1 + 0.2, on=True, words=())
    assert spec.to_query() == {"name": "n", "size": "2", "rate": "0.30000000000000004",
                               "on": "1", "words": "none"}
    assert Toy.from_query(spec.to_query()) == (spec, [])
    assert list(json.loads(spec.to_json())) == [f.name for f in fields(Toy)]
    assert Toy.from_json(spec.to_json()) == (spec, []) == Toy.parse(spec.to_dict())
    assert Toy().to_query() == {} and Toy.from_json("[1]")[1][0].code == "bad_file"


def test_a_json_kind_is_written_and_checked():
    text = KindToy(size=3).to_json()
    assert json.loads(text)["kind"] == "toy"
    assert KindToy.from_json(text) == (KindToy(size=3), [])
    assert KindToy.from_json('{"size": 3}') == (KindToy(size=3), [])  # older files have none
    assert KindToy.from_json('{"kind": "image"}') == (
        KindToy(), [Note("bad_file", "json", "not a toy experiment")])
    assert Toy.from_json('{"kind": "toy"}')[1] == [Note("ignored", "kind", "toy")]


def test_layers_write_themselves():
    layers = (Layer(3, "relu"), Layer(2, "elu"))
    assert encode(layers) == "3-relu,2-elu" and encode(()) == "none"
    assert plain(layers) == [[3, "relu"], [2, "elu"]] and plain(("x",)) == ["x"]
    assert (encode(True), encode(0.1), encode(7)) == ("1", "0.1", "7")


def test_table_experiment_round_trips_through_a_link_too():
    spec = TableExperiment(source="a.csv", target="y", features=("a", "b"), lr=0.1)
    assert spec.to_query() == {"source": "a.csv", "target": "y", "features": "a,b", "lr": "0.1"}
    assert TableExperiment.from_query({**spec.to_query(), "features": ["a", "b"]}) == (spec, [])


def test_fit_batch_clamps_to_the_training_part():
    @dataclass(frozen=True)
    class Batch(Spec):
        batch_size: int = number(4, 1, 100)
        n_train: int = 10

    notes = []
    assert fit_batch(Batch(batch_size=50), notes) == Batch(batch_size=10)
    assert notes == [Note("clamped", "batch_size", "50", "10")]
    assert fit_batch(Batch(batch_size=10), notes) == Batch(batch_size=10) and len(notes) == 1


# ---- what a link says, read as written ------------------------------------------------
@dataclass(frozen=True)
class Flags(Spec):
    normal: bool = True
    count: int = number(4, 1, 1000)
    words: tuple[str, ...] = parsed(("a",), _words)


@pytest.mark.parametrize("text,value,codes", [
    ("5", 5, []), (" 7 ", 7, []), ("+3", 3, []), ("5.", 5, []), ("5.0", 5, []),
    ("1e2", 100, []), ("1E+2", 100, []), ("-0", 1, ["clamped"]),
    ("1e400", 4, ["bad_value"])])  # inf is no whole number
def test_numbers_are_read_in_the_pages_ascii_form(text, value, codes):
    spec, notes = Flags.parse({"count": text})
    assert spec.count == value and [n.code for n in notes] == codes


@pytest.mark.parametrize("text", ["５", "1_000", "١٢", "\u00a05", "0x10", "1,5", "nan", "½",
                                  "5 5", "e5", ".", "--1", "Infinity5", "𝟓"])
def test_other_number_forms_are_noted_not_guessed(text):
    assert Flags.parse({"count": text}) == (Flags(), [Note("bad_value", "count", text, "4")])


def test_json_numbers_and_infinity_still_read():
    assert Flags.parse({"count": 12.0}) == (Flags(count=12), [])
    spec, notes = Toy.parse({"rate": "-Infinity"})
    assert spec.rate == 0.0 and notes == [Note("clamped", "rate", "-Infinity", "0.0")]


@pytest.mark.parametrize("raw", ["", " ", "\t"])
def test_an_empty_boolean_is_no_answer_and_keeps_the_default(raw):
    assert Flags.parse({"normal": raw}) == (Flags(), [])
    assert Toy.parse({"on": raw}) == (Toy(), [])


def test_a_boolean_still_reads_its_words():
    assert Flags.parse({"normal": "off"})[0].normal is False
    assert Flags.parse({"normal": "maybe"}) == (Flags(), [Note("bad_value", "normal", "maybe",
                                                                "1")])


def test_a_stack_with_nothing_readable_keeps_the_default_with_one_note():
    assert Flags.parse({"words": " , "}) == (Flags(), [Note("bad_value", "words", " , ", "a")])
    many = ",".join([" "] * 9)  # too many as well: still one note, about the whole value
    assert Flags.parse({"words": many}) == (Flags(), [Note("bad_value", "words", many, "a")])
    assert Flags.parse({"words": "none"}) == (Flags(words=()), [])  # no layers, as asked
    assert Flags.parse({"words": ""}) == (Flags(words=()), [])
    assert Flags.parse({"words": "b, "})[0].words == ("b",)  # something readable: kept


def test_link_keys_are_the_fields():
    assert Flags.link_keys() == ("normal", "count", "words")


def test_close_keys_come_from_names_and_labels():
    spellings = {"hidden": "hidden", "hidden layers": "hidden", "lr": "lr",
                 "learning rate": "lr", "dataset": "dataset"}
    assert close_key("layers", spellings) == "hidden"
    assert close_key("Learning_Rate", spellings) == "lr"
    assert close_key("Dataset", spellings) == "dataset"
    assert close_key("colour", spellings) is None and close_key("", spellings) is None


def test_listed_shortens_past_a_few():
    assert listed(["a", "b"]) == (["a", "b"], 0)
    assert listed(map(str, range(1100))) == (["0", "1", "2"], 1097)
