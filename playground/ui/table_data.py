"""The table page's data controls: the upload (or an example), the columns
and how to read them, and the prepared data they give.

A file that can't be read becomes a message, and the table in use before it
stays: the session keeps the last good Table under KEY("table") and the
error of the last upload under KEY("error"). Nothing here trains.
"""

from __future__ import annotations

import streamlit as st

from playground.data.dataset import Dataset
from playground.data.table import (
    MAX_BYTES,
    MAX_COLUMNS,
    MAX_ROWS,
    Prepared,
    Table,
    TableError,
    guess_target,
    infer_task,
    prepare,
    read_table,
    to_dataset,
    usable_features,
)
from playground.data.table_examples import EXAMPLES, example_csv
from playground.dense.table_spec import MISSING, TASKS, TableExperiment
from playground.ui.text import t

PREFIX = "t."
COLUMN_WIDGETS = ("target", "features", "task")


def KEY(name: str) -> str:  # noqa: N802 - reads as a constant's name at the call sites
    return f"{PREFIX}{name}"


def _readable(detail: dict) -> dict:
    """Counts with thousands separators; a tab character (blank space) by name."""
    out = {k: f"{v:,}" if isinstance(v, int) and not isinstance(v, bool) else v
           for k, v in detail.items()}
    if out.get("sep") == "\t":
        out["sep"] = t("tbl.tab")
    return out


def error_text(code: str, detail: dict) -> str:
    return t(f"tbl.error.{code}", **_readable(detail))


def note_text(code: str, detail: dict) -> str:
    return t(f"tbl.note.{code}", **_readable(detail))


def _forget_columns() -> None:
    """A new table: its columns are chosen afresh."""
    for name in COLUMN_WIDGETS:
        st.session_state.pop(KEY(name), None)


def _use(table: Table, origin: str) -> None:
    st.session_state[KEY("table")] = table
    st.session_state[KEY("origin")] = origin
    _forget_columns()


def _example_chosen() -> None:
    st.session_state[KEY("origin")] = None  # load the chosen example on this run


def source_ui() -> tuple[Table, tuple[str, dict, str] | None]:
    """The upload box and the example choice. Returns the table in use and
    the error of a file that couldn't be read: (code, detail, file name).

    A table changes only when a new file arrives or an example is picked:
    removing an upload (or the moment between two uploads, when the box is
    empty) keeps the table in use and what was trained on it."""
    upload = st.file_uploader(
        t("tbl.upload"), type=["csv", "tsv", "txt"], key=KEY("upload"),
        help=t("tbl.help.upload", rows=f"{MAX_ROWS:,}", columns=MAX_COLUMNS,
               mb=MAX_BYTES // 2**20),
    )
    example = st.selectbox(t("tbl.example"), EXAMPLES, key=KEY("example"),
                           format_func=lambda n: t(f"tbl.example.{n}"),
                           help=t("tbl.help.example"), on_change=_example_chosen)
    if upload is not None and st.session_state.get(KEY("tried")) != upload.file_id:
        st.session_state[KEY("tried")] = upload.file_id  # read each upload once
        try:
            _use(read_table(upload.getvalue(), upload.name), f"upload:{upload.file_id}")
            st.session_state[KEY("error")] = None
        except TableError as exc:
            st.session_state[KEY("error")] = (exc.code, exc.detail, upload.name)
    if st.session_state.get(KEY("origin")) is None:
        _use(read_table(example_csv(example), f"{example}.csv"), f"example:{example}")
        st.session_state[KEY("error")] = None
    return st.session_state[KEY("table")], st.session_state.get(KEY("error"))


def _seed(name: str, value) -> None:
    if KEY(name) not in st.session_state:
        st.session_state[KEY(name)] = value


def columns_ui(table: Table, spec: TableExperiment) -> dict:
    """Target, features, task and missing values; returns spec fields."""
    usable = [c for c, kind in table.kinds.items() if kind != "empty"]
    _seed("target", spec.target if spec.target in usable else guess_target(table))
    if st.session_state[KEY("target")] not in usable:
        st.session_state[KEY("target")] = guess_target(table)
    target = st.selectbox(t("tbl.target"), usable, key=KEY("target"), help=t("tbl.help.target"))

    candidates = usable_features(table, target)
    chosen = [c for c in spec.features if c in candidates] or candidates
    _seed("features", chosen)
    # The target may have moved into the chosen set: keep only what is offered.
    st.session_state[KEY("features")] = [
        c for c in st.session_state[KEY("features")] if c in candidates]
    features = st.multiselect(t("tbl.features"), candidates, key=KEY("features"),
                              help=t("tbl.help.features"), placeholder=t("tbl.features_none"))

    _seed("task", spec.task)
    task = st.segmented_control(t("tbl.task"), TASKS, key=KEY("task"),
                                format_func=lambda n: t(f"tbl.task.{n}"),
                                help=t("tbl.help.task")) or "auto"
    detected = infer_task(table.frame[target])
    st.caption(t("tbl.detected", task=t(f"tbl.task.{detected}")))

    for name in ("missing", "train_ratio", "seed"):
        _seed(name, getattr(spec, name))
    missing = st.radio(t("tbl.missing"), MISSING, key=KEY("missing"), horizontal=True,
                       format_func=lambda n: t(f"tbl.missing.{n}"), help=t("tbl.help.missing"))
    train_ratio = st.slider(t("field.train_ratio"), 0.1, 0.9, step=0.05, key=KEY("train_ratio"),
                            help=t("help.train_ratio"))
    seed = st.number_input(t("field.seed"), 0, 2**31 - 1, key=KEY("seed"))
    return {"source": table.name, "digest": table.digest, "target": target,
            "features": list(features), "task": task, "missing": missing,
            "train_ratio": train_ratio, "seed": seed}


def prepared(table: Table, values: dict) -> tuple[Prepared, Dataset, str]:
    """The chosen columns as network inputs and their train/test split, and a
    digest naming both. Raises TableError. Cached for the session's last choice."""
    key = (table.digest, values["target"], tuple(values["features"]), values["task"],
           values["missing"], values["train_ratio"], values["seed"])
    cached = st.session_state.get(KEY("prepared"))
    if cached is not None and cached[0] == key:
        return cached[1]
    if not values["features"]:
        raise TableError("no_features")
    prep = prepare(table, values["target"], values["features"], values["task"],
                   values["missing"])
    data = to_dataset(prep, values["train_ratio"], values["seed"])
    result = (prep, data, "|".join(map(str, key)))
    st.session_state[KEY("prepared")] = (key, result)
    return result


def load_settings(spec: TableExperiment, table: Table) -> list[str]:
    """Put a loaded settings file's choices into the widgets. Returns
    messages about columns this table doesn't have."""
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
        st.session_state[KEY("target")] = spec.target
    features = [c for c in spec.features if c in usable and c != spec.target]
    if features:
        st.session_state[KEY("features")] = features
    else:
        st.session_state.pop(KEY("features"), None)  # every usable column, as for a new table
    for name in ("task", "missing", "train_ratio", "seed"):
        st.session_state[KEY(name)] = getattr(spec, name)
    return messages
