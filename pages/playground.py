"""The 2D playground: pick data, build a network, watch it learn."""

import streamlit as st

from playground.dense.model import dense_param_count, layer_widths
from playground.dense.spec import Experiment, read_json_object
from playground.ui import classroom, controls, exports, inside, live, session, shell
from playground.ui.text import note_text, t

shell.ensure()  # first: see playground/ui/shell.py

spec, first_run = session.initial_spec()
if first_run:
    controls.load(spec)

# A group a shared link hides draws nothing and changes nothing: the spec keeps its values.
raw: dict = {}
network_summary = None
with st.sidebar:
    if classroom.shown("data"):
        with st.expander(t("section.data"), expanded=True, icon=":material/scatter_plot:"):
            raw |= controls.data_ui(spec)
    draft = Experiment.parse({**spec.to_dict(), **raw})[0]  # the data as now chosen
    if classroom.shown("features"):
        with st.expander(t("section.features"), expanded=True, icon=":material/tune:"):
            raw |= controls.features_ui(spec)
    if classroom.shown("network"):
        with st.expander(t("section.network"), expanded=True, icon=":material/hub:"):
            raw |= controls.network_ui(spec, draft.problem)
            network_summary = st.empty()  # filled once the whole spec is known
    if classroom.shown("training"):
        with st.expander(t("section.training"), expanded=True, icon=":material/speed:"):
            raw |= controls.training_ui(spec, draft.n_train)

st.title(t("app.title"))
st.caption(t("app.tagline"))
for note in session.link_notes():
    st.warning(note_text(note), icon=":material/link_off:")

worker = session.worker()
raw |= controls.view_ui(spec)
spec, notes = Experiment.parse({**spec.to_dict(), **raw})
for note in notes:
    st.info(note_text(note))
session.accept(spec)
widths = layer_widths(spec)
if network_summary is not None:
    network_summary.caption(t("network.summary", shape=" → ".join(map(str, widths)),
                              params=f"{dense_param_count(widths):,}"))

status = worker.snapshot().status
live.control_bar(worker, status)
views = inside.views_ui(worker, shown=classroom.shown("views"))
live.live_view(worker, running=status == "running", views=views)


def _load_settings(text: str) -> tuple[bool, list[str]]:
    raw, notes = read_json_object(text)
    if raw is None:
        return False, [note_text(n) for n in notes]
    if raw.get("kind") == "table":
        return False, [t("exp.msg.table_settings")]
    loaded, notes = Experiment.parse(raw)
    controls.load(loaded)
    return True, [note_text(n) for n in notes]


exports.export_panel(worker, spec, len(spec.features), worker.snapshot().frame(), spec.dataset,
                     _load_settings, "w.")
classroom.share_panel(spec.to_query())
