"""ImageRunner in this process: commands, training slices and the messages it sends.

The child process (core.runner.serve) only adds a pipe around these; here the
runner is driven directly, so every step is deterministic.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from support import layers

from playground.images.model import build_image_model
from playground.images.presets import apply_preset
from playground.images.runner import (
    MAX_FILTERS,
    MAX_MAPS,
    MAX_MISTAKES,
    ImageRunner,
    first_layer,
    spec_change,
)
from playground.images.spec import ImageExperiment

DIGITS = ImageExperiment()  # the dense default on the 8x8 digits
CNN = apply_preset(DIGITS, "digits_cnn")
STEPS = math.ceil(DIGITS.n_train / DIGITS.batch_size)  # batches per epoch
pytestmark = pytest.mark.usefixtures("one_thread")


def run_until_paused(runner: ImageRunner, limit: int = 400) -> None:
    """Train slices the way core.runner.serve does, until the runner stops itself."""
    for _ in range(limit):
        if not runner.running:
            return
        runner.train_slice()
    raise AssertionError("the runner kept running")


# ---- play / pause / step ------------------------------------------------------------------
def test_starts_paused_at_epoch_zero():
    runner = ImageRunner(DIGITS)
    assert runner.status() == ("paused", "")
    msg = runner.message()
    assert (msg.run, msg.status, msg.epoch, msg.step) == (1, "paused", 0, 0)
    assert msg.rows["epoch"] == [0]
    assert msg.info == {"classes": tuple(str(d) for d in range(10)), "shape": (1, 8, 8),
                           "sizes": (DIGITS.n_train, DIGITS.n_val, DIGITS.n_test)}
    assert msg.rate == 0.0


def test_play_trains_and_pause_holds():
    runner = ImageRunner(DIGITS)
    runner.apply("play")
    assert runner.running and runner.status() == ("running", "")
    for _ in range(3):
        runner.train_slice()
    assert runner.trainer.step > 0 and runner.rate > 0
    runner.apply("pause")
    assert not runner.running and runner.status() == ("paused", "")
    msg = runner.message()
    assert msg.status == "paused" and msg.rate == 0.0
    assert msg.step == runner.trainer.step


def test_step_finishes_the_current_epoch_then_pauses():
    runner = ImageRunner(DIGITS)
    for _ in range(3):
        runner.trainer.train_step()  # part way into epoch 1
    runner.apply("step")
    assert runner.running and runner.stepping
    run_until_paused(runner)
    t = runner.trainer
    assert (t.epoch, t.step, t.epoch_progress) == (1, STEPS, 0.0)
    assert runner.status() == ("paused", "")
    runner.apply("step")
    run_until_paused(runner)
    assert (t.epoch, t.step) == (2, 2 * STEPS)
    assert t.history.cols["epoch"] == [0, 1, 2]


def test_play_after_step_keeps_running_past_the_epoch():
    runner = ImageRunner(DIGITS)
    runner.apply("step")
    runner.apply("play")  # play wins: no longer stepping
    assert runner.running and not runner.stepping
    while runner.trainer.epoch < 2:
        runner.train_slice()
    assert runner.running


def test_idle_pauses_and_wake_resumes_only_what_ran():
    runner = ImageRunner(DIGITS)
    runner.apply("play")
    runner.apply("idle")
    assert (runner.running, runner.idle) == (False, True)
    runner.apply("wake")
    assert (runner.running, runner.idle) == (True, False)
    runner.apply("pause")
    runner.apply("idle")
    runner.apply("wake")
    assert not runner.running  # paused stays paused


# ---- updates ----------------------------------------------------------------------------------
def test_spec_change_kinds():
    assert spec_change(DIGITS, DIGITS) == "none"
    assert spec_change(DIGITS, replace(DIGITS, preset="digits_mlp")) == "none"
    assert spec_change(DIGITS, replace(DIGITS, lr=0.01, patience=5, max_epochs=3)) == "live"
    assert spec_change(DIGITS, replace(DIGITS, lr=0.01, batch_size=32)) == "rebuild"
    assert spec_change(DIGITS, CNN) == "rebuild"


def test_an_lr_update_is_live():
    runner = ImageRunner(DIGITS)
    runner.apply("step")
    run_until_paused(runner)
    trainer, rows = runner.trainer, len(runner.trainer.history)
    runner.apply("update", replace(DIGITS, lr=0.02))
    assert runner.trainer is trainer and runner.run_id == 1
    assert [g["lr"] for g in trainer.optimizer.param_groups] == [0.02]
    assert trainer.spec.lr == 0.02 and runner.message().spec.lr == 0.02
    assert len(trainer.history) == rows and trainer.epoch == 1


def test_a_layers_update_rebuilds():
    runner = ImageRunner(DIGITS)
    runner.apply("play")
    runner.train_slice()
    runner.message()
    runner.apply("update", replace(DIGITS, layers=layers("dense:16:relu")))
    assert runner.run_id == 2 and not runner.running
    t = runner.trainer
    assert (t.epoch, t.step, len(t.history)) == (0, 0, 1)
    assert t.model[1].out_features == 16
    msg = runner.message()
    assert msg.run == 2 and msg.rows["epoch"] == [0]  # the history starts again
    assert msg.info is not None  # a new run tells its data again


def test_reset_starts_a_new_run_with_the_same_or_a_new_spec():
    runner = ImageRunner(DIGITS)
    runner.apply("step")
    run_until_paused(runner)
    runner.apply("reset")
    assert runner.run_id == 2 and runner.trainer.spec == DIGITS and runner.trainer.epoch == 0
    runner.apply("reset", CNN)
    assert runner.run_id == 3 and runner.trainer.spec == CNN


def test_raising_max_epochs_after_finishing_lets_training_go_on():
    runner = ImageRunner(replace(DIGITS, max_epochs=1))
    runner.apply("play")
    run_until_paused(runner)
    assert runner.status() == ("finished", "max_epochs")
    runner.apply("play")  # refused: nothing left to do
    assert not runner.running
    runner.apply("update", replace(DIGITS, max_epochs=3))
    assert runner.status() == ("paused", "") and runner.run_id == 1
    runner.apply("play")
    run_until_paused(runner)
    assert runner.status() == ("finished", "max_epochs")
    assert runner.trainer.history.cols["epoch"] == [0, 1, 2, 3]


def test_turning_early_stopping_off_lets_training_go_on(monkeypatch):
    runner = ImageRunner(replace(DIGITS, early_stopping=True, patience=1, max_epochs=10))
    t = runner.trainer
    real = type(t).evaluate
    # Validation loss that only gets worse after epoch 0.
    monkeypatch.setattr(t, "evaluate", lambda x, y: (5.0 + t.epoch, 0.1) if x is t.x_val
                        else real(t, x, y))
    runner.apply("play")
    run_until_paused(runner)
    assert runner.status() == ("finished", "early_stop") and t.epoch == 1
    runner.apply("update", replace(t.spec, early_stopping=False))
    assert runner.status() == ("paused", "")
    runner.apply("step")
    run_until_paused(runner)
    assert t.epoch == 2 and runner.status() == ("paused", "")


# ---- messages -----------------------------------------------------------------------------------
def test_history_rows_are_sent_once():
    runner = ImageRunner(DIGITS)
    first = runner.message()
    assert first.rows["epoch"] == [0]
    runner.apply("step")
    run_until_paused(runner)
    runner.apply("step")
    run_until_paused(runner)
    second = runner.message()
    assert second.rows["epoch"] == [1, 2]
    assert set(second.rows) == set(runner.trainer.history.columns)
    assert second.rows["val_loss"] == runner.trainer.history.cols["val_loss"][1:]
    assert second.info is None  # sent with the first message only
    third = runner.message()
    assert all(v == [] for v in third.rows.values())


def test_the_report_describes_the_test_set():
    runner = ImageRunner(DIGITS)
    runner.apply("step")
    run_until_paused(runner)
    msg = runner.message()
    report, t = msg.report, runner.trainer
    assert (report["epoch"], report["step"]) == (1, STEPS)
    cm, y = report["cm"], t.splits.y_test
    assert cm.shape == (10, 10) and cm.sum() == DIGITS.n_test == len(y)
    np.testing.assert_array_equal(cm.sum(1), np.bincount(y, minlength=10))
    assert report["test_acc"] == pytest.approx(np.trace(cm) / cm.sum())
    assert report["test_acc"] == pytest.approx(t.evaluate(t.x_test, t.y_test)[1], abs=1e-6)

    # The mistakes, checked against the trainer's own probabilities.
    probs = t.probabilities(t.splits.x_test)
    pred = probs.argmax(1)
    wrong = np.flatnonzero(pred != y)
    m = report["mistakes"]
    assert len(wrong) > 0 and len(m["index"]) == min(MAX_MISTAKES, len(wrong))
    assert set(m["index"]) <= set(wrong)
    np.testing.assert_array_equal(m["true"], y[m["index"]])
    np.testing.assert_array_equal(m["pred"], pred[m["index"]])
    assert (m["pred"] != m["true"]).all()
    confidence = m["probs"][np.arange(len(m["index"])), m["pred"]]
    assert (np.diff(confidence) <= 1e-7).all()  # most confident first
    others = np.setdiff1d(wrong, m["index"])
    if len(others):  # none left out is more confident than the last one shown
        assert probs[others, pred[others]].max() <= confidence[-1] + 1e-6
    np.testing.assert_allclose(m["probs"], probs[m["index"]], atol=1e-6)
    # Images back in the data's own 0..1 scale.
    s = t.splits
    assert m["images"].shape == (len(m["index"]), 8, 8)
    np.testing.assert_allclose(m["images"], s.x_test[m["index"], 0] * s.std + s.mean, atol=1e-5)
    assert m["images"].min() >= -1e-5 and m["images"].max() <= 1 + 1e-5

    assert runner.message().report is None  # nothing new trained: no new report


def test_the_first_report_is_of_the_untrained_model():
    runner = ImageRunner(DIGITS)
    report = runner.message().report
    assert report is not None and report["step"] == 0 and report["cm"].sum() == DIGITS.n_test


def test_focus_picks_the_feature_maps_sent():
    runner = ImageRunner(CNN)
    t = runner.trainer
    first = runner.message().fmaps
    assert first["index"] == 0 and first["label"] == int(t.splits.y_test[0])
    assert runner.message().fmaps is None  # same step, same example: not sent again
    runner.apply("focus", 5)
    fm = runner.message().fmaps
    assert fm["index"] == 5 and fm["label"] == int(t.splits.y_test[5])
    s = t.splits
    np.testing.assert_allclose(fm["image"], s.x_test[5, 0] * s.std + s.mean, atol=1e-5)
    expected = t.feature_maps(t.x_test[5])
    assert [i for i, _ in fm["maps"]] == [i for i, _ in expected]
    for (_, got), (_, want) in zip(fm["maps"], expected, strict=True):
        np.testing.assert_array_equal(got, want[:MAX_MAPS])
    assert [m.shape for _, m in fm["maps"]] == [(16, 8, 8), (16, 4, 4)]  # 32 maps cut to 16
    runner.apply("focus", 10_000)  # past the end: the last test example
    assert runner.message().fmaps["index"] == DIGITS.n_test - 1


def test_classify_answers_with_probabilities_of_the_normalised_image():
    runner = ImageRunner(DIGITS)
    runner.apply("step")
    run_until_paused(runner)
    t, s = runner.trainer, runner.trainer.splits
    raw = s.x_test[7] * s.std + s.mean  # (1, 8, 8) in 0..1, as a page would send it
    runner.apply("classify", (42, raw))
    request_id, probs = runner.message().classified
    assert request_id == 42
    assert probs.shape == (10,) and (probs >= 0).all()
    assert probs.sum() == pytest.approx(1.0, abs=1e-5)
    normalised = ((raw - s.mean) / s.std)[None].astype(np.float32)
    np.testing.assert_allclose(probs, t.probabilities(normalised)[0], atol=1e-6)
    np.testing.assert_allclose(probs, t.probabilities(s.x_test[7:8])[0], atol=1e-5)
    assert runner.message().classified is None  # answered once


# ---- first layer ------------------------------------------------------------------------------
def test_first_layer_of_a_cnn_is_its_filters():
    model = build_image_model(CNN)
    kind, filters = first_layer(model, (1, 8, 8))
    assert kind == "conv" and filters.shape == (16, 3, 3)
    np.testing.assert_array_equal(filters, model[0].weight.detach()[:, 0].numpy())


def test_first_layer_of_a_wide_cnn_is_capped():
    model = build_image_model(layers("conv:40:5:1:valid:relu"), (1, 8, 8))
    assert first_layer(model, (1, 8, 8))[1].shape == (MAX_FILTERS, 5, 5)


def test_first_layer_of_an_mlp_is_each_unit_over_the_pixels():
    model = build_image_model(layers("flatten,dense:12:relu"), (1, 8, 8))
    kind, units = first_layer(model, (1, 8, 8))
    assert kind == "dense" and units.shape == (12, 8, 8)
    w = model[1].weight.detach().numpy()  # (12, 64)
    for u in range(12):
        np.testing.assert_array_equal(units[u], w[u].reshape(8, 8))
    # Unit 3's weight on pixel (row 2, column 5) sits at that pixel.
    assert units[3, 2, 5] == w[3, 2 * 8 + 5]
    wide = build_image_model(layers("dense:100:relu"), (1, 8, 8))
    assert first_layer(wide, (1, 8, 8))[1].shape == (MAX_FILTERS, 8, 8)


def test_a_pool_before_the_first_dense_layer_still_reports():
    spec = replace(DIGITS, layers=layers("avgpool:2:0,dense:10:relu"))
    runner = ImageRunner(spec)
    msg = runner.message()
    kind, units = msg.report["first_layer"]
    assert kind == "dense" and units.shape == (10, 4, 4)  # one pooled picture per unit
