"""Your data: upload a CSV, pick the target and the inputs, build a dense
network and watch it learn; take the settings, weights and code with you."""

import streamlit as st

from playground.data.table import TableError
from playground.dense.runner import TableJob
from playground.ui import controls, exports, live, page, table_data, table_live
from playground.ui.table_data import TABLES, W
from playground.ui.text import t

spec = page.start(TABLES, t("tbl.title"), t("tbl.tagline"))  # first: see ui/shell.py

groups = page.Groups(hidable=False)  # a classroom link hides nothing here
table, error, values = groups.add("data", t("section.data"), ":material/table:",
                                  table_data.data_ui, spec)
if error is not None:
    code, detail, name = error
    st.error(t("tbl.read_failed", name=name, reason=table_data.error_text(code, detail)),
             icon=":material/block:")
    st.caption(t("tbl.kept_table", name=table.name))
for note in table.notes:
    st.info(table_data.note_text(note.code, note.detail), icon=":material/info:")

with st.expander(t("tbl.preview", name=table.name, rows=f"{len(table.frame):,}",
                   columns=len(table.frame.columns)), icon=":material/table_view:"):
    st.dataframe(table.frame.head(200), key="t.preview", height=260)
    kinds = {c: t(f"tbl.kind.{k}") for c, k in table.kinds.items()}
    st.caption(", ".join(f"{c}: {k}" for c, k in kinds.items()))
    # The exported scripts read this file: an example's users need it too.
    st.download_button(t("tbl.download_table"), lambda: table.frame.to_csv(index=False),
                       table.name, "text/csv", key="t.dl.table", on_click="ignore",
                       icon=":material/download:", help=t("tbl.help.download_table"))

try:
    prep, data, digest = table_data.prepared(table, values)
except TableError as exc:
    prep = None
    st.error(table_data.error_text(exc.code, exc.detail), icon=":material/block:")
    if "job" in W:
        st.info(t("tbl.kept_previous"), icon=":material/history:")
    else:
        st.stop()  # nothing has ever trained on this page: nothing to show yet
if prep is not None:
    for note in prep.notes:
        st.info(table_data.note_text(note.code, note.detail), icon=":material/info:")
    problem, n_classes = prep.problem, max(2, len(prep.class_names))
else:
    problem, n_classes = spec.problem, spec.n_classes

raw = groups.add("network", t("section.network"), ":material/hub:", controls.network_ui,
                 spec.with_problem(problem, n_classes), problem, W)
raw |= groups.add("training", t("section.training"), ":material/speed:", controls.training_ui,
                  spec, len(data.y_train) if prep is not None else 20_000, W)
draft = page.parse(TABLES, spec, values | raw).with_problem(problem, n_classes)

if prep is not None:
    W["job"] = TableJob(draft, data, digest, prep.feature_names, prep.class_names,
                        prep.y_mean, prep.y_std)
job = W["job"]
worker = page.accept(TABLES, job.spec, job)
controls.network_summary(groups.boxes["network"], job.spec, job.n_inputs)
live.show(worker, table_live.draw)


def _load_settings(text: str) -> tuple[bool, list[str]]:
    return page.load_settings(TABLES, text, lambda loaded: table_data.load_columns(loaded, table))


stem = job.spec.source.rsplit(".", 1)[0] or "table"
exports.export_panel(job.spec, worker.snapshot().frame(), stem, _load_settings, W.prefix, worker,
                     job.n_inputs)
