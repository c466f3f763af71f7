"""Your data: upload a CSV, pick the target and the inputs, build a dense
network and watch it learn; take the settings, weights and code with you."""

import streamlit as st

from playground.data.table import TableError
from playground.dense.model import dense_param_count, layer_widths
from playground.dense.table_runner import TableJob
from playground.dense.table_spec import TableExperiment
from playground.dense.table_worker import TableWorker
from playground.ui import controls, exports, live, session, shell, table_data, table_live
from playground.ui.table_data import KEY, PREFIX
from playground.ui.text import note_text, t

shell.ensure()  # first: see playground/ui/shell.py

SPEC_KEY, JOB_KEY = KEY("spec"), KEY("job")

spec: TableExperiment = st.session_state.get(SPEC_KEY) or TableExperiment()

st.title(t("tbl.title"))
st.caption(t("tbl.tagline"))

with st.sidebar:
    with st.expander(t("section.data"), expanded=True, icon=":material/table:"):
        table, error = table_data.source_ui()
        values = table_data.columns_ui(table, spec)

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
    if JOB_KEY in st.session_state:
        st.info(t("tbl.kept_previous"), icon=":material/history:")
    else:
        st.stop()  # nothing has ever trained on this page: nothing to show yet
if prep is not None:
    for note in prep.notes:
        st.info(table_data.note_text(note.code, note.detail), icon=":material/info:")
    problem, n_classes = prep.problem, max(2, len(prep.class_names))
else:
    problem, n_classes = spec.problem, spec.n_classes

with st.sidebar:
    with st.expander(t("section.network"), expanded=True, icon=":material/hub:"):
        raw = controls.network_ui(spec.with_problem(problem, n_classes), problem, PREFIX)
        summary = st.empty()
    n_train = len(data.y_train) if prep is not None else 20_000
    with st.expander(t("section.training"), expanded=True, icon=":material/speed:"):
        raw |= controls.training_ui(spec, n_train, PREFIX)

draft, notes = TableExperiment.parse({**spec.to_dict(), **values, **raw})
draft = draft.with_problem(problem, n_classes)
for note in notes:
    st.info(note_text(note))

if prep is not None:
    job = TableJob(draft, data, digest, prep.feature_names, prep.class_names,
                   prep.y_mean, prep.y_std)
else:
    job = st.session_state[JOB_KEY]
worker = session.worker("tables", TableWorker, JOB_KEY, lambda: job)
if worker.spec != job:
    worker.update(job)
    worker.wait_idle(timeout=2.0)  # so this run already draws the new data and network
st.session_state[JOB_KEY] = job
st.session_state[SPEC_KEY] = job.spec
widths = layer_widths(job.spec, job.n_inputs)
summary.caption(t("network.summary", shape=" → ".join(map(str, widths)),
                  params=f"{dense_param_count(widths):,}"))

status = worker.snapshot().status
live.control_bar(worker, status)
table_live.live_view(worker, running=status == "running")


def _load_settings(text: str) -> tuple[bool, list[str]]:
    loaded, notes = TableExperiment.from_json(text)
    messages = [note_text(n) for n in notes]
    if any(n.code == "bad_file" for n in notes):
        return False, messages
    controls.load(loaded, PREFIX)
    return True, messages + table_data.load_settings(loaded, table)


exports.export_panel(worker, job.spec, job.n_inputs, worker.snapshot().frame(),
                     (job.spec.source.rsplit(".", 1)[0] or "table"), _load_settings, PREFIX)

