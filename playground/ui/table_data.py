"""The table page's data controls: the upload (or an example), the columns
and how to read them, and the prepared data they give. A file that can't be
read becomes a message and the last good table stays (W["table"], W["error"]).
"""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from playground.data.dataset import Dataset
from playground.data.table import (
    MAX_BYTES,
    MAX_COLUMNS,
    MAX_ROWS,
    Prepared,
    Table,
    TableError,
    default_features,
    guess_target,
    infer_task,
    left_out,
    prepare,
    read_table,
    to_dataset,
    usable_features,
)
from playground.data.table_examples import EXAMPLES, example_csv
from playground.data.table_examples import SETTINGS as EXAMPLE_SETTINGS
from playground.dense.table_spec import TableExperiment
from playground.dense.worker import TableWorker
from playground.ui import controls
from playground.ui.page import Task
from playground.ui.text import t
from playground.ui.widgets import Widgets

COLUMN_WIDGETS = ("target", "features", "task")
W = Widgets(TableExperiment, "t.")  # the page's widgets and state: "t.<name>"


def load(spec: TableExperiment) -> None:
    """Put `spec` into the widgets; its columns are seeded again from the
    spec once a table is read."""
    controls.load(spec, W)
    for name in COLUMN_WIDGETS:
        W.pop(name)


# The worker trains a TableJob: the spec and the data prepared for it.
TABLES = Task("tables", TableExperiment, TableWorker, W.key("spec"), load)


def _readable(detail: dict) -> dict:
    """Counts with thousands separators; a tab character (blank space) by name."""
    out = {k: f"{v:,}" if isinstance(v, int) and not isinstance(v, bool) else v
           for k, v in detail.items()}
    if out.get("sep") == "\t":
        out["sep"] = t("tbl.tab")
    return out


def error_text(code: str, detail: dict) -> str:
    """A TableError's message; a file that is not CSV says what it looks like."""
    return t(f"tbl.error.{detail.get('looks', code)}", **_readable(detail))


def note_text(code: str, detail: dict) -> str:
    return t(f"tbl.note.{code}", **_readable(detail))


def _use(table: Table, origin: str) -> None:
    """A new table: its columns are chosen afresh."""
    W.put({"table": table, "origin": origin, "error": None})
    for name in COLUMN_WIDGETS:
        W.pop(name)


def choose_example(name: str | None = None) -> None:
    """Read the example `name` (or the one chosen) on the next run, with the
    settings it opens with."""
    if name is not None:
        W["example"] = name
    W["origin"] = None
    _example_settings(W["example"])


def _example_settings(name: str) -> None:
    """Each setting some example tunes goes back to its default, then takes
    this example's value (table_examples.SETTINGS); the rest stay as they are."""
    tuned = {key for settings in EXAMPLE_SETTINGS.values() for key in settings}
    example = TableExperiment.parse(EXAMPLE_SETTINGS.get(name, {}))[0]
    current = st.session_state.get(TABLES.spec_key) or TableExperiment()
    load(replace(current, **{key: getattr(example, key) for key in tuned}))


def data_ui(spec: TableExperiment) -> tuple[Table, tuple[str, dict, str] | None, dict]:
    """The upload box, the example choice and the columns: returns the table in
    use, the error of a file that couldn't be read ((code, detail, file name)
    or None) and the spec fields the columns give.

    A table changes only when a new file arrives or an example is picked:
    removing an upload (or the moment between two uploads, when the box is
    empty) keeps the table in use and what was trained on it."""
    upload = st.file_uploader(
        t("tbl.upload"), type=["csv", "tsv", "txt"], key=W.key("upload"),
        help=t("tbl.help.upload", rows=f"{MAX_ROWS:,}", columns=MAX_COLUMNS,
               mb=MAX_BYTES // 2**20),
    )
    example = st.selectbox(t("tbl.example"), EXAMPLES, key=W.key("example"),
                           format_func=lambda n: t(f"tbl.example.{n}"),
                           help=t("tbl.help.example"), on_change=choose_example)
    if upload is not None and W.get("tried") != upload.file_id:
        W["tried"] = upload.file_id  # read each upload once
        try:
            _use(read_table(upload.getvalue(), upload.name), f"upload:{upload.file_id}")
        except TableError as exc:
            W["error"] = (exc.code, exc.detail, upload.name)
    if W.get("origin") is None:
        _use(read_table(example_csv(example), f"{example}.csv"), f"example:{example}")
    return W["table"], W.get("error"), columns_ui(W["table"], spec)


def columns_ui(table: Table, spec: TableExperiment) -> dict:
    """Target, features, task and missing values; returns spec fields."""
    usable = [c for c, kind in table.kinds.items() if kind != "empty"]
    W.seed(spec, target=spec.target if spec.target in usable else guess_target(table))
    if W["target"] not in usable:
        W["target"] = guess_target(table)
    target = W(st.selectbox, "target", t("tbl.target"), usable, help=t("tbl.help.target"))

    candidates = usable_features(table, target)
    chosen = [c for c in spec.features if c in candidates] or default_features(table, target)
    W.seed(spec, features=chosen)
    # The target may have moved into the chosen set: keep only what is offered.
    W["features"] = [c for c in W["features"] if c in candidates]
    features = W(st.multiselect, "features", t("tbl.features"), candidates,
                 help=t("tbl.help.features"), placeholder=t("tbl.features_none"))
    for note in left_out(table, target, features):  # each column not learned from, and why
        st.caption(":material/visibility_off: " + note_text(note.code, note.detail))

    W.seed(spec, "task")
    task = W(st.segmented_control, "task", t("tbl.task"),
             format_func=lambda n: t(f"tbl.task.{n}"), help=t("tbl.help.task")) or "auto"
    detected = infer_task(table.frame[target])
    st.caption(t("tbl.detected", task=t(f"tbl.task.{detected}")))

    W.seed(spec, "missing", "train_ratio", "seed")
    return {"source": table.name, "digest": table.digest, "target": target,
            "features": list(features), "task": task,
            "missing": W(st.radio, "missing", t("tbl.missing"), horizontal=True,
                         format_func=lambda n: t(f"tbl.missing.{n}"), help=t("tbl.help.missing")),
            "train_ratio": W(st.slider, "train_ratio", t("field.train_ratio"), step=0.05,
                             help=t("help.train_ratio")),
            "seed": W(st.number_input, "seed", t("field.seed"))}


def prepared(table: Table, values: dict) -> tuple[Prepared, Dataset, str]:
    """The chosen columns as network inputs and their train/test split, and a
    digest naming both. Raises TableError. Cached for the session's last choice."""
    key = (table.digest, values["target"], tuple(values["features"]), values["task"],
           values["missing"], values["train_ratio"], values["seed"])
    cached = W.get("prepared")
    if cached is not None and cached[0] == key:
        return cached[1]
    prep = prepare(table, values["target"], values["features"], values["task"],
                   values["missing"])
    data = to_dataset(prep, values["train_ratio"], values["seed"])
    result = (prep, data, "|".join(map(str, key)))
    W["prepared"] = (key, result)
    return result


def load_columns(spec: TableExperiment, table: Table) -> list[str]:
    """Put a settings file's columns into the widgets (after `load`).
    Returns messages about columns this table doesn't have."""
    messages = []
    usable = [c for c, kind in table.kinds.items() if kind != "empty"]
    if spec.digest and spec.digest != table.digest:
        messages.append(t("tbl.settings_other_file", name=spec.source or "?"))
    if spec.target and spec.target not in usable:
        messages.append(t("tbl.settings_no_target", column=spec.target))
    missing = [c for c in spec.features if c not in usable]
    if missing:
        messages.append(t("tbl.settings_no_features", columns=", ".join(missing)))
    if spec.target in usable:
        W["target"] = spec.target
    features = [c for c in spec.features if c in usable and c != spec.target]
    if features:
        W["features"] = features  # else every usable column, as for a new table
    W.put({name: getattr(spec, name) for name in ("task", "missing", "train_ratio", "seed")})
    return messages
