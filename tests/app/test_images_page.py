"""The image page under Streamlit's AppTest: widgets -> spec -> link, the
layer stack editor, model problems explained before training, a real
training process driven by the control bar, and a download that fails offline.

As in test_playground_page.py, each test clears the session-scoped worker
cache before and after, and `worker_registry` checks no process outlives it.
"""

from __future__ import annotations

import json

from pagetools import metric, run, wait_for
from streamlit.testing.v1 import AppTest

from playground.core.i18n import translate
from playground.data import idx
from playground.images.layers import DEFAULT_LAYERS, ImageLayer
from playground.images.model import summarize
from playground.images.spec import ImageExperiment
from playground.ui.classroom import LINK_ICON

PAGE = "pages/images.py"


def spec(at: AppTest) -> ImageExperiment:
    return at.session_state["img.spec"]


def table_with(at: AppTest, column: str):
    """The one dataframe on the page that has `column`, or None."""
    found = [d.value for d in at.dataframe if column in d.value.columns]
    assert len(found) <= 1, len(found)
    return found[0] if found else None


def test_page_runs_with_defaults(at):
    run(at)
    assert spec(at) == ImageExperiment()
    assert at.title[0].value == translate("img.title")
    assert metric(at, "metric.epoch") == "0"
    assert metric(at, "metric.device") == "CPU"
    # The Keras-style summary lists every layer, the output included.
    table = table_with(at, "params")
    assert list(table["params"])[-1] == 64 * 10 + 10
    assert sum(table["params"]) == 64 * 64 + 64 + 64 * 10 + 10


def test_widgets_change_the_spec_and_the_link(at):
    run(at)
    at.select_slider(key="img.w.lr").set_value(0.01)
    at.toggle(key="img.w.augment").set_value(True)
    run(at)
    assert spec(at).lr == 0.01 and spec(at).augment
    assert at.query_params["lr"] == ["0.01"] or at.query_params["lr"] == "0.01"


def test_a_preset_loads_the_classic_model(at):
    run(at)
    at.selectbox(key="img.w.preset_choice").set_value("digits_cnn")
    at.button(key="img.load_preset").click()
    run(at)
    kinds = [layer.kind for layer in spec(at).layers]
    assert "conv" in kinds and "maxpool" in kinds
    assert at.session_state["img.w.optimizer"] == spec(at).optimizer


def test_the_layer_editor_adds_moves_and_removes(at):
    run(at)
    before = spec(at).layers
    at.selectbox(key="img.w.add_kind").set_value("dropout")
    at.button(key="img.add").click()
    run(at)
    assert [layer.kind for layer in spec(at).layers] == [*(x.kind for x in before), "dropout"]
    ids = at.session_state["img.stack"]
    at.button(key=f"img.up.{ids[-1]}").click()
    run(at)
    assert [layer.kind for layer in spec(at).layers][-2:] == ["dropout", "dense"]
    at.button(key=f"img.remove.{at.session_state['img.stack'][-2]}").click()
    run(at)
    assert spec(at).layers == before


def test_a_stack_that_cannot_work_is_explained_and_not_trained(at):
    run(at)
    good = spec(at)
    # Five 2×2 max-pools: 8×8 digits shrink to 1×1 after three and can't pool again.
    for _ in range(5):
        at.selectbox(key="img.w.add_kind").set_value("maxpool")
        at.button(key="img.add").click()
        run(at)
    # Pools after Flatten/Dense also can't work: move them to the top first.
    stack = at.session_state["img.stack"]
    at.session_state["img.stack"] = stack[-5:] + stack[:-5]
    run(at)
    errors = [e.value for e in at.error]
    assert any("pooling" in e for e in errors), errors
    assert translate("img.kept_previous") in [i.value for i in at.info]
    assert spec(at) == good  # the worker keeps training the last stack that worked


def test_play_trains_and_shows_the_evaluation(at):
    run(at)
    at.button(key="cmd.play").click()
    run(at)
    wait_for(at, lambda: metric(at, "metric.epoch").split()[0] != "0")
    precision = translate("img.report.precision")
    wait_for(at, lambda: table_with(at, precision) is not None)
    table = table_with(at, precision)
    assert len(table) == 10 + 2  # ten classes, macro and weighted averages


def test_mnist_offline_keeps_the_previous_data(at, monkeypatch, tmp_path):
    """With no network, picking MNIST says what to do and keeps training digits."""
    monkeypatch.setenv("PLAYGROUND_DATA_DIR", str(tmp_path))
    dead = idx.Source(mirrors=("http://127.0.0.1:9/",), files=idx.SOURCES["mnist"].files)
    monkeypatch.setitem(idx.SOURCES, "mnist", dead)
    run(at)
    at.selectbox(key="img.w.dataset").set_value("mnist")
    run(at)
    errors = [e.value for e in at.error]
    name = translate("img.dataset.mnist")
    assert translate("img.download.offline", name=name, folder=str(tmp_path),
                     size="70,000") in errors, errors
    assert spec(at).dataset == "digits"
    assert at.selectbox(key="img.w.dataset").value == "mnist"  # the choice is not lost


def test_bad_link_parameters_are_explained(at):
    at.query_params["lr"] = "abc"
    at.query_params["layers"] = "conv:16:3:1:valid:relu,bogus"
    run(at)
    warnings = [w.value for w in at.warning]
    assert len(warnings) == 2, warnings
    assert spec(at).lr == ImageExperiment().lr
    assert [layer.kind for layer in spec(at).layers] == ["conv"]


def test_a_settings_file_restores_an_image_run_and_a_bad_one_changes_nothing(at):
    run(at)
    saved = json.loads(spec(at).to_json())
    saved["lr"] = 0.003
    saved["batch_size"] = 16
    at.file_uploader(key="img.up.settings").set_value(
        ("cnn.json", json.dumps(saved).encode(), "application/json"))
    run(at)
    run(at)
    assert spec(at).lr == 0.003 and spec(at).batch_size == 16
    assert any("cnn.json" in s.value for s in at.success)
    before = spec(at)
    at.file_uploader(key="img.up.settings").set_value(("bad.json", b"[]", "application/json"))
    run(at)
    assert spec(at) == before and at.error


# ---- links and presets that cannot run as asked ---------------------------------------
def link_notes(at: AppTest) -> list[str]:
    return [w.value for w in at.warning if w.icon == LINK_ICON]


def offline(monkeypatch, tmp_path) -> None:
    """No MNIST on disk, and its mirror refuses at once (no network wait)."""
    monkeypatch.setenv("PLAYGROUND_DATA_DIR", str(tmp_path))
    dead = idx.Source(mirrors=("http://127.0.0.1:9/",), files=idx.SOURCES["mnist"].files)
    monkeypatch.setitem(idx.SOURCES, "mnist", dead)


def assert_trains_fine(at: AppTest) -> None:
    """No error box, a stack the page can build, and a training process that started on it."""
    assert not at.error, [e.value for e in at.error]
    assert summarize(spec(at)).ok
    assert metric(at, "metric.epoch") == "0"


def test_a_link_with_a_window_too_big_for_the_digits_opens_on_the_sample(at):
    at.query_params["layers"] = "conv:32:11:1:valid:relu"
    run(at)
    assert link_notes(at) == [translate("note.link_needs_sample")]
    assert spec(at).dataset == "mnist_sample" and spec(at).layers == (ImageLayer.conv(32, 11),)
    assert at.selectbox(key="img.w.dataset").value == "mnist_sample"
    assert at.query_params["dataset"] in ("mnist_sample", ["mnist_sample"])
    assert_trains_fine(at)
    at.button(key="cmd.step").click()  # the training process trains it on real MNIST
    run(at)
    wait_for(at, lambda: metric(at, "metric.epoch").split()[0] == "1", timeout=60)


def test_a_link_on_the_digits_with_a_window_too_big_drops_that_layer(at):
    at.query_params["layers"] = "conv:32:11:1:valid:relu,dense:32"
    at.query_params["dataset"] = "digits"
    run(at)
    notes = link_notes(at)
    assert len(notes) == 1 and "conv:32:11:1:valid:relu" in notes[0] and "8×8" in notes[0]
    assert spec(at).dataset == "digits" and spec(at).layers == (ImageLayer.dense(32, "relu"),)
    assert_trains_fine(at)
    run(at)  # the note stays under the title on later runs, once
    assert link_notes(at) == notes


def test_a_link_over_the_parameter_limit_opens_with_the_default_network(at):
    big = ",".join(["dense:1024:relu"] * 7)
    at.query_params["layers"] = big
    run(at)
    params = summarize(ImageExperiment.parse({"layers": big})[0])
    assert link_notes(at) == [translate("note.link_too_many_params",
                                        value=f"{params.total_params:,}", fixed="5,000,000")]
    assert spec(at).layers == DEFAULT_LAYERS and "layers" not in at.query_params
    assert_trains_fine(at)


def test_a_link_to_mnist_offline_opens_on_the_sample(at, monkeypatch, tmp_path):
    offline(monkeypatch, tmp_path)
    at.query_params["dataset"] = "mnist"
    at.query_params["preset"] = "cnn"
    run(at)
    assert link_notes(at) == [translate("note.dataset_unavailable", value="mnist")]
    assert spec(at).dataset == "mnist_sample" and spec(at).preset == "cnn"
    assert_trains_fine(at)


def test_a_course_preset_on_the_digits_switches_to_the_sample_and_says_so(at):
    run(at)
    at.selectbox(key="img.w.preset_choice").set_value("mlp512")
    at.button(key="img.load_preset").click()
    run(at)
    assert translate("note.preset_needs_sample") in [i.value for i in at.info]
    assert translate("img.preset.mlp512.about") in [c.value for c in at.caption]
    assert spec(at).dataset == "mnist_sample" and spec(at).preset == "mlp512"
    assert spec(at).max_epochs == 5
    assert at.selectbox(key="img.w.dataset").value == "mnist_sample"
    assert_trains_fine(at)


def test_a_preset_never_switches_mnist_back_to_the_digits(at, monkeypatch, tmp_path):
    """MNIST chosen but not downloadable: a preset takes the sample, with a note."""
    offline(monkeypatch, tmp_path)
    run(at)
    at.selectbox(key="img.w.dataset").set_value("mnist")
    run(at)
    assert spec(at).dataset == "digits"  # kept while MNIST could not be had
    at.selectbox(key="img.w.preset_choice").set_value("digits_mlp")
    at.button(key="img.load_preset").click()
    run(at)
    assert translate("note.dataset_unavailable", value="mnist") in [i.value for i in at.info]
    assert at.selectbox(key="img.w.dataset").value == "mnist_sample"
    assert spec(at).dataset == "mnist_sample" and spec(at).preset == "digits_mlp"
    assert_trains_fine(at)
