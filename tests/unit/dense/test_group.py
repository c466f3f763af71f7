"""RunGroup: runs side by side, batched where they share an architecture,
each with the curves and weights it gets alone, bit for bit (see test_batched.py)."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
from support import CPU, spec_for
from test_batched import (  # same folder: pytest puts it on the path
    alone,
    assert_same_history,
    assert_same_weights,
)

from playground.dense.group import RunGroup

pytestmark = pytest.mark.usefixtures("one_thread")


def train(group: RunGroup, epochs: int) -> None:
    for _ in range(epochs):
        group.train_epoch()


def test_runs_of_one_architecture_train_together_others_apart():
    specs = [spec_for(lr="0.01"), spec_for(hidden="4-tanh,4-tanh"), spec_for(seed="2"),
             spec_for(hidden="4-tanh,4-tanh", seed="3", lr="0.01"), spec_for(hidden="8-relu")]
    group = RunGroup(specs, device=CPU)
    assert len(group) == 5
    assert sorted(map(sorted, group.plan())) == [[0, 2], [1, 3], [4]]
    train(group, 5)
    assert len(group.batches) == 2  # [0, 2] and [1, 3], each in one batch
    for run, spec in zip(group.runs, specs, strict=True):
        assert run.epoch == 5
        want = alone(spec, 5)
        assert_same_history(run, want)
        assert_same_weights(run, want)


def test_add_remove_and_replace_between_epochs():
    a, b, c, d = (spec_for(seed=str(s), lr="0.01") for s in (1, 2, 3, 4))
    group = RunGroup([a, b], device=CPU)
    train(group, 3)
    assert group.add(c) == 2  # joins the others' batch at its own epoch 0
    train(group, 2)
    assert [run.epoch for run in group.runs] == [5, 5, 2]
    assert group.plan() == [[0, 1, 2]]
    group.remove(0)
    train(group, 1)
    group.replace(0, d)  # b starts over as d
    train(group, 2)
    assert [run.epoch for run in group.runs] == [2, 5]
    assert_same_history(group.runs[0], alone(d, 2))
    assert_same_history(group.runs[1], alone(c, 5))


def test_a_run_that_trained_alone_joins_a_batch_with_its_state():
    """Moments and step count that torch's optimizer made for the run move
    into the batch: the run goes on as if it had stayed alone."""
    a, b = spec_for(hidden="4-tanh", lr="0.01"), spec_for(hidden="4-tanh", seed="2")
    for optimizer in ("adam", "sgd", "adagrad"):
        extra = {"momentum": 0.9} if optimizer == "sgd" else {}
        specs = [replace(a, optimizer=optimizer, **extra), replace(b, optimizer=optimizer, **extra)]
        group = RunGroup([specs[0], spec_for()], device=CPU)
        train(group, 2)  # the 4-wide run is alone of its kind
        group.add(specs[1])
        assert sorted(map(sorted, group.plan())) == [[0, 2], [1]]
        train(group, 3)
        assert_same_history(group.runs[0], alone(specs[0], 5))
        assert_same_history(group.runs[2], alone(specs[1], 3))


def test_a_diverging_run_stops_and_the_others_go_on():
    kw = dict(dataset="plane", loss="mse", optimizer="sgd", hidden="8-relu,8-relu")
    sane = [spec_for(**kw, lr="0.01"), spec_for(**kw, lr="0.003", seed="2")]
    wild = spec_for(**kw, lr="10")
    group = RunGroup([sane[0], wild, sane[1]], device=CPU)
    assert group.plan() == [[0, 1, 2]]
    train(group, 6)
    bad = group.runs[1]
    assert bad.diverged == "nan"
    assert bad.epoch < 6 and not math.isfinite(bad.history.cols["train_loss"][-1])
    assert group.plan() == [[0, 2]]
    for run, spec in zip((group.runs[0], group.runs[2]), sane, strict=True):
        assert run.diverged is None and run.epoch == 6
        assert_same_history(run, alone(spec, 6))


def test_runs_that_cannot_batch_train_alone():
    """Early stopping is the trainer's own loop: such a run never joins a
    batch, and still trains beside the others."""
    spec = spec_for(lr="0.01")
    group = RunGroup([spec, spec_for(seed="2")], device=CPU)
    stopping = getattr(spec, "early_stopping", None)
    if stopping is not None:  # the remedies exist in this version
        group.add(spec_for(seed="3", early_stopping="1"))
        assert sorted(map(sorted, group.plan())) == [[0, 1], [2]]
    group.add(spec_for(seed="4", optimizer="sgd"))  # another optimizer: alone as well
    train(group, 2)
    assert all(run.epoch == 2 for run in group.runs)
    assert_same_history(group.runs[0], alone(spec, 2))
