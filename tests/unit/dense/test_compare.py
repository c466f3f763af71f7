"""Comparisons and sweeps: the spec (parsing with notes, link and JSON round
trip, the runs and values it makes), the runner that trains them together,
and the worker that carries them to the page."""

from __future__ import annotations

import math
import time

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as hs
from support import spec_for

from playground.core.fields import Note
from playground.dense.compare import (
    MAX_RUNS,
    SWEEPS,
    Comparison,
    Runs,
    as_run,
    run_names,
    runs_of,
    sweep_values,
)
from playground.dense.compare_runner import GRID_EVERY, GRID_RESOLUTION, CompareRunner
from playground.dense.compare_worker import CompareWorker
from playground.dense.spec import Experiment, Layer
from playground.dense.trainer import Trainer

pytestmark = pytest.mark.usefixtures("one_thread")
METRICS = ("train_loss", "test_loss", "train_acc", "test_acc")


# ---- the spec ------------------------------------------------------------------------------
def test_a_compare_link_reads_its_runs_as_overrides_on_the_page_spec():
    base = spec_for(lr="1")
    comparison, notes = Comparison.from_query(
        {"mode": "compare", "runs": "lr:0.01|base|hidden:4-relu,4-relu;optimizer:sgd"})
    assert notes == []
    specs, names, _ = comparison.specs(base)
    assert [s.lr for s in specs] == [0.01, 1.0, 1.0]
    assert specs[2].hidden == (Layer(4, "relu"), Layer(4, "relu"))
    assert specs[2].optimizer == "sgd" and specs[0].optimizer == "adam"
    assert names == ["lr 0.01", "lr 1.0", "hidden 4-relu,4-relu · optimizer sgd · lr 1.0"]


def test_the_link_and_the_json_round_trip():
    base = spec_for(dataset="xor", lr="0.1")
    specs = [as_run(spec_for(dataset="xor", lr=lr)) for lr in ("0.1", "0.003")]
    specs.append(as_run(spec_for(dataset="xor", hidden="3-relu", batch_size="5", seed="9")))
    comparison = Comparison(mode="compare", runs=runs_of(base, specs))
    query = comparison.to_query()
    assert query == {"mode": "compare",
                     "runs": "base|lr:0.003|seed:9;hidden:3-relu;lr:0.03;batch_size:5"}
    assert Comparison.from_query(query) == (comparison, [])
    assert Comparison.from_json(comparison.to_json()) == (comparison, [])
    assert comparison.specs(base)[0] == specs
    sweep = Comparison(mode="sweep", sweep="width", sweep_from=2, sweep_to=8, sweep_n=4)
    # The range only where it differs from the setting's own (2 to 16 neurons).
    assert sweep.to_query() == {"mode": "sweep", "sweep": "width", "sweep_to": "8",
                                "sweep_n": "4"}
    assert Comparison.from_query(sweep.to_query())[0] == sweep
    assert Comparison.from_json(sweep.to_json())[0] == sweep


def test_bad_values_get_notes_never_exceptions():
    comparison, notes = Comparison.from_query({
        "mode": "compared", "runs": "lr:abc|bogus:1|lr:0.1;colour:red", "sweep": "lr",
        "sweep_from": "0", "sweep_to": "nan", "sweep_n": "20"})
    assert comparison.mode == "one"
    assert comparison.runs == Runs(((("lr", "0.1"),),))  # bad runs left out, good part kept
    assert Note("unknown", "mode", "compared", "one") in notes
    assert Note("bad_run", "runs", "lr:abc") in notes
    assert Note("bad_run", "runs", "bogus:1") in notes
    assert Note("bad_run", "runs", "colour:red") in notes
    assert Note("clamped", "sweep_from", "0", "1e-05") in notes  # a log range starts above 0
    assert Note("bad_value", "sweep_to", "nan", "1") in notes  # the range of lr: to 1
    assert Note("clamped", "sweep_n", "20", str(MAX_RUNS)) in notes
    many, notes = Comparison.from_query({"runs": "|".join(["base"] * 11)})
    assert len(many.runs) == MAX_RUNS and Note("too_many_runs", "runs", "11", "8") in notes
    for raw in (5, None, {"a": 1}, [3]):
        assert Comparison.parse({"runs": raw})[0].runs == Runs()


@settings(max_examples=200)
@given(hs.dictionaries(hs.sampled_from(["mode", "runs", "sweep", "sweep_from", "sweep_to",
                                        "sweep_n", "other"]),
                       hs.one_of(hs.text(max_size=30), hs.sampled_from(
                           ["compare", "sweep", "lr:0.1|base", "width", "3", "1e9", "-1",
                            "hidden:4-relu,2-tanh;lr:1", "optimizer:sgd|optimizer:adam"])),
                       max_size=6))
def test_any_link_parses_and_its_query_reads_back_the_same(query):
    comparison, notes = Comparison.from_query(query)
    again, more = Comparison.from_query(comparison.to_query())
    assert again == comparison and more == []
    assert len(comparison.runs) <= MAX_RUNS
    specs, names, _ = comparison.specs(Experiment())
    assert len(specs) == len(names) <= MAX_RUNS


def test_sweep_values():
    assert sweep_values("lr", 0.001, 1.0, 4) == [0.001, 0.01, 0.1, 1.0]
    assert sweep_values("lr", 1.0, 0.001, 4) == [0.001, 0.01, 0.1, 1.0]  # either order
    assert sweep_values("width", 2, 4, 8) == [2, 3, 4]  # whole numbers, no repeats
    assert sweep_values("batch_size", 1, 100, 3) == [1, 10, 100]
    assert sweep_values("noise", 0.0, 0.5, 3) == [0.0, 0.25, 0.5]
    assert sweep_values("optimizer", 0, 0, 2) == list(SWEEPS["optimizer"].choices)
    assert len(sweep_values("activation", 0, 0, 2)) == MAX_RUNS


def test_each_sweep_changes_its_setting_and_nothing_else():
    base = spec_for(hidden="8-tanh,4-tanh", lr="0.1")
    cases = {"lr": ("lr", [0.001, 0.01]), "batch_size": ("batch_size", [1, 10])}
    for name, (field, want) in cases.items():
        specs, names, _ = Comparison(mode="sweep", sweep=name, sweep_from=want[0],
                                     sweep_to=want[1], sweep_n=2).specs(base)
        assert [getattr(s, field) for s in specs] == want
        assert names == [f"{name} {v:g}" for v in want]
    widths, _, _ = Comparison(mode="sweep", sweep="width", sweep_from=2, sweep_to=4,
                              sweep_n=2).specs(base)
    assert [s.hidden for s in widths] == [(Layer(2, "tanh"), Layer(2, "tanh")),
                                          (Layer(4, "tanh"), Layer(4, "tanh"))]
    depths, _, _ = Comparison(mode="sweep", sweep="depth", sweep_from=0, sweep_to=3,
                              sweep_n=4).specs(base)
    assert [len(s.hidden) for s in depths] == [0, 1, 2, 3]
    acts, names, _ = Comparison(mode="sweep", sweep="activation").specs(base)
    assert [s.hidden[1].activation for s in acts] == list(SWEEPS["activation"].choices)
    assert names[0] == "activation relu"
    l2, _, _ = Comparison(mode="sweep", sweep="l2", sweep_from=0.001, sweep_to=0.1,
                          sweep_n=3).specs(base)
    assert [(s.regularization, s.reg_rate) for s in l2] == [("l2", 0.001), ("l2", 0.01),
                                                            ("l2", 0.1)]
    for spec in [*widths, *depths, *acts, *l2]:
        assert spec.lr == 0.1 and spec.dataset == base.dataset


def test_runs_are_named_by_what_differs_from_run_1():
    a, b = spec_for(lr="0.1"), spec_for(lr="1", optimizer="sgd")
    assert run_names([a, b]) == ["optimizer adam · lr 0.1", "optimizer sgd · lr 1.0"]
    c = spec_for(lr="0.1", seed="2")
    assert run_names([a, b, c]) == ["optimizer adam · lr 0.1", "optimizer sgd · lr 1.0",
                                    "seed 2"]
    assert run_names([a]) == ["run 1"]
    assert run_names([a, a]) == ["run 1", "run 2"]
    assert run_names([spec_for(show_test="1"), a]) == ["lr 0.03", "lr 0.1"]  # views: no run


# ---- the runner ------------------------------------------------------------------------------
# Rates small enough that rounding (batched runs add in another order) is not
# amplified within a few epochs: dense/batched.py's tests hold the exactness.
SPECS = [spec_for(lr="0.01"), spec_for(lr="0.03"), spec_for(hidden="4-relu", optimizer="sgd")]


def alone(spec, epochs: int) -> Trainer:
    trainer = Trainer(spec, device=torch.device("cpu"))
    for _ in range(epochs):
        trainer.train_epoch()
    return trainer


def rows_of(rows: dict, run: int) -> dict:
    keep = [i for i, r in enumerate(rows["run"]) if r == run]
    return {c: [v[i] for i in keep] for c, v in rows.items() if c != "run"}


def test_step_play_and_reset_act_on_every_run_and_match_each_run_alone():
    runner = CompareRunner(tuple(SPECS))
    first = runner.message()
    assert first.data is not None and len(first.data) == 3 and len(first.grids) == 3
    assert sorted(set(first.rows["run"])) == [0, 1, 2]  # each run's epoch-0 row
    for _ in range(3):
        runner.apply("step")
    runner.apply("play")
    assert runner.running
    runner.train_some()
    runner.apply("pause")
    msg = runner.message()
    assert [s.epoch for s in msg.states] == [4, 4, 4]
    assert msg.data is None and all(g is not None for g in msg.grids)  # paused: fresh grids
    for i, spec in enumerate(SPECS):
        got = rows_of({c: first.rows[c] + msg.rows[c] for c in msg.rows}, i)
        want = alone(spec, 4).history.cols
        assert got["epoch"] == want["epoch"] and got["step"] == want["step"]
        for name in METRICS:
            torch.testing.assert_close(torch.tensor(got[name]), torch.tensor(want[name]),
                                       rtol=1e-5, atol=1e-6)
    old = runner.run_id
    runner.apply("reset")
    msg = runner.message()
    assert runner.run_id == old + 1 and [s.epoch for s in msg.states] == [0, 0, 0]
    assert msg.rows["run"] == [0, 1, 2] and msg.data is not None


def test_new_runs_keep_the_others_progress_and_start_a_new_history():
    runner = CompareRunner(tuple(SPECS[:2]))
    runner.message()
    runner.apply("step")
    runner.apply("step")
    runner.apply("update", (SPECS[1], SPECS[2]))  # run 0 removed, a new one added
    msg = runner.message()
    assert [s.epoch for s in msg.states] == [2, 0]
    # A new history: every run's rows from its first epoch, under its new index.
    assert rows_of(msg.rows, 0)["epoch"] == [0, 1, 2] and rows_of(msg.rows, 1)["epoch"] == [0]
    assert msg.data is not None and len(msg.data) == 2
    runner.apply("update", (SPECS[1], SPECS[2]))  # the same runs: nothing changes
    assert [s.epoch for s in runner.message().states] == [2, 0]


def test_grids_come_at_most_every_grid_every_while_training():
    runner = CompareRunner(tuple(SPECS[:2]))
    first = runner.message()
    assert all(g is not None for g in first.grids)
    assert first.grids[0].values.shape[:2] == (GRID_RESOLUTION, GRID_RESOLUTION)
    runner.apply("play")
    runner.train_some()
    assert runner.message().grids == [None, None]  # right after: no new grids
    time.sleep(GRID_EVERY)
    runner.train_some()
    assert all(g is not None for g in runner.message().grids)


def test_the_group_stops_when_every_run_stopped():
    runner = CompareRunner(tuple(SPECS[:2]))
    runner.apply("play")
    runner.trainer.runs[0].diverged = "nan"  # as a blown-up run marks itself
    runner.train_some()
    assert runner.running and runner.status() == ("running", "")  # the other run trains on
    assert runner.message().states[0].status == "diverged"
    epochs = [run.epoch for run in runner.trainer.runs]
    runner.trainer.runs[1].finished = "early_stop"
    runner.apply("play")
    assert not runner.running and runner.status() == ("finished", "all_stopped")
    runner.apply("step")  # nothing left to train
    assert [run.epoch for run in runner.trainer.runs] == epochs


# ---- the worker ------------------------------------------------------------------------------
def test_the_worker_trains_every_run_and_keeps_their_boundaries(worker_registry):
    worker = CompareWorker(SPECS[:2])
    assert worker.started
    worker.play()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        snap = worker.snapshot()
        if min(s.epoch for s in snap.states) >= 5 and min(snap.grid_versions) >= 2:
            break
        time.sleep(0.1)
    worker.pause()
    assert worker.wait_idle()
    snap = worker.snapshot()
    assert min(s.epoch for s in snap.states) >= 5 and all(g is not None for g in snap.grids)
    frame = snap.frame()
    assert set(frame["run"]) == {0, 1}
    assert len(snap.run_frame(0)) == snap.states[0].epoch + 1
    assert math.isfinite(snap.run_frame(1)["test_loss"].iloc[-1])
    worker.update(SPECS)
    assert worker.wait_idle()
    snap = worker.snapshot()
    assert len(snap.states) == 3 and snap.states[2].epoch == 0 and len(snap.data) == 3
