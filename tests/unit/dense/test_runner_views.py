"""Optional probes ("network", "stats") in the Runner's messages and the
Worker's snapshots; weight edits through both; keep_thinned.

Runner tests run in-process; Worker tests start a real child process and
always stop it (the worker_registry fixture in tests/conftest.py).
"""

from __future__ import annotations

import time

import numpy as np
import pytest
import torch
from support import settled, wait_for

import playground.dense.runner as runner_module
from playground.dense.probe import HIST_BINS, layer_stats, neuron_maps
from playground.dense.runner import VIEWS, Runner
from playground.dense.spec import Experiment, Layer
from playground.dense.worker import MAX_HISTS, Spread

ALL = {"network", "stats"}
STAT_KEYS = {"epoch", "step", "layer", "weight_norm", "grad_norm", "act_mean_abs",
             "inactive_share"}
DIVERGING = Experiment(dataset="plane", loss="mse", optimizer="sgd", lr=10.0, hidden=())


def small(**kw) -> Experiment:
    """A quick spec: 50 training points, batch 10, so an epoch is 5 steps."""
    return Experiment(**{"n_samples": 100, "batch_size": 10, **kw})


@pytest.fixture
def runner() -> Runner:
    return Runner(small())  # 2 -> 8 tanh -> 8 tanh -> 1


def with_views(views=ALL, spec: Experiment | None = None) -> Runner:
    r = Runner(spec or small())
    r.apply("views", views)
    return r


def records(stats: list[dict]) -> dict[int, list[dict]]:
    """Stats rows grouped by step, in order."""
    out: dict[int, list[dict]] = {}
    for row in stats:
        out.setdefault(row["step"], []).append(row)
    return out


# ---- views off ------------------------------------------------------------------------
def test_views_are_the_network_and_stats_probes():
    assert VIEWS == ALL


def test_no_views_no_probes(runner):
    assert runner.views == set()
    for _ in range(2):
        msg = runner.message()
        assert msg.network is None and msg.stats == [] and msg.hist is None
    runner.apply("step")
    msg = runner.message()
    assert msg.network is None and msg.stats == [] and msg.hist is None
    runner.apply("play")
    runner.train_slice()
    msg = runner.message()
    assert msg.network is None and msg.stats == [] and msg.hist is None
    assert runner.stats == []  # nothing is computed or kept while the view is off


def test_unknown_views_are_ignored(runner):
    runner.apply("views", {"network", "bogus"})
    assert runner.views == {"network"}
    msg = runner.message()
    assert msg.network is not None and msg.stats == [] and msg.hist is None
    runner.apply("views", {"stats"})
    msg = runner.message()
    assert msg.network is None and msg.stats and msg.hist is not None
    runner.apply("views", frozenset())
    msg = runner.message()
    assert msg.network is None and msg.stats == [] and msg.hist is None


# ---- views on -------------------------------------------------------------------------
def check_network(network: dict, spec: Experiment) -> None:
    widths = [len(spec.features), *(layer.width for layer in spec.hidden), 1]
    cols = network["columns"]
    assert [c["width"] for c in cols] == widths
    assert all(c["maps"].shape[0] == len(c["shown"]) for c in cols)
    assert [w.shape for w in network["weights"]] == list(zip(widths[1:], widths[:-1]))
    assert [b.shape for b in network["biases"]] == [(w,) for w in widths[1:]]


def test_first_message_with_views_carries_every_probe():
    r = with_views()
    spec, trainer = r.trainer.spec, r.trainer
    msg = r.message()
    check_network(msg.network, spec)
    expected = neuron_maps(trainer)
    for a, b in zip(msg.network["columns"], expected["columns"]):
        np.testing.assert_array_equal(a["maps"], b["maps"])
        assert a["shown"] == b["shown"]

    n_layers = len(spec.hidden) + 1
    stats = msg.stats
    assert len(stats) == n_layers
    assert [row["layer"] for row in stats] == list(range(1, n_layers + 1))
    assert all(set(row) == STAT_KEYS for row in stats)
    assert all(row["step"] == trainer.step == 0 and row["epoch"] == 0 for row in stats)
    for row, direct in zip(stats, layer_stats(trainer)):
        assert {k: row[k] for k in direct} == direct

    hist = msg.hist
    assert (hist["step"], hist["epoch"]) == (0, 0)
    for kind in ("weights", "grads"):
        edges, counts = hist[kind]
        assert edges.shape == (HIST_BINS + 1,) and counts.shape == (n_layers, HIST_BINS)
    assert hist["weights"][1].sum(axis=1).tolist() == [16, 64, 8]


def test_stats_are_not_repeated_when_nothing_trained():
    r = with_views()
    first = r.message()
    assert len(first.stats) == 3 and first.hist is not None
    for _ in range(3):
        msg = r.message()
        assert msg.stats == [] and msg.hist is None
        assert msg.network is not None  # the maps come with every message
    r.apply("pause")
    r.apply("views", ALL)  # re-sending the same views records nothing new
    assert r.message().stats == []
    r.apply("step")
    msg = r.message()
    assert [row["step"] for row in msg.stats] == [5, 5, 5]
    assert msg.hist["step"] == 5
    assert r.message().stats == []
    assert len(r.stats) == 6  # two records of three layers


def test_stats_rows_of_each_record_are_the_state_at_that_step():
    r = with_views()
    r.message()
    for _ in range(3):
        r.apply("step")
        msg = r.message()
        direct = layer_stats(r.trainer)
        assert [row["weight_norm"] for row in msg.stats] == [d["weight_norm"] for d in direct]
        assert [row["grad_norm"] for row in msg.stats] == [d["grad_norm"] for d in direct]
        assert all(row["grad_norm"] > 0 for row in msg.stats)
    steps = [row["step"] for row in r.stats]
    assert steps == sorted(steps) and set(records(r.stats)) == {0, 5, 10, 15}


def test_stats_and_histograms_follow_their_intervals_while_running(monkeypatch):
    r = with_views()
    r.message()  # paused: both recorded at step 0, now
    monkeypatch.setattr(runner_module, "STATS_EVERY", 3600.0)
    monkeypatch.setattr(runner_module, "HIST_EVERY", 3600.0)
    r.apply("play")
    for _ in range(3):
        r.train_slice()
        msg = r.message()
        assert msg.stats == [] and msg.hist is None  # not due yet
        assert msg.network is not None
    monkeypatch.setattr(runner_module, "STATS_EVERY", 0.0)
    r.train_slice()
    msg = r.message()
    assert {row["step"] for row in msg.stats} == {r.trainer.step} and msg.hist is None
    monkeypatch.setattr(runner_module, "HIST_EVERY", 0.0)
    r.train_slice()
    msg = r.message()
    assert msg.hist["step"] == r.trainer.step
    # Pausing makes them due at once (the last state is always recorded).
    monkeypatch.setattr(runner_module, "STATS_EVERY", 3600.0)
    monkeypatch.setattr(runner_module, "HIST_EVERY", 3600.0)
    r.train_slice()
    r.apply("pause")
    msg = r.message()
    assert {row["step"] for row in msg.stats} == {r.trainer.step}
    assert msg.hist["step"] == r.trainer.step


def test_turning_stats_on_later_records_from_the_current_step(runner):
    runner.apply("play")
    runner.train_slice()
    runner.message()
    assert runner.stats == []
    runner.apply("pause")
    runner.apply("views", {"stats"})
    msg = runner.message()
    assert {row["step"] for row in msg.stats} == {runner.trainer.step}
    assert runner.trainer.step > 0
    assert msg.hist["step"] == runner.trainer.step


def test_reset_keeps_the_views_and_starts_the_stats_again():
    r = with_views()
    r.message()
    r.apply("step")
    r.message()
    run = r.run_id
    r.apply("reset", small(hidden=(Layer(4, "relu"),)))
    assert r.views == ALL
    msg = r.message()
    assert msg.run == run + 1
    assert [(row["step"], row["layer"]) for row in msg.stats] == [(0, 1), (0, 2)]
    assert msg.hist["step"] == 0 and msg.hist["weights"][1].shape == (2, HIST_BINS)
    check_network(msg.network, r.trainer.spec)


# ---- edits ------------------------------------------------------------------------------
def test_an_edit_shows_in_the_next_message():
    r = with_views()
    r.message()
    r.apply("step")
    before = r.message()
    r.apply("edit", ("w", 1, 2, 3, 1.25))
    r.apply("edit", ("b", 2, 0, 0, -0.5))
    msg = r.message()
    net = msg.network
    assert net["weights"][1][2, 3] == 1.25 and net["biases"][2][0] == -0.5
    changed = np.argwhere(net["weights"][1] != before.network["weights"][1]).tolist()
    assert changed == [[2, 3]]
    np.testing.assert_array_equal(net["weights"][0], before.network["weights"][0])
    # The output maps were drawn with the edited model.
    direct = neuron_maps(r.trainer)
    np.testing.assert_array_equal(net["columns"][-1]["maps"], direct["columns"][-1]["maps"])
    assert not np.array_equal(net["columns"][-1]["maps"], before.network["columns"][-1]["maps"])
    # A new stats record at the same step shows the edited weights.
    assert [row["step"] for row in msg.stats] == [r.trainer.step] * 3
    assert msg.stats[1]["weight_norm"] == pytest.approx(np.linalg.norm(net["weights"][1]),
                                                           rel=1e-6)
    assert msg.stats[1]["weight_norm"] != before.stats[1]["weight_norm"]


def test_an_edit_changes_the_model_and_training_goes_on_from_it():
    r = with_views()
    r.apply("edit", ("w", 0, 4, 1, 3.0))
    w = r.trainer.parameters_by_layer()[0][0].detach()
    assert float(w[4, 1]) == 3.0
    r.apply("step")
    moved = float(r.trainer.parameters_by_layer()[0][0].detach()[4, 1])
    assert moved != 3.0 and abs(moved - 3.0) < 0.5  # adam, lr 0.03, 5 steps


def test_a_bad_edit_changes_nothing_and_raises_nothing():
    r = with_views()
    first = r.message()
    for bad in (("w", 9, 0, 0, 1.0), ("w", 0, 99, 0, 1.0), ("b", 0, 0, 0, float("nan"))):
        r.apply("edit", bad)
    msg = r.message()
    for a, b in zip(msg.network["weights"], first.network["weights"]):
        np.testing.assert_array_equal(a, b)
    assert r.error == "" and r.status() == ("paused", "")


# ---- Spread: histogram snapshots kept over a long run ----------------------------------
def spread_of(n: int, cap: int = MAX_HISTS) -> tuple:
    spread = Spread(cap)
    for i in range(n):
        spread.add(i)
    return spread.items()


def test_spread_keeps_everything_under_the_cap():
    assert spread_of(10) == tuple(range(10))
    assert spread_of(0) == ()


def test_spread_over_a_long_run_stays_capped_ordered_and_ends_with_the_newest():
    for n in (MAX_HISTS + 1, 200, 5000):
        items = spread_of(n)
        assert len(items) <= MAX_HISTS + 1  # the kept ones, plus the newest
        assert list(items) == sorted(items) and items[0] == 0 and items[-1] == n - 1


def test_spread_keeps_snapshots_spread_over_all_of_training():
    """600 snapshots = 10 minutes at HIST_EVERY = 1 s: about half of the kept
    ones lie in the first half of the run, with even gaps."""
    items = spread_of(600)
    first_half = [x for x in items if x < 300]
    assert len(first_half) >= len(items) // 3, items
    assert np.diff(items).max() <= 4 * 600 / len(items), items


def test_spread_with_a_small_cap():
    spread = Spread(cap=4)
    for i in range(20):
        spread.add(i)
        items = spread.items()
        assert len(items) <= 5 and items[-1] == i and list(items) == sorted(items)


# ---- a diverged run with the stats view on -------------------------------------------
def test_a_diverged_run_with_stats_on_still_sends_messages():
    r = with_views(spec=DIVERGING)
    r.message()
    r.apply("play")
    for _ in range(20):
        if not r.running:
            break
        r.train_slice()
    assert r.trainer.diverged
    msg = r.message()  # raises today
    assert msg.status == "diverged"


# ---- the real Worker --------------------------------------------------------------------


def test_worker_with_views_on_trains_and_snapshots_every_probe(make_worker):
    worker = make_worker()
    worker.set_views(ALL)
    snap = settled(worker)
    assert snap.network is not None and len(snap.stats) == 3 and len(snap.hists) == 1
    worker.play()
    start = time.monotonic()
    time.sleep(1.0)

    def enough() -> bool:
        s = worker.snapshot()
        return len(records(s.stats)) >= 3 and len(s.hists) >= 2

    assert wait_for(enough), (len(worker.snapshot().stats), len(worker.snapshot().hists))
    worker.pause()
    snap = settled(worker)
    assert snap.status == "paused" and snap.step > 0
    assert time.monotonic() - start < 15
    check_network(snap.network, snap.spec)
    by_step = records(snap.stats)
    assert all([row["layer"] for row in rows] == [1, 2, 3] for rows in by_step.values())
    assert list(by_step) == sorted(by_step) and max(by_step) == snap.step
    assert all(set(row) == STAT_KEYS for row in snap.stats)
    steps = [h["step"] for h in snap.hists]
    assert steps == sorted(steps) and steps[0] == 0 and steps[-1] == snap.step
    for h in snap.hists:
        assert h["weights"][1].sum(axis=1).tolist() == [16, 64, 8]
        assert h["grads"][1].shape == (3, HIST_BINS)
    # Throttled: far fewer stats records than messages' worth of steps.
    assert len(by_step) <= 4 + (time.monotonic() - start) / runner_module.STATS_EVERY * 2


def test_worker_with_views_off_sends_no_probes(make_worker):
    worker = make_worker(small())
    worker.play()
    assert wait_for(lambda: worker.snapshot().epoch >= 3)
    worker.pause()
    snap = settled(worker)
    assert snap.network is None and snap.stats == [] and snap.hists == ()


def test_worker_edit_while_paused_shows_after_wait_idle(make_worker):
    worker = make_worker(small())
    worker.set_views(ALL)
    worker.step()
    before = settled(worker)
    worker.edit("w", 1, 0, 0, 2.5)
    worker.edit("b", 2, 0, 0, -0.75)
    worker.edit("w", 7, 0, 0, 1.0)  # no such layer: ignored
    snap = settled(worker)
    assert snap.status == "paused" and snap.step == before.step == 5
    net = snap.network
    assert net["weights"][1][0, 0] == 2.5 and net["biases"][2][0] == -0.75
    assert before.network["weights"][1][0, 0] != 2.5  # the old snapshot is unchanged
    last = records(snap.stats)[snap.step][-3:]
    assert last[1]["weight_norm"] == pytest.approx(np.linalg.norm(net["weights"][1]), rel=1e-6)
    # Training goes on from the edited weights.
    worker.step()
    after = settled(worker).network["weights"][1][0, 0]
    assert after != 2.5 and abs(after - 2.5) < 0.5


def test_worker_with_stats_on_reports_divergence(make_worker):
    worker = make_worker(DIVERGING)
    worker.set_views({"stats"})
    worker.play()
    assert wait_for(lambda: worker.snapshot().status in ("diverged", "error"))
    assert worker.snapshot().status == "diverged", worker.snapshot().message
    assert worker.alive


def test_runner_views_run_on_the_cpu_tensors_they_were_given():
    """Sanity: messages hold plain numpy/float data, never tensors."""
    r = with_views()
    r.apply("step")
    msg = r.message()
    assert not any(isinstance(v, torch.Tensor) for row in msg.stats for v in row.values())
    assert all(isinstance(c["maps"], np.ndarray) for c in msg.network["columns"])
    assert all(isinstance(a, np.ndarray) for a in msg.hist["weights"])
