"""The playground page under Streamlit's AppTest: widgets -> spec -> link,
link -> spec, and the control bar driving a real training process.

AppTest gives every instance the same session id, so the session-scoped
worker cache would hand one test's worker to the next. Each test starts and
ends with `st.cache_resource.clear()`, which releases the cached worker
through its `on_release` (stopping the process); the `worker_registry`
fixture stops anything still alive and checks that no process outlived the test.
"""

from __future__ import annotations

import io
import json
import time

import pytest
from pagetools import metric, run, wait_for
from streamlit.testing.v1 import AppTest

from playground.core.i18n import translate
from playground.dense.spec import Experiment, Layer


def spec(at: AppTest) -> Experiment:
    return at.session_state["spec"]


def query(at: AppTest) -> dict[str, str]:
    return {k: at.query_params[k] for k in at.query_params}


def assert_link_matches(at: AppTest) -> None:
    assert query(at) == spec(at).to_query()


def session_worker(registry):
    assert len(registry) == 1, "the page should start exactly one worker per session"
    return registry[0]


# ---- first run ---------------------------------------------------------------------------
def test_page_runs_and_shows_the_metrics(at, worker_registry):
    run(at)
    assert spec(at) == Experiment()
    assert query(at) == {}
    assert not at.warning and not at.error
    assert metric(at, "metric.epoch") == "0"
    for key in ("metric.train_loss", "metric.test_loss", "metric.test_acc",
                "metric.speed", "metric.device"):
        assert metric(at, key)
    assert at.title[0].value == translate("app.title")
    assert {b.key for b in at.button} >= {"cmd.play", "cmd.step", "cmd.reset"}
    assert session_worker(worker_registry).alive


def test_reruns_reuse_the_session_worker(at, worker_registry):
    run(at)
    run(at)
    at.selectbox(key="w.dataset").set_value("circle")
    run(at)
    assert len(worker_registry) == 1


# ---- widgets -> spec -> link ------------------------------------------------------------
def test_dataset_widget_changes_spec_worker_and_link(at, worker_registry):
    run(at)
    at.selectbox(key="w.dataset").set_value("circle")
    run(at)
    assert spec(at) == Experiment(dataset="circle")
    assert query(at) == {"dataset": "circle"}
    assert session_worker(worker_registry).spec == spec(at)


def test_training_widgets_change_the_spec(at):
    run(at)
    at.selectbox(key="w.optimizer").set_value("sgd")
    run(at)
    assert spec(at).optimizer == "sgd"
    # SGD shows momentum and Nesterov.
    assert at.slider(key="w.momentum") is not None
    at.select_slider(key="w.lr").set_value(0.1)
    run(at)
    at.slider(key="w.noise").set_value(0.2)
    run(at)
    assert spec(at) == Experiment(optimizer="sgd", lr=0.1, noise=0.2)
    assert query(at) == {"optimizer": "sgd", "lr": "0.1", "noise": "0.2"}


def test_adding_a_layer(at):
    run(at)
    at.number_input(key="w.n_layers").set_value(3)
    run(at)
    assert spec(at).hidden == (Layer(8, "tanh"),) * 3
    assert query(at) == {"hidden": "8-tanh,8-tanh,8-tanh"}
    at.number_input(key="w.width.2").set_value(4)
    at.selectbox(key="w.act.2").set_value("relu")
    run(at)
    assert spec(at).hidden[2] == Layer(4, "relu")
    assert_link_matches(at)


def test_removing_every_layer(at):
    run(at)
    at.number_input(key="w.n_layers").set_value(0)
    run(at)
    assert spec(at).hidden == ()
    assert query(at) == {"hidden": "none"}


def test_view_toggles_change_the_spec(at):
    run(at)
    at.toggle(key="w.show_test").set_value(True)
    run(at)
    assert spec(at).show_test
    assert query(at) == {"show_test": "1"}


def test_regression_dataset_switches_the_loss_with_a_note(at):
    run(at)
    assert spec(at).loss == "bce"
    at.selectbox(key="w.dataset").set_value("plane")
    run(at)
    assert spec(at).dataset == "plane" and spec(at).loss == "mse"
    assert at.selectbox(key="w.loss").value == "mse"
    switched = translate("note.loss_switched", problem=translate("problem.regression"))
    assert [i.value for i in at.info] == [switched]
    assert not at.error and not at.warning
    assert_link_matches(at)

    run(at)  # the note is shown once, not on every rerun
    assert not at.info

    at.selectbox(key="w.dataset").set_value("blobs")  # and on to multi-class
    run(at)
    assert spec(at).loss == "ce" and spec(at).n_classes == 3
    assert at.slider(key="w.n_classes").value == 3
    assert not at.error


def boundary_title(at: AppTest) -> str:
    charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    titles = [c["layout"].get("title", {}).get("text") for c in charts]
    return titles[0]


def test_a_setting_change_while_paused_is_drawn_in_the_same_run(at):
    run(at)
    at.selectbox(key="w.dataset").set_value("plane")
    run(at)
    assert spec(at).problem == "regression"
    assert boundary_title(at) == translate("chart.boundary_title.regression")
    assert translate("metric.test_acc") not in [m.label for m in at.metric]


# ---- links ---------------------------------------------------------------------------------
def test_a_good_link_sets_spec_and_widgets(at):
    at.query_params["dataset"] = "circle"
    at.query_params["lr"] = "0.0005"  # not one of the slider's stops
    at.query_params["hidden"] = "4-relu"
    run(at)
    assert spec(at) == Experiment(dataset="circle", lr=0.0005, hidden=(Layer(4, "relu"),))
    assert not at.warning
    assert at.selectbox(key="w.dataset").value == "circle"
    assert at.select_slider(key="w.lr").value == 0.0005
    assert at.number_input(key="w.n_layers").value == 1
    assert at.number_input(key="w.width.0").value == 4
    assert_link_matches(at)


def test_a_bad_link_warns_and_falls_back_to_defaults(at):
    at.query_params["lr"] = "abc"
    at.query_params["bogus"] = "1"
    at.query_params["dataset"] = "nope"
    run(at)
    assert spec(at) == Experiment()
    warnings = [w.value for w in at.warning]
    assert len(warnings) == 3, warnings
    assert any("bogus" in w for w in warnings)
    assert any("nope" in w for w in warnings)
    assert any("abc" in w for w in warnings)
    assert not any("{" in w or "note." in w for w in warnings)
    assert query(at) == {}  # the link is rewritten to the spec it got
    assert metric(at, "metric.epoch") == "0"


def test_an_out_of_range_link_value_is_clamped_with_a_warning(at):
    at.query_params["lr"] = "99"
    run(at)
    assert spec(at).lr == 10.0
    assert [w.value for w in at.warning] == [
        translate("note.clamped", field=translate("field.lr"), value="99", fixed="10.0")]
    assert_link_matches(at)


# ---- control bar ---------------------------------------------------------------------------
def test_step_then_reset(at):
    run(at)
    at.button(key="cmd.step").click()
    run(at)
    assert metric(at, "metric.epoch") == "1"
    at.button(key="cmd.step").click()
    run(at)
    assert metric(at, "metric.epoch") == "2"
    at.button(key="cmd.reset").click()
    run(at)
    assert metric(at, "metric.epoch") == "0"


def test_play_then_pause(at, worker_registry):
    run(at)
    at.button(key="cmd.play").click()
    run(at)
    keys = {b.key for b in at.button}
    assert "cmd.pause" in keys and "cmd.play" not in keys
    worker = session_worker(worker_registry)
    deadline = time.monotonic() + 5
    while worker.snapshot().epoch == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert worker.snapshot().epoch > 0
    at.button(key="cmd.pause").click()
    run(at)
    keys = {b.key for b in at.button}
    assert "cmd.play" in keys and "cmd.pause" not in keys
    assert worker.snapshot().status == "paused"
    epoch = worker.snapshot().epoch
    assert int(metric(at, "metric.epoch").replace(",", "")) == epoch > 0


def test_a_diverged_run_shows_an_error_and_disables_training(at):
    at.query_params.update({"dataset": "plane", "optimizer": "sgd", "lr": "10",
                            "hidden": "none"})
    run(at)
    assert not at.error
    at.button(key="cmd.step").click()
    run(at)
    assert len(at.error) == 1
    text = at.error[0].value
    assert "{" not in text and "status." not in text
    assert at.button(key="cmd.play").disabled
    assert at.button(key="cmd.step").disabled
    assert not at.button(key="cmd.reset").disabled

    at.select_slider(key="w.lr").set_value(0.01)  # live lr change: still diverged
    run(at)
    at.button(key="cmd.reset").click()
    run(at)
    assert not at.error
    assert metric(at, "metric.epoch") == "0"
    assert not at.button(key="cmd.play").disabled


def test_a_learning_rate_too_big_for_adam_is_explained_while_training_goes_on(at,
                                                                            worker_registry):
    at.query_params.update({"optimizer": "adam", "lr": "10"})
    run(at)
    assert not at.warning
    at.button(key="cmd.play").click()
    run(at)
    worker = session_worker(worker_registry)
    deadline = time.monotonic() + 60
    while worker.snapshot().warning is None and time.monotonic() < deadline:
        time.sleep(0.1)
    run(at)  # still running: the warning is drawn beside the live metrics
    assert worker.snapshot().status == "running"
    texts = [w.value for w in at.warning]
    assert len(texts) == 1, texts
    assert "learning rate 10 is probably too big for Adam" in texts[0]
    assert "Try 0.01" in texts[0] and "{" not in texts[0]
    at.button(key="cmd.pause").click()
    run(at)
    assert len(at.warning) == 1 and not at.error  # a warning, not a stop

    at.select_slider(key="w.lr").set_value(0.01)  # a new rate is judged afresh
    run(at)
    assert not at.warning


def test_early_stopping_stops_the_run_and_says_so(at):
    at.query_params.update({"dataset": "gauss", "noise": "0.5", "n_samples": "200",
                            "train_ratio": "0.1", "hidden": "32-relu,32-relu", "lr": "0.01",
                            "early_stopping": "1", "patience": "5", "dropout": "0.2"})
    run(at)
    assert at.toggle(key="w.early_stopping").value and at.slider(key="w.dropout").value == 0.2
    at.button(key="cmd.play").click()
    run(at)
    wait_for(at, lambda: at.success)
    assert "went back to the best weights" in at.success[0].value
    assert at.button(key="cmd.play").disabled and at.button(key="cmd.step").disabled


# ---- save, load and export ----------------------------------------------------------------
def upload(at: AppTest, key: str, name: str, data: bytes) -> AppTest:
    at.file_uploader(key=key).set_value((name, data, "application/octet-stream"))
    return run(at)


def test_every_export_is_offered(at):
    run(at)
    labels = {b.proto.label for b in at.get("download_button")}
    assert {translate(k) for k in ("exp.settings", "exp.weights", "exp.history", "exp.pytorch",
                                   "exp.keras", "exp.onnx")} <= labels
    # The code shown is the code downloaded: a script for this very network.
    code = [c.value for c in at.code]
    assert any("nn.Linear(2, 8)" in c and "torch.optim.Adam" in c for c in code)
    assert any("keras.Sequential" in c for c in code)


def test_a_settings_file_restores_the_run(at):
    run(at)
    saved = Experiment(dataset="circle", features=("x1_sq", "x2_sq"), hidden=(), lr=0.1,
                       seed=7)
    upload(at, "w.up.settings", "circle.json", saved.to_json().encode())
    run(at)
    assert spec(at) == saved
    assert query(at)["dataset"] == "circle"
    assert any("circle.json" in s.value for s in at.success)


@pytest.mark.parametrize("data", [b"", b"\xff\xfe\x00", b"[1, 2]", b'{"kind": "table"}'])
def test_a_bad_settings_file_changes_nothing(at, data):
    run(at)
    before = spec(at)
    upload(at, "w.up.settings", "bad.json", data)
    run(at)
    assert spec(at) == before
    assert at.error and not at.success


def test_weights_load_into_the_network_and_bad_ones_are_refused(at, worker_registry):
    import torch

    from playground.dense.export import weights_bytes
    from playground.dense.model import build_model

    run(at)
    current = spec(at)
    model = build_model(current, 2, 1, torch.Generator().manual_seed(99))
    upload(at, "w.up.weights", "net.safetensors", weights_bytes(model, current))
    run(at)
    assert any("net.safetensors" in s.value for s in at.success), [e.value for e in at.error]
    (worker,) = [w for w in worker_registry if w.alive]
    state = worker.fetch_state()
    for name, value in model.state_dict().items():
        torch.testing.assert_close(state[name], value)
    # A pickle under a weights file's name is never unpickled; it is refused.
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    upload(at, "w.up.weights", "renamed.safetensors", buffer.getvalue())
    run(at)
    assert at.error
    assert worker.fetch_state()["0.weight"].equal(model.state_dict()["0.weight"])
