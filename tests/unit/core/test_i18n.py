"""Translations: every key the code asks for exists, every placeholder gets a
value, and lookups fall back to English and then to the key itself.

Keys are found by parsing the source (app.py, pages/, playground/) for calls to
t(...) / translate(...). A key built with an f-string is expanded over the
table its placeholder ranges over (DATASET_PREFIXES below); a new f-string key
family fails here until its value set is added.
"""

from __future__ import annotations

import ast
import json
import string
from dataclasses import fields
from pathlib import Path

import pytest

import playground.core.i18n as i18n
import playground.ui.image_controls as image_controls
import playground.ui.text as text_module
from playground.core import catalog
from playground.core.fields import Note
from playground.core.i18n import DEFAULT_LANG, LANGUAGES, has, table, translate
from playground.data.table_examples import EXAMPLES
from playground.dense.compare import MODES, SWEEPS, Comparison
from playground.dense.spec import Experiment
from playground.dense.table_spec import MISSING, TASKS
from playground.images import fit
from playground.images.layers import LAYER_KINDS
from playground.images.presets import PRESETS
from playground.images.spec import DATASET_SIZES, ImageExperiment
from playground.lessons import LESSONS
from playground.ui import compare as compare_ui
from playground.ui import lesson_aside
from playground.ui.classroom import HIDABLE, parse_app_query
from playground.ui.text import field_label, note_text

ROOT = Path(__file__).resolve().parents[3]
SOURCES = sorted([ROOT / "app.py", *(ROOT / "pages").rglob("*.py"),
                  *(ROOT / "playground").rglob("*.py")])
# Plumbing that passes keys through variables; its keys are tested below.
PASS_THROUGH = {ROOT / "playground" / "ui" / "text.py", ROOT / "playground" / "core" / "i18n.py"}
TRANSLATE_FUNCS = {"t", "translate", "template"}  # template(): filled later by a chart

PROBLEMS = tuple(sorted({info.problem for info in catalog.DATASETS.values()}))
LAYER_FIELDS = image_controls.LAYER_FIELDS
# Every Problem code image_model.summarize can report: Problem("<code>", ...) calls.
PROBLEM_CODES = tuple(sorted({
    node.args[0].value
    for node in ast.walk(ast.parse((ROOT / "playground" / "images" / "model.py").read_text()))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    and node.func.id == "Problem" and node.args and isinstance(node.args[0], ast.Constant)
}))


def _note_codes() -> set[str]:
    """Every Note code the code can produce: Note("<code>", ...) calls."""
    codes = set()
    for path in (ROOT / "playground").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id == "Note" and node.args):
                code = node.args[0]
                assert isinstance(code, ast.Constant), (
                    f"{path.name}:{node.lineno}: a Note code must be a literal")
                codes.add(code.value)
    return codes


NOTE_CODES = _note_codes()


def _coded_calls(path: Path, name: str) -> dict[str, set[str]]:
    """Every `name("<code>", ...)` call in a module: code -> the detail keys
    its calls pass (keywords, or the keys of a dict literal), intersected
    over the calls, so a message may only use keys every call provides."""
    found: dict[str, set[str]] = {}
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id == name and node.args
                and isinstance(node.args[0], ast.Constant)):
            continue
        keys = {k.arg for k in node.keywords if k.arg}
        if len(node.args) > 1 and isinstance(node.args[1], ast.Dict):
            keys |= {k.value for k in node.args[1].keys if isinstance(k, ast.Constant)}
        code = node.args[0].value
        found[code] = found[code] & keys if code in found else keys
    return found


TABLE_ERRORS = _coded_calls(ROOT / "playground" / "data" / "table.py", "TableError")
TABLE_NOTES = _coded_calls(ROOT / "playground" / "data" / "table.py", "TableNote")
EXPORT_ERRORS = {
    **_coded_calls(ROOT / "playground" / "dense" / "export.py", "ExportError"),
    **_coded_calls(ROOT / "playground" / "dense" / "onnx_export.py", "ExportError"),
}

STAT_COLUMNS = ("grad_norm", "weight_norm", "act_mean_abs", "inactive_share")

# What the placeholder in t(f"<prefix>{...}") ranges over.
PREFIX_VALUES: dict[str, tuple[str, ...]] = {
    "dataset.": tuple(catalog.DATASETS),
    "activation.": tuple(catalog.ACTIVATIONS),
    "loss.": tuple(catalog.LOSSES),
    "optimizer.": tuple(catalog.OPTIMIZERS),
    "init.": tuple(catalog.INITS),
    "reg.": tuple(catalog.REGULARIZERS),
    "feature.": tuple(catalog.FEATURE_NAMES),
    "problem.": PROBLEMS,
    "help.loss.": PROBLEMS,
    "chart.boundary_title.": PROBLEMS,
    "status.reason.": ("nan", "inf"),  # Trainer.diverged
    "status.lr_": ("high", "swings"),  # LossWarning.kind
    "note.": tuple(sorted(NOTE_CODES)),
    "field.": tuple(f.name for f in fields(Experiment)),
    "param.": tuple(f.name for f in fields(Experiment)),
    "inside.view.": ("network", "stats"),
    "inside.kind.": ("w", "b"),
    "inside.stat.": STAT_COLUMNS,
    "inside.stat_axis.": STAT_COLUMNS,
    "inside.hist.": ("weights", "grads"),
    "inside.": ("more", "edge", "node"),  # templates for the network figure
    # The image page.
    "img.dataset.": tuple(DATASET_SIZES),
    "img.preset.": tuple(PRESETS),
    "img.kind.": LAYER_KINDS,
    "img.param.": tuple(sorted({n for names in LAYER_FIELDS.values() for n in names})),
    "img.help.stride_": ("maxpool", "avgpool"),
    "img.padding.": ("valid", "same"),
    "img.report.": ("class", "precision", "recall", "f1", "support"),
    "img.problem.": PROBLEM_CODES,
    "img.download.": ("offline", "http", "checksum", "corrupt"),  # DataUnavailable.reason
    "img.chart.first_": ("conv", "dense"),  # images.runner.first_layer kinds
    "img.first_": ("conv", "dense"),
    # The table page and the exports.
    "tbl.example.": EXAMPLES,
    "tbl.kind.": ("numeric", "categorical", "empty"),  # Table.kinds values
    "tbl.task.": TASKS,
    "tbl.missing.": MISSING,
    "tbl.error.": tuple(sorted(TABLE_ERRORS)),
    "tbl.note.": tuple(sorted(TABLE_NOTES)),
    "exp.error.": tuple(sorted(EXPORT_ERRORS)),
    "class.group.": HIDABLE,
    # The lessons page: lesson.<id>.<part>, lesson.variant.<id>.<variant>, page.<page>.
    "lesson.": tuple(item.id for item in LESSONS),
    "lesson.variant.": tuple(f"{item.id}.{name}" for item in LESSONS
                             for name in item.variant_names),
    "page.": ("playground", "images", "tables", "lessons"),
    # The 2D page's comparison and sweep (ui/compare.py).
    "cmp.mode.": MODES,
    "cmp.sweep.name.": tuple(SWEEPS),
    "cmp.chart.": ("loss", "acc"),  # cmp.chart.<metric>_title
    "cmp.state.": ("diverged", "finished"),  # RunState.status of a stopped run
    "cmp.status.": ("training", "diverged", "finished"),
    "cmp.col.": compare_ui.SHOWN,
}


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


class Use:
    """One translation call: the keys it can ask for and the values it passes."""

    def __init__(self, where: str, keys: tuple[str, ...], values: set[str] | None):
        self.where, self.keys, self.values = where, keys, values  # values None: **kwargs

    def __repr__(self) -> str:
        return self.where


def _expand(node: ast.JoinedStr, where: str) -> tuple[str, ...] | None:
    """The keys t(f"...") can ask for; None where the test can't tell."""
    parts = node.values
    holes = [i for i, p in enumerate(parts) if isinstance(p, ast.FormattedValue)]
    if len(holes) != 1:
        return None
    prefix = "".join(p.value for p in parts[: holes[0]])
    suffix = "".join(p.value for p in parts[holes[0] + 1 :])
    if prefix not in PREFIX_VALUES:
        return None
    return tuple(f"{prefix}{v}{suffix}" for v in PREFIX_VALUES[prefix])


def _uses() -> list[Use]:
    uses = []
    for path in SOURCES:
        rel = path.relative_to(ROOT)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id in TRANSLATE_FUNCS and node.args):
                continue
            where = f"{rel}:{node.lineno}"
            key = node.args[0]
            keys = None
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                keys = (key.value,)
            elif isinstance(key, ast.JoinedStr):
                keys = _expand(key, where)
            if keys is None:
                # Only the lookup plumbing may build keys the test can't expand (it
                # checks has() first); elsewhere, add the family to PREFIX_VALUES.
                assert path in PASS_THROUGH, f"{where}: a translation key the test can't expand"
                continue
            names = {k.arg for k in node.keywords}
            if node.func.id == "template":
                names = {None}  # the chart builder fills the placeholders
            uses.append(Use(where, keys, None if None in names else names))
    return uses


USES = _uses()
EN = table(DEFAULT_LANG)


def test_the_scan_finds_the_calls():
    keys = {k for use in USES for k in use.keys}
    assert len(USES) > 50
    assert {"app.title", "metric.epoch", "dataset.spiral", "note.clamped",
            "status.reason.nan", "chart.boundary_title.regression"} <= keys


@pytest.mark.parametrize("prefix,calls", [("tbl.error.", TABLE_ERRORS),
                                          ("tbl.note.", TABLE_NOTES),
                                          ("exp.error.", EXPORT_ERRORS)])
def test_coded_messages_use_only_the_details_their_calls_give(prefix, calls):
    """The page fills these messages with **detail: every placeholder must
    be a key that every call for that code passes."""
    assert len(calls) >= 5
    for code, keys in calls.items():
        unfilled = placeholders(EN[prefix + code]) - keys
        assert not unfilled, f"{prefix}{code} needs {sorted(unfilled)}; calls give {sorted(keys)}"


def test_note_codes_are_found():
    assert {"clamped", "unknown", "bad_value", "ignored", "incompatible_loss"} <= NOTE_CODES


@pytest.mark.parametrize("use", USES, ids=str)
def test_every_used_key_exists(use):
    missing = [k for k in use.keys if k not in EN]
    assert not missing, f"{use.where}: missing from assets/i18n/en.json: {missing}"


@pytest.mark.parametrize("use", [u for u in USES if u.values is not None], ids=str)
def test_every_placeholder_is_filled_by_its_call(use):
    for key in use.keys:
        unfilled = placeholders(EN.get(key, "")) - use.values
        assert not unfilled, f"{use.where}: {key} needs {sorted(unfilled)}"


# ---- the tables -----------------------------------------------------------------------------
def test_tables_are_flat_strings_with_valid_placeholders():
    for lang in LANGUAGES:
        path = i18n.I18N_DIR / f"{lang}.json"
        assert path.exists(), path
        data = json.loads(path.read_text(encoding="utf-8"))
        for key, text in data.items():
            assert isinstance(text, str) and text.strip(), (lang, key)
            placeholders(text)  # raises on unbalanced braces


def test_other_languages_match_english():
    for lang in LANGUAGES:
        for key, text in table(lang).items():
            assert key in EN, (lang, key)
            assert placeholders(text) == placeholders(EN[key]), (lang, key)


# ---- field labels and notes -------------------------------------------------------------------
@pytest.mark.parametrize("name", [f.name for f in fields(Experiment)])
def test_every_field_has_a_label(name):
    label = field_label(name)
    assert label != name and not label.startswith(("field.", "param.")), label


def test_choice_values_in_notes_have_names():
    """note_text names catalog values ('spiral' -> 'Spiral') through CHOICE_TABLES."""
    tables = text_module.CHOICE_TABLES
    choices = {f.name: f.metadata["choices"] for f in fields(Experiment)
               if "choices" in f.metadata}
    choices["activation"] = tuple(catalog.ACTIVATIONS)
    for name, prefix in tables.items():
        assert name in choices, name
        missing = [v for v in choices[name] if f"{prefix}.{v}" not in EN]
        assert not missing, (name, missing)


# Inputs that make the parser produce every kind of note.
BAD_INPUTS = [
    {"bogus": "1"},
    {"dataset": "nope", "loss": "nope", "init": "nope", "optimizer": "nope",
     "regularization": "nope"},
    {"lr": "abc", "noise": "abc", "n_samples": "1.5", "seed": "x", "nesterov": "maybe"},
    {"lr": "99", "noise": "-1", "n_samples": "5", "train_ratio": "2", "momentum": "5",
     "reg_rate": "9", "n_classes": "9", "seed": "-3", "batch_size": "0"},
    {"lr": "nan", "show_test": "perhaps", "discretize": "2"},
    {"dataset": "plane", "loss": "bce"},
    {"nesterov": "1"},
    {"batch_size": "2000", "n_samples": "100"},
    {"features": "x1,zzz"},
    {"features": "none"},
    {"features": 5},
    {"hidden": "100-relu,0-tanh,abc-bogus"},
    {"hidden": [5, [4, "relu"], {"width": 3}]},
    {"hidden": 7},
    {"hidden": ",".join(["4-relu"] * 12)},
    {"dataset": "circle", "points": "1:2,0:0:0"},
    {"dataset": "xor", "points": ",".join(["1:1:0"] * 201)},
    {"dataset": "moons", "points": "1:1:3"},
    {"dataset": "plane", "points": "1:1:0"},
]


# The image page's spec: its own layer notes, and its fields' labels.
IMAGE_BAD_INPUTS = [
    {"layers": "bogus:1,conv:9999:3,dense:abc", "subset": "x", "dataset": "nope"},
    {"layers": [{"kind": "dense", "units": 5, "colour": "red"}, 7]},
    {"layers": ",".join(["dense:4:relu"] * 20), "bogus": "1", "batch_size": "9999"},
]


# Image links whose stack or preset cannot run as asked (images/fit.py notes).
IMAGE_LINKS_THAT_CANNOT_RUN = [
    {"layers": "conv:32:11"}, {"preset": "mlp512"}, {"layers": ",".join(["dense:1024"] * 7)},
    {"layers": "conv:32:11,dense:8,maxpool:2", "dataset": "digits"},
]


def _produced_notes() -> list[Note]:
    notes = []
    for raw in BAD_INPUTS:
        notes += Experiment.parse(raw)[1]
    for text in ("{", "[1, 2]", "null"):
        notes += Experiment.from_json(text)[1]
    for raw in IMAGE_BAD_INPUTS:
        notes += ImageExperiment.parse(raw)[1]
    for query in IMAGE_LINKS_THAT_CANNOT_RUN:  # images/fit.py
        notes += fit.fit_link(ImageExperiment.from_query(query)[0], query)[1]
    notes += fit.fit_preset(ImageExperiment(dataset="mnist"), "cnn", lambda name: False)[1]
    notes += parse_app_query({"lang": "fr", "hide": "data,bogus", "present": "maybe",
                              "moved": "/images/extra/path"})[3]
    notes.append(lesson_aside.unknown_lesson("bogus"))  # a task page's link to no lesson
    notes += Comparison.from_query({"mode": "x", "runs": "|".join(["bogus:1"] * 9),
                                    "sweep_from": "0", "sweep_n": "x"})[1]
    return notes


NOTES = _produced_notes()


def test_the_bad_inputs_produce_every_note_code():
    assert {n.code for n in NOTES} == NOTE_CODES


@pytest.mark.parametrize("note", NOTES, ids=lambda n: f"{n.code}-{n.field}")
def test_every_note_renders(note):
    text = note_text(note)
    assert "{" not in text and "}" not in text, text
    assert not text.startswith("note."), text
    assert "field." not in text and "param." not in text, text
    if note.code != "ignored":  # an unknown parameter is named as given
        assert has(f"param.{note.field}") or has(f"field.{note.field}"), (
            f"no label for {note.field!r}")


@pytest.mark.parametrize("code", sorted(NOTE_CODES))
def test_note_texts_need_only_field_value_fixed(code):
    text = translate(f"note.{code}", field="F", value="V", fixed="X")
    assert "{" not in text, text
    assert placeholders(EN[f"note.{code}"]) <= {"field", "value", "fixed"}


def test_notes_without_a_replacement_do_not_offer_one():
    """A note whose `fixed` is empty (the thing was left out) must use a text
    that does not say 'using … instead'."""
    empty = [n for n in NOTES if n.fixed == ""]
    assert empty, "the bad inputs should include things that are simply left out"
    for note in empty:
        assert "{fixed}" not in EN[f"note.{note.code}"], note
        text = note_text(note)
        assert "“”" not in text and "instead" not in text, text


# ---- fallbacks ------------------------------------------------------------------------------
def test_missing_key_shows_as_itself():
    assert translate("no.such.key") == "no.such.key"
    assert translate("no.such.key", "xx", n=1) == "no.such.key"
    assert not has("no.such.key")


def test_unknown_language_falls_back_to_english():
    assert translate("app.title", "xx") == EN["app.title"]
    assert has("app.title", "xx")


def test_partial_language_falls_back_to_english_per_key(monkeypatch):
    real = i18n.table
    partial = {"app.title": "Spielplatz"}
    monkeypatch.setattr(i18n, "table", lambda lang: partial if lang == "de" else real(lang))
    assert translate("app.title", "de") == "Spielplatz"
    assert translate("page.playground", "de") == EN["page.playground"]
    assert translate("no.such.key", "de") == "no.such.key"


def test_values_fill_placeholders():
    assert translate("field.width", i=3) == EN["field.width"].format(i=3)
    assert "{" not in translate("status.diverged", reason="NaN", lr="10")


def test_wrong_or_missing_values_do_not_raise():
    assert translate("field.width", j=3) == EN["field.width"]  # shown unformatted
    assert translate("field.width") == EN["field.width"]


def test_page_lookup_uses_the_default_language():
    from playground.ui.text import lang, t

    assert lang() == DEFAULT_LANG
    assert t("app.title") == EN["app.title"]


def test_every_language_has_every_key():
    """No text falls back to English in another language: every table is complete."""
    for lang in LANGUAGES:
        missing = sorted(set(EN) - set(table(lang)))
        assert not missing, (lang, missing[:10])


def test_chinese_is_chinese():
    """Every Chinese text that differs from the English one holds Chinese
    characters (a copied English text would pass the key checks above)."""
    zh = table("zh")
    # CJK characters, or the full-width punctuation of an otherwise technical label.
    chinese = lambda ch: "\u4e00" <= ch <= "\u9fff" or "\u3000" <= ch <= "\u303f" or (  # noqa: E731
        "\uff00" <= ch <= "\uffef")
    untranslated = [k for k, text in zh.items()
                    if text != EN[k] and not any(chinese(ch) for ch in text)]
    assert not untranslated, untranslated[:10]
