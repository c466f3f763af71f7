"""Images: stack dense and convolutional layers, train on handwritten digits
(or clothes), and see what the network gets right and wrong."""

import streamlit as st

from playground.core.device import pick_device
from playground.images.model import summarize
from playground.images.spec import DATASET_SHAPES, ImageExperiment
from playground.images.worker import ImageWorker
from playground.ui import (
    classroom,
    exports,
    image_controls,
    image_data,
    image_live,
    image_own,
    live,
    session,
    shell,
)
from playground.ui.text import note_text, t

shell.ensure()  # first: see playground/ui/shell.py

SPEC_KEY, NOTES_KEY = "img.spec", "img.link_notes"

spec, first_run = session.initial_spec(ImageExperiment, SPEC_KEY, NOTES_KEY)
if first_run:
    image_controls.load(spec)

raw: dict = {}  # a section a classroom link hides keeps the spec's values
with st.sidebar:
    if classroom.shown("data"):
        with st.expander(t("section.data"), expanded=True, icon=":material/image:"):
            raw |= image_controls.data_ui(spec)
    if classroom.shown("network"):
        with st.expander(t("img.section.model"), expanded=True, icon=":material/stacks:"):
            raw |= image_controls.model_ui(spec)
    if classroom.shown("training"):
        with st.expander(t("section.training"), expanded=True, icon=":material/speed:"):
            raw |= image_controls.training_ui(spec, cuda=pick_device().type == "cuda")

st.title(t("img.title"))
st.caption(t("img.tagline"))
for note in session.link_notes(NOTES_KEY):
    st.warning(note_text(note), icon=":material/link_off:")

draft, notes = ImageExperiment.parse({**spec.to_dict(), **raw})
for note in notes:
    st.info(note_text(note))
shape = DATASET_SHAPES[draft.dataset]
summary = summarize(draft, shape, 10)
with st.expander(t("img.summary", params=f"{summary.total_params:,}"), expanded=not summary.ok,
                 icon=":material/table_rows:"):
    st.dataframe(summary.frame(), hide_index=True, key="img.summary_table", width="stretch")
for problem in summary.problems:
    st.error(image_controls.problem_text(problem), icon=":material/block:")

ready = summary.ok and image_data.ensure_available(draft.dataset)
worker = session.worker("images", ImageWorker, SPEC_KEY, ImageExperiment)
if ready:
    session.accept(draft, worker, SPEC_KEY)
else:
    st.info(t("img.kept_previous"), icon=":material/history:")

status = worker.snapshot().status
live.control_bar(worker, status)
image_live.live_view(worker, running=status == "running")

snap = worker.snapshot()
st.subheader(t("img.own.title"), divider="gray")
image_own.own_input(worker, tuple(snap.info.get("shape", shape)), list(snap.info["classes"]))


def _load_settings(text: str) -> tuple[bool, list[str]]:
    loaded, notes = ImageExperiment.from_json(text)
    if any(n.code == "bad_file" for n in notes):
        return False, [note_text(n) for n in notes]
    image_controls.load(loaded)
    return True, [note_text(n) for n in notes]


exports.settings_panel(snap.spec, snap.frame(), snap.spec.dataset, _load_settings, "img.")
classroom.share_panel(st.session_state[SPEC_KEY].to_query(),
                      groups=("data", "network", "training"), prefix="img.class.")
