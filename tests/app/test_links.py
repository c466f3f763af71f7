"""Links as a class receives them: every link either works as written or the
page says plainly what it changed.

`asks` below is a reader of the link language of its own (the grammar the
README's "Link parameters" table documents: ASCII numbers in range, yes/no
words, names, layer stacks), independent of the parsers. A value it reads
differently from the page, or cannot read, must be named in a note. The heavy
fuzzing runs on the spec parsers; a few dozen whole links run through each
page under AppTest.
"""

from __future__ import annotations

import math
import re
import string
from dataclasses import fields
from pathlib import Path

import pytest
import streamlit as st
from hypothesis import Phase, given, settings
from hypothesis import strategies as hs
from pagetools import run
from streamlit.testing.v1 import AppTest

from playground.core import catalog
from playground.core.fields import Note
from playground.core.i18n import LANGUAGES, table, translate
from playground.dense.compare import SWEEPS, Comparison
from playground.dense.spec import (
    MAX_HIDDEN_LAYERS,
    MAX_POINTS,
    MAX_WIDTH,
    Experiment,
    Layer,
    Point,
)
from playground.images.layers import (
    BASE_DEFAULTS,
    DEFAULT_LAYERS,
    LAYER_FIELDS,
    LAYER_LIMITS,
    MAX_IMAGE_LAYERS,
    PADDINGS,
    POOL_KINDS,
    POOL_LIMITS,
    ImageLayer,
)
from playground.images.spec import ImageExperiment
from playground.lessons import LESSONS
from playground.ui.classroom import APP_KEYS, HIDABLE

ROOT = Path(__file__).resolve().parents[2]
LINK_ICON = ":material/link_off:"
LESSON_IDS = [item.id for item in LESSONS]

# ---- an independent reader of what a link asks for ------------------------------------
UNREADABLE = object()  # no reading of the documented grammar: the page must say so
NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|[+-]?inf(inity)?",
                    re.ASCII | re.IGNORECASE)


def number(text: str, kind: type, lo: float, hi: float):
    text = text.strip(string.whitespace)
    if not NUMBER.fullmatch(text):
        return UNREADABLE
    value = float(text)
    if kind is int and not (math.isfinite(value) and value == int(value)):
        return UNREADABLE
    return kind(value) if lo <= value <= hi else UNREADABLE  # out of range: a clamp, noted


def boolean(text: str, default: bool):
    word = text.strip().lower()
    if word in ("1", "true", "yes", "on", "0", "false", "no", "off"):
        return word in ("1", "true", "yes", "on")
    return default if word == "" else UNREADABLE


def hidden(text: str):
    if text.strip().lower() in ("", "none"):
        return ()
    items = text.split(",")
    layers = []
    for item in items:
        width, _, act = item.strip().partition("-")
        width = number(width, int, 1, MAX_WIDTH)
        act = act or "tanh"
        if width is UNREADABLE or act not in catalog.ACTIVATIONS:
            return UNREADABLE
        layers.append(Layer(width, act))
    return tuple(layers) if len(layers) <= MAX_HIDDEN_LAYERS else UNREADABLE


def image_layers(text: str):
    if text.strip().lower() in ("", "none"):
        return ()
    layers = []
    for item in text.split(","):
        kind, *values = item.strip().split(":")
        kind = kind.strip().lower()
        if kind not in LAYER_FIELDS or len(values) > len(LAYER_FIELDS[kind]):
            return UNREADABLE
        given = {}
        for name, value in zip(LAYER_FIELDS[kind], values):
            if not value.strip():
                continue  # left out: the kind's default
            if name in ("padding", "activation"):
                value = value.strip().lower()
                ok = value in (PADDINGS if name == "padding" else catalog.ACTIVATIONS)
                given[name] = value if ok else UNREADABLE
            else:
                lo, hi = (POOL_LIMITS if kind in POOL_KINDS else LAYER_LIMITS)[name]
                given[name] = number(value, float if name == "rate" else int, lo, hi)
        if UNREADABLE in given.values():
            return UNREADABLE
        layers.append(ImageLayer(kind, **given))
    return tuple(layers) if len(layers) <= MAX_IMAGE_LAYERS else UNREADABLE


def features(text: str):
    items = {x.strip() for x in text.split(",") if x.strip()}
    if not items or not items <= set(catalog.FEATURE_NAMES):
        return UNREADABLE
    return tuple(n for n in catalog.FEATURE_NAMES if n in items)


def points(text: str):
    if text.strip().lower() in ("", "none"):
        return ()
    found = []
    for item in text.split(","):
        parts = item.strip().split(":")
        if len(parts) != 3:
            return UNREADABLE
        x, y, label = number(parts[0], float, -6, 6), number(parts[1], float, -6, 6), \
            number(parts[2], int, 0, 4)
        if UNREADABLE in (x, y, label):
            return UNREADABLE
        found.append(Point(x, y, label))
    return tuple(found) if len(found) <= MAX_POINTS else UNREADABLE


STACKS = {"hidden": hidden, "layers": image_layers, "features": features, "points": points}


def asks(cls, key: str, text: str):
    """What the link's `key=text` asks `cls` for, or UNREADABLE."""
    f = {f.name: f for f in fields(cls)}[key]
    if "min" in f.metadata:
        return number(text, type(f.default), f.metadata["min"], f.metadata["max"])
    if "choices" in f.metadata:
        return text if text in f.metadata["choices"] else UNREADABLE
    if isinstance(f.default, bool):
        return boolean(text, f.default)
    return STACKS[key](text)


def differs(cls, key: str, text: str, spec) -> bool:
    asked = asks(cls, key, text)
    if key == "preset" and asked not in (UNREADABLE, "custom") and spec.preset == "custom":
        return False  # a preset's name is a label: other keys of the link changed its values
    return asked is UNREADABLE or getattr(spec, key) != asked


# Notes about one item of a stack name the item's field; they are about the stack.
PART_OF = {Experiment: {"width": "hidden", "activation": "hidden"},
           ImageExperiment: dict.fromkeys(BASE_DEFAULTS, "layers")}


def noted_keys(cls, notes: list[Note]) -> set[str]:
    return {PART_OF[cls].get(n.field, n.field) for n in notes}


def unnoted_changes(cls, query: dict[str, str], spec, notes: list[Note]) -> list[str]:
    """The link's keys whose value the page changed without a note."""
    names, noted = set(cls.link_keys()), noted_keys(cls, notes)
    ignored = {n.field for n in notes if n.code == "ignored"}
    return [key for key, text in query.items()
            if (key in names and differs(cls, key, text, spec) and key not in noted)
            or (key not in names and key not in ignored)]


# ---- what links are made of -----------------------------------------------------------
ODD_VALUES = [
    "", " ", "\t", "1e400", "-1e400", "nan", "NaN", "inf", "-inf", "+Infinity", "-5", "0", "1",
    "0.5", "3.0", "999999999999999999999", "５", "1_000", "١٢", "x" * 5000, "true", "off",
    "maybe", "none", "None", ",", "8-relu,4-tanh", "3", "2-linear,", "conv:8:3,maxpool,flatten",
    "dense:32", "conv:16:3:1:same:relu,avgpool:2:0,flatten,dropout:0.2,dense:10:elu",
    "garbage", "x1,sin_x1", "x1,x1", "spiral", "xor", "digits", "sgd", "adam", "mse", "lenet",
    "zh", "en", "data,network", "views,bogus", "forward_pass", LESSON_IDS[-1], "**bold**",
    "$x$", "[a](b)", "🙂", "é", "\u200b",
]
values = hs.one_of(hs.sampled_from(ODD_VALUES), hs.text(max_size=12))
ODD_KEYS = ["layers", "hidden", "Dataset", "learning_rate", "language", "foo", "a b", "é",
            "x" * 300, "**k**", ""]


def keys_of(names) -> hs.SearchStrategy[str]:
    return hs.one_of(hs.sampled_from([*names, *ODD_KEYS]), hs.text(min_size=1, max_size=8))


def spec_queries(cls):
    return hs.dictionaries(keys_of(cls.link_keys()), values, max_size=10)


@pytest.mark.parametrize("cls", [Experiment, ImageExperiment])
def test_every_changed_value_is_noted_by_the_spec(cls):
    @settings(max_examples=600)
    @given(spec_queries(cls))
    def check(query):
        spec, notes = cls.from_query(query)
        assert not unnoted_changes(cls, query, spec, notes), (query, spec, notes)

    check()


def test_the_reader_finds_what_the_old_parsers_did_silently():
    """Each of these changed a value without a word before; now each is noted."""
    old_silent = [(ImageExperiment, {"normalize": ""}), (ImageExperiment, {"layers": "garbage"}),
                  (Experiment, {"seed": "５"}), (Experiment, {"n_samples": "1_000"})]
    for cls, query in old_silent:
        spec, notes = cls.from_query(query)
        assert not unnoted_changes(cls, query, spec, notes)
    assert ImageExperiment.from_query({"normalize": ""}) == (ImageExperiment(), [])
    assert ImageExperiment.from_query({"layers": "garbage"})[0].layers == DEFAULT_LAYERS
    # The reader does tell a silent change from a noted one.
    assert unnoted_changes(Experiment, {"seed": "5"}, Experiment(seed=6), []) == ["seed"]
    assert unnoted_changes(Experiment, {"bogus": "1"}, Experiment(), []) == ["bogus"]


# ---- whole links through each page ----------------------------------------------------
PAGES = {  # page -> (script, spec class or None, spec key, notes key, keys it reads)
    "playground": (None, Experiment, "spec", "link_notes",
                   (*Experiment.link_keys(), *Comparison.link_keys())),
    "images": ("pages/images.py", ImageExperiment, "img.spec", "img.link_notes",
               ImageExperiment.link_keys()),
    "lessons": ("pages/lessons.py", None, None, "lesson.link_notes", ("lesson",)),
    "tables": ("pages/tables.py", None, None, "app.ignored.tables", ()),
}


def fragments(key: str) -> list[str]:
    """The fixed words of a message in every language, to find its boxes."""
    words = []
    for lang in LANGUAGES:
        parts = re.split(r"\{\w+\}", table(lang)[key])
        words.append(max(parts, key=len))
    return words


IGNORED = fragments("link.ignored_one") + fragments("link.ignored_many")


def link_boxes(at: AppTest) -> list[str]:
    return [w.value for w in at.warning if w.icon == LINK_ICON]


def link_queries(name: str):
    keys = keys_of([*PAGES[name][4], *APP_KEYS])
    single = hs.dictionaries(keys, values, max_size=8)
    repeated = hs.dictionaries(keys, hs.lists(values, min_size=2, max_size=3), max_size=2)
    many = hs.sampled_from([0, 0, 0, 300])  # now and then a long link of unknown keys

    def build(parts):
        one, twice, n = parts
        query = {**{f"zz{i}": "1" for i in range(n)}, **one, **twice}
        # The image sets that download stay out: a test has no network.
        return {k: v for k, v in query.items()
                if not (name == "images" and k == "dataset" and v in ("mnist", "fashion"))}

    return hs.tuples(single, repeated, many).map(build)


def check_page(at: AppTest, name: str, query: dict) -> None:
    script, cls, spec_key, notes_key, reads = PAGES[name]
    last = {k: (v[-1] if isinstance(v, list) else v) for k, v in query.items()}
    notes = at.session_state[notes_key] if notes_key in at.session_state else []
    app_notes = at.session_state["app.link_notes"]
    boxes = link_boxes(at)
    # One box for all the ignored keys, and only when there are some.
    unknown = [k for k in last if k not in reads and k not in APP_KEYS]
    ignored_boxes = [b for b in boxes if any(word in b for word in IGNORED)]
    assert len(ignored_boxes) == (1 if unknown else 0), (unknown, boxes)
    # Every note has its box; the ignored keys share one.
    shown = [n for n in notes if n.code != "ignored"] + app_notes
    repeated = [k for k, v in query.items() if isinstance(v, list)]
    assert len(boxes) == len(shown) + len(ignored_boxes) + (1 if repeated else 0), boxes
    assert sorted(at.session_state["app.link_repeated"]) == sorted(repeated)
    # Every value the page changed is named in a note.
    page_query = {k: v for k, v in last.items() if k not in APP_KEYS}
    if cls is Experiment:  # the comparison's keys: read by the comparison (see below)
        compared = {k: v for k, v in page_query.items() if k in Comparison.link_keys()}
        page_query = {k: v for k, v in page_query.items() if k not in compared}
        assert not unnoted_comparison(at, compared, notes), (compared, notes)
    if cls is not None:
        assert not unnoted_changes(cls, page_query, at.session_state[spec_key], notes)
    elif name == "lessons":
        asked = last.get("lesson") or LESSON_IDS[0]
        opened = at.session_state["lesson.choice"]
        assert asked == opened or ("lesson" in {n.field for n in notes}), (asked, opened)
    assert {n.field for n in notes if n.code == "ignored"} == set(unknown)
    # The app's own keys: read as written, or noted.
    app_noted = {n.field for n in app_notes}
    if "lang" in last:
        lang = at.session_state["lang"] if "lang" in at.session_state else "en"
        assert last["lang"] == lang or "lang" in app_noted
    groups = [g.strip() for g in last.get("hide", "").split(",") if g.strip()]
    assert set(groups) <= set(HIDABLE) or "hide" in app_noted
    present = boolean(last.get("present", ""), False)
    assert present == at.session_state["present"] or "present" in app_noted
    # The address bar keeps only what the page and the app read.
    assert set(at.query_params) <= {*reads, *APP_KEYS}, set(at.query_params) - {*reads, *APP_KEYS}


def unnoted_comparison(at: AppTest, query: dict[str, str], notes: list[Note]) -> list[str]:
    """The comparison keys (mode, runs, sweep ...) the 2D page changed without a note."""
    noted = {n.field for n in notes}
    sweep = at.session_state["cmp.sweep_spec"]
    setting = SWEEPS[sweep.sweep]
    asked = {"mode": at.session_state["cmp.mode"], "sweep": sweep.sweep,
             "sweep_n": sweep.sweep_n}
    changed = [key for key, value in asked.items()
               if key in query and asks(Comparison, key, query[key]) != value]
    for key in ("sweep_from", "sweep_to"):  # in the swept setting's own range; none for names
        if key in query and setting.scale != "choice":
            kind = int if setting.scale in ("int", "logint") else float
            if number(query[key], kind, setting.lo, setting.hi) != getattr(sweep, key):
                changed.append(key)
    runs = query.get("runs", "").strip()
    if "runs" in query and len(at.session_state["cmp.runs"]) != (
            0 if runs.lower() in ("", "none") else len(runs.split("|"))):
        changed.append("runs")  # a run left out
    return [key for key in changed if key not in noted]


@pytest.mark.parametrize("name", PAGES)
def test_any_link_renders_and_names_what_it_changed(open_page, name):
    # No shrinking: each example is a whole page run, and a failure shows its link.
    @settings(max_examples=25, derandomize=True, phases=[Phase.explicit, Phase.generate])
    @given(link_queries(name))
    def check(query):
        at = open_page(PAGES[name][0])
        at.query_params.update(query)
        try:
            run(at)  # no exception box
            check_page(at, name, query)
        finally:
            st.cache_resource.clear()  # this session's training process stops now

    check()


# ---- each case the issue lists, on its page --------------------------------------------
def boxes_for(open_page, page: str | None, query: dict) -> tuple[AppTest, list[str]]:
    at = open_page(page)
    at.query_params.update(query)
    run(at)
    return at, link_boxes(at)


def test_an_empty_normalize_keeps_it_on_and_garbage_layers_keep_the_model(open_page):
    at, boxes = boxes_for(open_page, "pages/images.py", {"normalize": "", "layers": "garbage"})
    spec = at.session_state["img.spec"]
    assert spec.normalize is True and spec.layers == DEFAULT_LAYERS
    assert boxes == [translate("note.bad_value", field=translate("param.layers"),
                               value="garbage", fixed="flatten,dense:64:relu")]
    assert at.toggle(key="img.w.normalize").value is True


def test_a_link_that_asks_for_no_layers_gets_logistic_regression(open_page):
    at, boxes = boxes_for(open_page, "pages/images.py", {"layers": "none"})
    assert at.session_state["img.spec"].layers == () and boxes == []
    assert at.query_params["layers"] == "none"


def test_an_unknown_lesson_opens_the_first_and_says_so(open_page):
    at, boxes = boxes_for(open_page, "pages/lessons.py", {"lesson": "bogus", "colour": "red"})
    first = translate(f"lesson.{LESSON_IDS[0]}.title")
    assert at.title[0].value == first
    assert translate("note.unknown", field=translate("param.lesson"), value="bogus",
                     fixed=first) in boxes
    assert len(boxes) == 2 and "“colour”" in boxes[1]
    assert dict(at.query_params) == {"lesson": LESSON_IDS[0]}  # colour left the address bar


def test_a_known_lesson_in_the_link_says_nothing(open_page):
    at, boxes = boxes_for(open_page, "pages/lessons.py", {"lesson": LESSON_IDS[-1]})
    assert at.session_state["lesson.choice"] == LESSON_IDS[-1] and boxes == []


def test_many_unknown_keys_share_one_short_note_and_leave_the_address(open_page):
    query = {f"key{i:04d}": f"value{i:05d}" for i in range(997)}  # ~20 kB
    at, boxes = boxes_for(open_page, None, {**query, "layers": "3", "seed": "7"})
    assert len(boxes) == 1, boxes[:3]
    assert translate("link.and_more", listed="", more="995").strip() in boxes[0]
    assert "998" in boxes[0]  # the count: 997 and layers
    assert at.session_state["spec"].seed == 7
    assert dict(at.query_params) == {"seed": "7"}


def test_streamlit_drops_a_query_of_more_than_1000_fields_whole(open_page):
    """Before the page runs (streamlit/runtime/state/query_params.py), so it
    cannot say so: the README documents the limit for teachers."""
    query = {f"key{i:04d}": "1" for i in range(1000)}
    at, boxes = boxes_for(open_page, None, {**query, "seed": "7"})
    assert at.session_state["spec"] == Experiment() and boxes == []


def test_an_unknown_key_is_no_setting_and_a_close_one_is_suggested(open_page):
    at, boxes = boxes_for(open_page, None, {"layers": "3-relu", "learning_rate": "0.1"})
    assert boxes == [translate("link.ignored_many", count="2", keys=", ".join([
        translate("link.did_you_mean", name="“layers”", close="hidden"),
        translate("link.did_you_mean", name="“learning\\_rate”", close="lr")]))]
    assert translate("param.layers") not in boxes[0]  # not titled as a setting of this page
    _, boxes = boxes_for(open_page, None, {"colour": "red"})
    assert boxes == [translate("link.ignored_one", keys="“colour”")]


def test_link_numbers_are_read_as_the_page_writes_them(open_page):
    at, boxes = boxes_for(open_page, None, {"seed": "５", "n_samples": "1_000", "lr": "0.5"})
    spec = at.session_state["spec"]
    assert (spec.seed, spec.n_samples, spec.lr) == (1, 400, 0.5)
    assert boxes == [translate("note.bad_value", field=translate("field.n_samples"),
                               value="1\\_000", fixed="400"),
                     translate("note.bad_value", field=translate("field.seed"), value="５",
                               fixed="1")]


def test_a_repeated_key_is_named_and_its_last_value_used(open_page):
    at, boxes = boxes_for(open_page, None, {"seed": ["3", "4"]})
    assert at.session_state["spec"].seed == 4
    assert boxes == [translate("link.repeated", keys="“seed”")]


def test_a_page_that_reads_no_link_says_so_once(open_page):
    at, boxes = boxes_for(open_page, "pages/tables.py", {"lr": "0.1", "lang": "en"})
    assert boxes == [translate("link.ignored_one", keys="“lr”")]
    assert dict(at.query_params) == {"lang": "en"}
    run(at)
    assert link_boxes(at) == boxes  # still said on the next run, not said twice


def test_link_text_is_shown_as_written_not_as_markdown(open_page):
    _, boxes = boxes_for(open_page, None, {"dataset": "**x**", "$y$": "1"})
    assert "“\\*\\*x\\*\\*”" in boxes[0] and "“\\$y\\$”" in boxes[1]


def test_the_app_keys_share_the_rules(open_page):
    """An empty yes/no is no answer; a long list of bad groups is one note."""
    at, boxes = boxes_for(open_page, None, {"present": "yes", "show_test": "",
                                            "hide": ",".join(f"g{i}" for i in range(40))})
    assert at.session_state["present"] is True and at.session_state["spec"] == Experiment()
    assert len(boxes) == 1 and "g0, g1, g2" in boxes[0] and "37" in boxes[0]


# ---- the README documents every key -----------------------------------------------------
def readme_tables() -> dict[str, dict[str, str]]:
    """README "Link parameters": page heading -> key -> its table row."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Link parameters\n", 1)[1].split("\n## ", 1)[0]
    pages = {}
    for part in section.split("\n### ")[1:]:
        heading, _, body = part.partition("\n")
        pages[heading] = {m.group(1): m.group(0)
                          for m in re.finditer(r"^\| `(\w+)` \|.*$", body, re.MULTILINE)}
    return pages


def written(value: float) -> str:
    """A range's end as the README writes it: 2,000 or 0.00001."""
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:.10f}".rstrip("0").rstrip(".")


def test_the_readme_lists_every_link_key_with_its_range():
    pages = readme_tables()
    assert set(pages["Every page"]) == set(APP_KEYS)
    assert set(pages["Lessons (`/lessons`)"]) == {"lesson"}
    assert all(f"`{i}`" in pages["Lessons (`/lessons`)"]["lesson"] for i in LESSON_IDS)
    assert pages["Your data (`/tables`)"] == {}
    compare = pages["Compare and sweep (on `/`)"]
    assert list(compare) == list(Comparison.link_keys())
    assert all(f"`{name}`" in compare["sweep"] for name in SWEEPS)
    assert all(f"`{mode}`" in compare["mode"] for mode in ("one", "compare", "sweep"))
    for heading, cls in [("2D playground (`/`)", Experiment), ("Images (`/images`)",
                                                                 ImageExperiment)]:
        rows = pages[heading]
        assert list(rows) == list(cls.link_keys()), heading
        for f in fields(cls):
            if "min" in f.metadata:
                span = f"{written(f.metadata['min'])} – {written(f.metadata['max'])}"
                assert span in rows[f.name], (rows[f.name], span)
            for name in f.metadata.get("choices", ()):
                assert f"`{name}`" in rows[f.name], (f.name, name)
