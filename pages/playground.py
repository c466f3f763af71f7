"""The 2D playground: pick data, build a network, watch it learn."""

from playground.core.fields import read_json_object
from playground.dense.spec import Experiment
from playground.ui import classroom, controls, exports, inside, live, page, plane_live
from playground.ui import compare as compare_ui
from playground.ui.controls import PLAYGROUND
from playground.ui.text import t

spec = page.start(compare_ui.TASK, t("app.title"), t("app.tagline"))  # first: see ui/shell.py

groups = page.Groups()
raw = groups.add("data", t("section.data"), ":material/scatter_plot:", controls.data_ui, spec)
raw |= groups.add("features", t("section.features"), ":material/tune:", controls.features_ui, spec)
draft = Experiment.parse({**spec.to_dict(), **raw})[0]  # the data as now chosen
raw |= groups.add("network", t("section.network"), ":material/hub:", controls.network_ui, spec,
                  draft.problem)
raw |= groups.add("training", t("section.training"), ":material/speed:", controls.training_ui,
                  spec, draft.n_train)

spec = page.parse(PLAYGROUND, spec, raw | controls.view_ui(spec))
worker = page.accept(PLAYGROUND, spec, link=compare_ui.link_query(spec))
controls.network_summary(groups.boxes.get("network"), spec)
if compare_ui.section(spec, worker) == "one":  # else the comparison or sweep is drawn
    inside.views_ui(worker, shown=classroom.shown("views"))
    live.show(worker, plane_live.draw)


def _load_settings(text: str) -> tuple[bool, list[str]]:
    raw, _ = read_json_object(text)
    if raw is not None and raw.get("kind") == "table":
        return False, [t("exp.msg.table_settings")]
    return compare_ui.load_settings(text, lambda rest: page.load_settings(PLAYGROUND, rest))


exports.export_panel(spec, worker.snapshot().frame(), spec.dataset, _load_settings, "w.", worker,
                     len(spec.features))
classroom.share_panel({**spec.to_query(), **compare_ui.link_query(spec)})
