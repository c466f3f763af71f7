"""Training points a learner adds by clicking on the plane: how the spec reads
and writes them, how they join the training set, how a running trainer
takes them without starting over, and the exported script that has them too."""

from __future__ import annotations

import sys
from dataclasses import replace

import numpy as np
import pytest
import torch

from playground.data.dataset import make_dataset
from playground.dense.codegen import keras_code, pytorch_script
from playground.dense.runner import Runner, spec_change
from playground.dense.spec import MAX_POINTS, Experiment, Point, make_point
from playground.dense.trainer import Trainer


def codes(notes) -> list[str]:
    return [n.code for n in notes]


# ---- the spec ------------------------------------------------------------------------
def test_points_read_from_a_link_and_round_trip():
    spec, notes = Experiment.parse({"dataset": "circle", "points": "1.5:-2.25:0,3:4:1"})
    assert notes == [] and spec.points == (Point(1.5, -2.25, 0), Point(3.0, 4.0, 1))
    assert spec.to_query()["points"] == "1.5:-2.25:0,3:4:1"
    assert Experiment.from_query(spec.to_query()) == (spec, [])
    assert Experiment.from_json(spec.to_json()) == (spec, [])
    assert spec.to_dict()["points"] == [[1.5, -2.25, 0], [3.0, 4.0, 1]]


def test_no_points_is_the_default_and_stays_out_of_the_link():
    assert Experiment().points == () and "points" not in Experiment().to_query()
    assert Experiment.parse({"points": "none"}) == (Experiment(), [])
    assert Experiment.parse({"points": ""}) == (Experiment(), [])


@pytest.mark.parametrize("bad", ["x", "1:2", "1:2:3:4", "9:0:0", "0:-6.5:1", "nan:0:0",
                                 "0:0:1.5", "0:0:-1", "0:0:9", "１:0:0"])
def test_an_item_that_is_no_point_is_left_out_with_a_note(bad):
    spec, notes = Experiment.parse({"dataset": "circle", "points": f"1:1:0,{bad}"})
    assert spec.points == (Point(1.0, 1.0, 0),)
    assert codes(notes) == ["bad_point"] and notes[0].value == bad


def test_points_beyond_the_cap_are_cut_with_a_note():
    many = ",".join(f"{i % 6}:{i % 5}:{i % 2}" for i in range(MAX_POINTS + 5))
    spec, notes = Experiment.parse({"dataset": "xor", "points": many})
    assert len(spec.points) == MAX_POINTS and codes(notes) == ["too_many_points"]


def test_points_of_a_class_the_set_lacks_are_dropped_with_a_note():
    spec, notes = Experiment.parse({"dataset": "blobs", "n_classes": 4,
                                    "points": "1:1:3,2:2:1"})
    assert notes == [] and len(spec.points) == 2
    spec, notes = Experiment.parse({**spec.to_dict(), "dataset": "moons"})
    assert spec.points == (Point(2.0, 2.0, 1),) and codes(notes) == ["points_dropped"]


def test_a_regression_set_takes_no_points():
    spec, notes = Experiment.parse({"dataset": "plane", "points": "1:1:0"})
    assert spec.points == () and codes(notes) == ["points_regression"]


def test_a_click_is_rounded_and_kept_on_the_plane():
    assert make_point(1.23456, 7.5, 1) == Point(1.23, 6.0, 1)
    assert make_point(-9, -0.004, 0) == Point(-6.0, -0.0, 0)


def test_added_points_count_in_the_training_set():
    spec = Experiment(dataset="circle", points=(Point(1, 1, 0), Point(-2, 3, 1)))
    assert spec.n_train == 200 and spec.n_training == 202


# ---- the data ------------------------------------------------------------------------
def test_added_points_join_the_training_part_only():
    base = Experiment(dataset="moons", noise=0.1)
    spec = replace(base, points=(Point(1.5, -2.0, 1), Point(0.0, 4.0, 0)))
    plain, data = make_dataset(base), make_dataset(spec)
    np.testing.assert_array_equal(data.x_train[:-2], plain.x_train)
    np.testing.assert_array_equal(data.x_train[-2:], [[1.5, -2.0], [0.0, 4.0]])
    np.testing.assert_array_equal(data.y_train[-2:], [1, 0])
    assert data.x_train.dtype == np.float32 and data.y_train.dtype == plain.y_train.dtype
    np.testing.assert_array_equal(data.x_test, plain.x_test)
    np.testing.assert_array_equal(data.y_test, plain.y_test)


# ---- the training process ------------------------------------------------------------
def test_new_points_are_a_live_change_and_other_changes_still_rebuild():
    old = Experiment(dataset="circle")
    new = replace(old, points=(Point(1, 1, 0),))
    assert spec_change(old, new) == "points"
    assert spec_change(old, replace(new, lr=0.1, show_test=True)) == "points"
    assert spec_change(old, replace(new, seed=3)) == "rebuild"


def test_the_runner_trains_on_added_points_with_the_weights_it_has():
    spec = Experiment(dataset="circle", n_samples=100, hidden=())
    runner = Runner(spec)
    for _ in range(3):
        runner.apply("step")
    runner.message()  # the run's first message: it carried the data
    weights = [p.detach().clone() for p in runner.trainer.model.parameters()]
    run_id, epoch = runner.run_id, runner.trainer.epoch
    added = replace(spec, points=(Point(5.0, 5.0, 1), Point(-5.0, 5.0, 1)))
    runner.apply("update", added)
    assert runner.run_id == run_id and runner.trainer.epoch == epoch  # no new run
    for before, now in zip(weights, runner.trainer.model.parameters()):
        torch.testing.assert_close(before, now)
    assert runner.trainer.x_train.shape[0] == spec.n_train + 2
    message = runner.message()
    assert message.data is not None and len(message.data.x_train) == spec.n_train + 2
    assert message.spec.points == added.points
    runner.apply("step")  # trains on them
    assert runner.trainer.epoch == epoch + 1
    assert runner.message().data is None  # sent once


# ---- the exported code ---------------------------------------------------------------
def test_the_pytorch_script_trains_on_the_added_points_too(monkeypatch, capsys):
    spec = Experiment(dataset="circle", n_samples=100, hidden=(),
                      points=(Point(1.5, -2.25, 1), Point(-4.0, 0.5, 0)))
    src = pytorch_script(spec)
    monkeypatch.setattr(sys, "argv", ["script.py", "--epochs", "0"])
    namespace = {"__name__": "__main__"}
    exec(compile(src, "<gen>", "exec"), namespace)
    capsys.readouterr()
    trainer = Trainer(spec, device=torch.device("cpu"), fast=False)
    np.testing.assert_allclose(namespace["x_train"], trainer.x_train.numpy(), atol=1e-6)
    np.testing.assert_array_equal(namespace["y_train"], trainer.data.y_train)
    assert "2 training points added by clicking" in src
    assert "ADDED" not in pytorch_script(replace(spec, points=()))
    compile(keras_code(spec), "<keras>", "exec")
