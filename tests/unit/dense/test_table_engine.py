"""Training on a table: the spec, the runner in and out of its process, the
weights going in and out, and what the page draws from the predictions."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from sklearn.metrics import mean_absolute_error, r2_score

from playground.charts.tables import projection_figure, regression_figure
from playground.data.table import prepare, read_table, to_dataset, usable_features
from playground.data.table_examples import EXAMPLES, example_csv
from playground.dense.runner import TableJob, TableRunner, job_change, predictions
from playground.dense.spec import Layer
from playground.dense.table_eval import project, regression_scores
from playground.dense.table_spec import TableExperiment
from playground.dense.trainer import Trainer
from playground.dense.worker import TableWorker


def make_job(example: str = "iris", **overrides) -> TableJob:
    table = read_table(example_csv(example), f"{example}.csv")
    target = table.frame.columns[-1]
    prep = prepare(table, target, usable_features(table, target), "auto", "drop")
    spec = TableExperiment(source=table.name, digest=table.digest, target=target, **overrides)
    spec = spec.with_problem(prep.problem, len(prep.class_names))
    data = to_dataset(prep, spec.train_ratio, spec.seed)
    return TableJob(spec, data, f"{table.digest}|{target}", prep.feature_names,
                    prep.class_names, prep.y_mean, prep.y_std)


# ---- the spec ---------------------------------------------------------------------------------
def test_spec_json_round_trip_and_kind():
    spec = TableExperiment(source="a.csv", digest="abc", target="y", features=("a", "b"),
                           task="regression", missing="impute", problem="regression",
                           hidden=(Layer(4, "tanh"),), loss="huber", lr=0.1, seed=9)
    text = spec.to_json()
    assert json.loads(text)["kind"] == "table"
    back, notes = TableExperiment.from_json(text)
    assert back == spec and notes == []


@pytest.mark.parametrize("text,code", [
    ("{broken", "bad_file"),
    ("[1, 2]", "bad_file"),
    ('{"kind": "playground"}', "bad_file"),
])
def test_bad_settings_files_give_defaults_and_a_note(text, code):
    spec, notes = TableExperiment.from_json(text)
    assert spec == TableExperiment()
    assert [n.code for n in notes] == [code]


def test_bad_values_are_replaced_with_notes():
    spec, notes = TableExperiment.parse({
        "task": "guess", "lr": "fast", "train_ratio": 5, "features": [1, None, "b", "b"],
        "target": ["x"], "colour": "red", "problem": "multiclass", "n_classes": 3,
        "loss": "bce"})
    assert spec.task == "auto" and spec.lr == 0.01 and spec.train_ratio == 0.9
    assert spec.features == ("1", "b") and spec.target == ""
    assert spec.loss == "ce"  # bce can't serve three classes
    codes = {n.code for n in notes}
    assert {"unknown", "bad_value", "clamped", "ignored", "incompatible_loss"} <= codes


def test_with_problem_switches_the_loss_only_when_it_must():
    spec = TableExperiment(loss="ce", problem="multiclass", n_classes=3)
    assert spec.with_problem("binary", 2).loss == "ce"  # ce serves two classes too
    assert spec.with_problem("regression", 0).loss == "mse"
    assert spec.with_problem("multiclass", 50).n_classes == 20


# ---- training ---------------------------------------------------------------------------------
@pytest.mark.parametrize("example", EXAMPLES)
def test_every_example_trains_and_learns(example):
    job = make_job(example)
    trainer = Trainer(job.spec, data=job.data)
    start = trainer.history.last("train_loss")
    for _ in range(15):
        trainer.train_epoch()
    assert trainer.model[0].in_features == job.n_inputs
    assert trainer.history.last("train_loss") < start
    if job.spec.problem != "regression":
        assert trainer.history.last("test_acc") > 0.8


def test_job_change_rebuilds_for_new_data_and_not_for_the_learning_rate():
    job = make_job()
    from dataclasses import replace

    assert job_change(job, replace(job)) == "none"
    assert job_change(job, replace(job, spec=replace(job.spec, lr=0.1))) == "lr"
    assert job_change(job, replace(job, spec=replace(job.spec, seed=5))) == "rebuild"
    assert job_change(job, replace(job, digest="other")) == "rebuild"


def test_runner_messages_carry_predictions_and_a_grid_only_for_two_inputs():
    runner = TableRunner(make_job("iris"))
    msg = runner.message()
    assert msg.grid is None
    assert msg.pred["test"].shape == runner.trainer.y_test.shape
    moons = TableRunner(make_job("moons"))
    assert moons.message().grid.values.shape == (100, 100)


def test_runner_update_keeps_training_for_lr_and_restarts_for_a_new_spec():
    from dataclasses import replace

    job = make_job()
    runner = TableRunner(job)
    runner.trainer.train_epoch()
    first_run = runner.run_id
    runner.apply("update", replace(job, spec=replace(job.spec, lr=0.5)))
    assert runner.run_id == first_run and runner.trainer.epoch == 1
    assert runner.trainer.optimizer.param_groups[0]["lr"] == 0.5
    runner.apply("update", replace(job, spec=replace(job.spec, hidden=(Layer(3, "tanh"),))))
    assert runner.run_id == first_run + 1 and runner.trainer.epoch == 0


def test_predictions_match_the_trainers_accuracy():
    job = make_job()
    trainer = Trainer(job.spec, data=job.data)
    for _ in range(5):
        trainer.train_epoch()
    pred = predictions(trainer)
    acc = float((pred["test"] == job.data.y_test).mean())
    assert acc == pytest.approx(trainer.history.last("test_acc"), abs=1e-6)


def test_state_command_sends_the_weights_once_and_load_replaces_them():
    runner = TableRunner(make_job())
    assert runner.message().state is None
    runner.apply("state")
    state = runner.message().state
    assert set(state) == set(runner.trainer.model.state_dict())
    assert runner.message().state is None  # once per request
    new = {k: torch.full_like(v, 0.01) for k, v in state.items()}
    runner.trainer.train_epoch()
    runner.apply("play")
    runner.apply("load", new)
    assert not runner.running  # loading pauses
    for k, v in runner.trainer.model.state_dict().items():
        assert torch.equal(v, new[k])
    assert not runner.trainer.optimizer.state  # moments of the old weights are gone


def test_loaded_weights_keep_the_fast_path_bound():
    """The 2D trainer's fast path trains a flat buffer that the layers view;
    loading copies into the views, so training goes on with the new weights."""
    job = make_job("moons")
    trainer = Trainer(job.spec, data=job.data)
    assert trainer.fast is not None
    state = {k: torch.zeros_like(v) for k, v in trainer.model.state_dict().items()}
    trainer.load_state(state)
    assert float(trainer.model[0].weight.detach().abs().sum()) == 0.0
    trainer.train_epoch()
    assert float(trainer.model[-1].bias.detach().abs().sum()) > 0  # the optimizer moved them


def test_worker_fetches_and_loads_weights_across_the_process(worker_registry):
    job = make_job()
    worker = TableWorker(job)
    state = worker.fetch_state()
    assert state is not None and set(state) == {"0.weight", "0.bias", "2.weight", "2.bias",
                                                "4.weight", "4.bias"}
    new = {k: torch.randn_like(v) for k, v in state.items()}
    worker.load_state(new)
    assert worker.wait_idle()
    again = worker.fetch_state()
    for k in new:
        assert torch.equal(again[k], new[k])
    assert worker.snapshot().predictions["train"].shape == job.data.y_train.shape
    worker.stop()


# ---- what the page draws ----------------------------------------------------------------------
def test_regression_scores_match_scikit_learn():
    rng = np.random.default_rng(0)
    actual = rng.normal(size=200)
    predicted = actual + rng.normal(scale=0.3, size=200)
    scores = regression_scores(actual, predicted)
    assert scores["r2"] == pytest.approx(r2_score(actual, predicted))
    assert scores["mae"] == pytest.approx(mean_absolute_error(actual, predicted))
    assert scores["rmse"] == pytest.approx(np.sqrt(np.mean((actual - predicted) ** 2)))
    assert regression_scores(np.ones(5), np.ones(5))["r2"] == 0.0  # constant target: no NaN


def test_projection_keeps_the_main_direction():
    rng = np.random.default_rng(1)
    t = rng.normal(size=300)
    x = np.column_stack([t, 2 * t, rng.normal(scale=0.01, size=300)])
    coords, (first, second) = project(x)
    assert coords.shape == (300, 2)
    assert first > 0.99 and second < 0.01
    assert abs(np.corrcoef(coords[:, 0], t)[0, 1]) > 0.99
    one, share = project(x[:, :1])
    assert share == (1.0, 0.0) and np.all(one[:, 1] == 0)


def test_projection_figure_splits_right_and_wrong():
    coords = np.zeros((4, 2))
    fig = projection_figure(coords, np.array([0, 1, 1, 2]), np.array([0, 1, 2, 2]),
                            ("a", "b", "c"), {k: k for k in ("title", "x", "y", "right",
                                                             "wrong", "predicted", "actual")})
    names = [trace.name for trace in fig.data]
    assert names == ["right", "wrong"]
    assert len(fig.data[0].x) == 3 and len(fig.data[1].x) == 1
    assert list(fig.data[1].customdata[0]) == ["b", "c"]  # predicted b, actually c
    reg = projection_figure(coords, np.array([1.0, 2, 3, 4]), np.array([1.0, 2, 3, 5]), (),
                            {k: k for k in ("title", "x", "y", "right", "wrong", "predicted",
                                            "actual")})
    assert reg.data[0].marker.cmin == 1.0 and reg.data[0].marker.cmax == 4.0


def test_regression_figure_draws_the_diagonal_over_both_ranges():
    fig = regression_figure(np.array([1.0, 5.0]), np.array([0.0, 7.0]),
                            {k: k for k in ("title", "actual", "predicted", "ideal")})
    assert list(fig.data[0].x) == [0.0, 7.0] and list(fig.data[0].y) == [0.0, 7.0]
    assert list(fig.data[1].y) == [0.0, 7.0]
