"""The Runner in-process (no child process): commands, live updates, idle,
divergence and the messages it publishes."""

from __future__ import annotations

import math
from dataclasses import fields, replace

import pytest

from playground.core.history import COLUMNS
from playground.core.pacing import Pace, Pacer
from playground.core.runner import SLICE
from playground.dense.runner import LIVE_FIELDS, VIEW_FIELDS, Runner, spec_change
from playground.dense.spec import Experiment, Layer

DIVERGING = Experiment(dataset="plane", loss="mse", optimizer="sgd", lr=10.0, hidden=())


def small(**kw) -> Experiment:
    """A quick spec: few samples, so an epoch takes a millisecond or two."""
    return Experiment(**{"n_samples": 100, "batch_size": 10, **kw})


@pytest.fixture
def runner() -> Runner:
    return Runner(small())


def lr_of(runner: Runner) -> list[float]:
    return [group["lr"] for group in runner.trainer.optimizer.param_groups]


def train_until_diverged(runner: Runner, max_slices: int = 20) -> None:
    runner.apply("play")
    for _ in range(max_slices):
        if not runner.running:
            break
        runner.train_slice()


# ---- spec_change ----------------------------------------------------------------
def test_spec_change_none_for_equal_specs():
    assert spec_change(Experiment(), Experiment()) == "none"


@pytest.mark.parametrize("name", sorted(VIEW_FIELDS))
def test_spec_change_view_fields(name):
    old = Experiment()
    assert spec_change(old, replace(old, **{name: not getattr(old, name)})) == "view"


def test_spec_change_lr_alone_and_with_view_fields():
    old = Experiment()
    assert spec_change(old, replace(old, lr=0.1)) == "lr"
    assert spec_change(old, replace(old, lr=0.1, show_test=True, discretize=True)) == "lr"


REBUILD_CHANGES = {
    "dataset": "circle", "n_classes": 4, "noise": 0.2, "n_samples": 300, "train_ratio": 0.7,
    "seed": 7, "features": ("x1", "x2", "x1_sq"), "hidden": (Layer(4, "relu"),),
    "loss": "tanh_mse", "init": "he", "optimizer": "sgd", "momentum": 0.5, "nesterov": True,
    "batch_size": 20, "regularization": "l2", "reg_rate": 0.01,
    "dropout": 0.2, "early_stopping": True, "patience": 10,
}


def test_rebuild_changes_cover_every_training_field():
    training = {f.name for f in fields(Experiment)} - VIEW_FIELDS - LIVE_FIELDS
    assert set(REBUILD_CHANGES) == training


@pytest.mark.parametrize("name", sorted(REBUILD_CHANGES))
def test_spec_change_rebuild_for_training_fields(name):
    old = Experiment()
    new = replace(old, **{name: REBUILD_CHANGES[name]})
    assert spec_change(old, new) == "rebuild"
    # Together with an lr or view change it still rebuilds.
    assert spec_change(old, replace(new, lr=0.1, show_test=True)) == "rebuild"


# ---- play / pause / step / reset ------------------------------------------------------
def test_fresh_runner(runner):
    assert runner.status() == ("paused", "")
    assert not runner.running and not runner.idle
    assert runner.trainer.epoch == 0
    assert runner.run_id == 1


def test_play_and_pause(runner):
    runner.apply("play")
    assert runner.running and runner.status() == ("running", "")
    assert runner.trainer.epoch == 0  # play only sets the state; train_slice trains
    runner.train_slice()
    assert runner.trainer.epoch > 0
    assert runner.rate > 0
    runner.apply("pause")
    assert not runner.running and runner.status() == ("paused", "")


def test_step_trains_exactly_one_epoch(runner):
    for expected in (1, 2, 3):
        runner.apply("step")
        assert runner.trainer.epoch == expected
        assert len(runner.trainer.history) == expected + 1
        assert not runner.running


def test_step_while_running_pauses(runner):
    runner.apply("play")
    runner.train_slice()
    epoch = runner.trainer.epoch
    runner.apply("step")
    assert runner.trainer.epoch == epoch + 1
    assert not runner.running
    assert runner.status() == ("paused", "")


def test_reset_rebuilds(runner):
    for _ in range(3):
        runner.apply("step")
    old_trainer = runner.trainer
    runner.apply("reset")
    assert runner.trainer is not old_trainer
    assert runner.trainer.epoch == 0 and len(runner.trainer.history) == 1
    assert runner.run_id == 2
    assert runner.trainer.spec == small()
    # The same seed starts from the same weights: epoch 0 records the same losses.
    assert runner.trainer.history.cols["train_loss"] == old_trainer.history.cols["train_loss"][:1]


def test_reset_with_a_new_spec(runner):
    runner.apply("step")
    new = small(dataset="circle")
    runner.apply("reset", new)
    assert runner.trainer.spec == new
    assert runner.trainer.epoch == 0
    assert runner.run_id == 2


def test_reset_keeps_the_running_state(runner):
    runner.apply("play")
    runner.apply("reset")
    assert runner.running


# ---- live updates -----------------------------------------------------------------
def test_update_lr_only_keeps_training_state(runner):
    for _ in range(3):
        runner.apply("step")
    trainer, history = runner.trainer, runner.trainer.history
    new = replace(runner.trainer.spec, lr=0.1)
    assert spec_change(runner.trainer.spec, new) == "lr"
    runner.apply("update", new)
    assert runner.trainer is trainer and runner.trainer.history is history
    assert runner.trainer.epoch == 3
    assert runner.run_id == 1
    assert lr_of(runner) == [0.1]
    assert runner.trainer.spec == new


def test_update_lr_with_view_change_applies_both(runner):
    runner.apply("step")
    new = replace(runner.trainer.spec, lr=0.003, show_test=True)
    runner.apply("update", new)
    assert runner.trainer.epoch == 1 and runner.run_id == 1
    assert lr_of(runner) == [0.003]
    assert runner.trainer.spec == new


def test_update_view_only_keeps_training_state(runner):
    runner.apply("step")
    runner.apply("step")
    trainer = runner.trainer
    new = replace(runner.trainer.spec, show_test=True, discretize=True)
    assert spec_change(runner.trainer.spec, new) == "view"
    runner.apply("update", new)
    assert runner.trainer is trainer
    assert runner.trainer.epoch == 2 and runner.run_id == 1
    assert runner.trainer.spec == new
    assert lr_of(runner) == [small().lr]


def test_update_with_same_spec_changes_nothing(runner):
    runner.apply("step")
    trainer = runner.trainer
    runner.apply("update", small())
    assert runner.trainer is trainer and runner.trainer.epoch == 1 and runner.run_id == 1


@pytest.mark.parametrize("change", [{"dataset": "circle"}, {"seed": 5}, {"optimizer": "sgd"},
                                    {"hidden": (Layer(3, "relu"),)}, {"lr": 0.1, "noise": 0.1}])
def test_update_other_change_rebuilds(runner, change):
    runner.apply("step")
    new = replace(runner.trainer.spec, **change)
    assert spec_change(runner.trainer.spec, new) == "rebuild"
    runner.apply("update", new)
    assert runner.trainer.spec == new
    assert runner.trainer.epoch == 0
    assert runner.run_id == 2
    assert lr_of(runner) == [new.lr]


def test_update_rebuild_keeps_the_running_state(runner):
    runner.apply("play")
    runner.apply("update", small(dataset="xor"))
    assert runner.running and runner.trainer.epoch == 0


# ---- idle / wake ----------------------------------------------------------------------
def test_idle_pauses_a_running_runner_and_wake_resumes_it(runner):
    runner.apply("play")
    runner.apply("idle")
    assert not runner.running and runner.idle
    assert runner.status() == ("paused", "")
    runner.apply("wake")
    assert runner.running and not runner.idle
    assert runner.status() == ("running", "")


def test_wake_keeps_a_paused_runner_paused(runner):
    runner.apply("idle")  # nobody watching, but it was not running
    assert not runner.idle
    runner.apply("wake")
    assert not runner.running


def test_wake_without_idle_is_harmless(runner):
    runner.apply("wake")
    assert not runner.running
    runner.apply("play")
    runner.apply("wake")
    assert runner.running


def test_play_while_idle_runs_and_wake_clears_idle(runner):
    runner.apply("play")
    runner.apply("idle")
    runner.apply("play")  # a play while idle runs again
    assert runner.running
    runner.apply("wake")
    assert runner.running and not runner.idle


# ---- pace ---------------------------------------------------------------------------
def test_a_paced_slice_trains_a_few_epochs_then_waits(runner):
    # The pacer on a clock that stands still: the wait is all the epochs' 1/60 s.
    runner.pacer = Pacer(per_sec=Runner.max_per_sec, cpu=lambda: 0.0, clock=lambda: 0.0)
    runner.apply("play")
    per_slice = round(Runner.max_per_sec * SLICE)  # 60 epochs a second: a few a slice
    runner.train_slice()
    trained = runner.trainer.epoch
    assert 0 < trained <= per_slice  # fewer if the CPU is slow
    assert runner.pause_for() == pytest.approx(trained / Runner.max_per_sec)
    runner.apply("pause")
    assert runner.pause_for() == 0.0


def test_full_speed_lifts_the_cap_and_keeps_the_share(runner):
    runner.apply("pace", Pace(math.inf, full_speed=True))
    runner.apply("play")
    for _ in range(3):
        runner.train_slice()
        assert runner.pause_for() == 0.0  # no cap, no share: never waits
    runner.apply("pace", Pace(0.1, full_speed=True))  # a tenth of a core, still no cap
    assert (runner.pacer.share, runner.pacer.per_sec) == (0.1, None)
    runner.apply("pace", Pace(0.1))
    assert runner.pacer.per_sec == Runner.max_per_sec


def test_the_pace_survives_a_rebuild(runner):
    runner.apply("pace", Pace(0.5, full_speed=True))
    runner.apply("update", replace(runner.spec, dataset="xor"))
    assert runner.run_id == 2 and runner.pace == Pace(0.5, full_speed=True)
    assert runner.pacer.per_sec is None and runner.pacer.share == 0.5


# ---- divergence ---------------------------------------------------------------------
def test_diverging_setup_stops_itself():
    runner = Runner(DIVERGING)
    assert runner.status() == ("paused", "")
    train_until_diverged(runner)
    status, reason = runner.status()
    assert (status, reason in ("nan", "inf")) == ("diverged", True)
    assert not runner.running
    last = runner.trainer.history.last("train_loss")
    assert not math.isfinite(last)


def test_play_and_step_do_not_restart_a_diverged_run():
    runner = Runner(DIVERGING)
    train_until_diverged(runner)
    epoch = runner.trainer.epoch
    runner.apply("play")
    assert not runner.running
    assert runner.status()[0] == "diverged"
    runner.apply("step")
    assert runner.trainer.epoch == epoch
    runner.apply("wake")
    assert not runner.running


def test_lr_update_does_not_clear_divergence_but_reset_does():
    runner = Runner(DIVERGING)
    train_until_diverged(runner)
    runner.apply("update", replace(DIVERGING, lr=0.001))
    assert runner.status()[0] == "diverged"  # the weights are already NaN
    runner.apply("reset")
    assert runner.status() == ("paused", "")
    assert runner.trainer.spec.lr == 0.001 and runner.trainer.epoch == 0
    runner.apply("play")
    assert runner.running


def test_diverged_message_reports_the_reason():
    runner = Runner(DIVERGING)
    train_until_diverged(runner)
    msg = runner.message()
    assert msg.status == "diverged" and msg.detail in ("nan", "inf")
    assert msg.rate == 0.0


# ---- messages -----------------------------------------------------------------------
def test_first_message_has_everything(runner):
    msg = runner.message()
    assert msg.run == 1
    assert msg.spec == small()
    assert (msg.status, msg.detail) == ("paused", "")
    assert (msg.epoch, msg.step) == (0, 0)
    assert set(msg.rows) == set(COLUMNS)
    assert msg.rows["epoch"] == [0]
    assert msg.data is runner.trainer.data
    assert msg.grid.values.shape == (100, 100)
    assert msg.device
    assert msg.rate == 0.0


def test_message_sends_only_new_rows_and_data_once(runner):
    runner.message()
    msg = runner.message()
    assert all(v == [] for v in msg.rows.values())
    assert msg.data is None

    runner.apply("step")
    runner.apply("step")
    msg = runner.message()
    assert msg.rows["epoch"] == [1, 2]
    assert all(len(v) == 2 for v in msg.rows.values())
    assert msg.data is None
    assert msg.epoch == 2

    runner.apply("step")
    assert runner.message().rows["epoch"] == [3]
    assert runner.message().rows["epoch"] == []


def test_rows_concatenate_to_the_full_history(runner):
    got = {c: [] for c in COLUMNS}
    runner.apply("play")
    for _ in range(3):
        runner.train_slice()
        for c, v in runner.message().rows.items():
            got[c] += v
    assert got == runner.trainer.history.cols
    assert got["epoch"] == list(range(runner.trainer.epoch + 1))


def test_new_run_starts_rows_and_data_again(runner):
    runner.apply("step")
    runner.message()
    runner.apply("reset")
    msg = runner.message()
    assert msg.run == 2
    assert msg.rows["epoch"] == [0]
    assert msg.data is runner.trainer.data

    runner.apply("update", small(dataset="circle"))
    msg = runner.message()
    assert msg.run == 3 and msg.rows["epoch"] == [0] and msg.data is not None
    assert msg.spec.dataset == "circle"


def test_live_update_message_keeps_the_run(runner):
    runner.apply("step")
    runner.message()
    runner.apply("update", replace(small(), lr=0.1, show_test=True))
    msg = runner.message()
    assert msg.run == 1
    assert msg.rows["epoch"] == [] and msg.data is None
    assert msg.spec.lr == 0.1 and msg.spec.show_test


def test_running_message_reports_a_rate(runner):
    runner.apply("play")
    runner.train_slice()
    msg = runner.message()
    assert msg.status == "running" and msg.rate > 0
    runner.apply("pause")
    assert runner.message().rate == 0.0
