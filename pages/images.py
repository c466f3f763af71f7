"""Images: stack dense and convolutional layers, train on handwritten digits
(or clothes), and see what the network gets right and wrong."""

import streamlit as st

from playground.core.device import pick_device
from playground.images.model import summarize
from playground.images.spec import DATASET_SHAPES
from playground.ui import (
    classroom,
    exports,
    image_controls,
    image_data,
    image_live,
    image_own,
    live,
    page,
)
from playground.ui.image_controls import IMAGES
from playground.ui.text import t

spec = page.start(IMAGES, t("img.title"), t("img.tagline"))  # first: see ui/shell.py
# A link that cannot train opens on a spec that can, with notes: the training
# process only ever gets a spec it can build (the session's accepted spec).
spec = image_data.check_link(IMAGES, spec)

groups = page.Groups()
raw = groups.add("data", t("section.data"), ":material/image:", image_controls.data_ui, spec)
raw |= groups.add("network", t("img.section.model"), ":material/stacks:", image_controls.model_ui,
                  spec)
raw |= groups.add("training", t("section.training"), ":material/speed:",
                  image_controls.training_ui, spec, pick_device().type == "cuda")

draft = page.parse(IMAGES, spec, raw)
shape = DATASET_SHAPES[draft.dataset]
summary = summarize(draft, shape, 10)
with st.expander(t("img.summary", params=f"{summary.total_params:,}"), expanded=not summary.ok,
                 icon=":material/table_rows:"):
    st.dataframe(summary.frame(), hide_index=True, key="img.summary_table", width="stretch",
                 column_config={"params": st.column_config.NumberColumn(format="localized")})
for problem in summary.problems:
    st.error(image_controls.problem_text(problem), icon=":material/block:")

if summary.ok and image_data.ensure_available(draft.dataset):
    worker = page.accept(IMAGES, draft)
else:
    worker = page.worker(IMAGES, spec)
    st.info(t("img.kept_previous"), icon=":material/history:")
live.show(worker, image_live.draw)

snap = worker.snapshot()
st.subheader(t("img.own.title"), divider="gray")
image_own.own_input(worker, tuple(snap.info.get("shape", shape)), list(snap.info["classes"]))
exports.export_panel(snap.spec, snap.frame(), snap.spec.dataset,
                     lambda text: page.load_settings(IMAGES, text), "img.", worker)
classroom.share_panel(st.session_state[IMAGES.spec_key].to_query(),
                      groups=("data", "network", "training"), prefix="img.class.")
