"""The 2D page's Compare and Sweep modes under AppTest: pin, add, remove and
promote runs; the control bar acting on every run; setting up a sweep and
its results; the comparison in the link and the settings file; bad link
values get notes. Training runs in a real process (one for the comparison)."""

from __future__ import annotations

import json

from pagetools import run, wait_for
from streamlit.testing.v1 import AppTest

from playground.core.i18n import translate
from playground.dense.compare import MAX_RUNS, Comparison
from playground.dense.spec import Experiment

LINK_ICON = ":material/link_off:"


def query(at: AppTest) -> dict[str, str]:
    return {k: at.query_params[k] for k in at.query_params}


def runs(at: AppTest) -> list[Experiment]:
    return at.session_state["cmp.runs"]


def compare_worker(registry):
    workers = [w for w in registry if type(w).__name__ == "CompareWorker"]
    assert len(workers) == 1, "one comparison process per session"
    return workers[0]


def epochs(worker) -> list[int]:
    return [s.epoch for s in worker.snapshot().states]


def test_pin_add_remove_and_promote(at, worker_registry):
    run(at)
    at.radio(key="cmp.mode").set_value("compare")
    run(at)
    assert [i.value for i in at.info] == [translate("cmp.none_yet")]
    at.button(key="cmp.pin").click()
    run(at)
    assert runs(at) == [Experiment()]
    assert query(at) == {"mode": "compare", "runs": "base"}
    assert at.button(key="cmp.add").disabled  # the sidebar's setup is run 1 already
    at.select_slider(key="w.lr").set_value(1.0)
    run(at)
    at.button(key="cmp.add").click()
    run(at)
    assert [r.lr for r in runs(at)] == [0.03, 1.0]
    assert query(at) == {"lr": "1.0", "mode": "compare", "runs": "lr:0.03|base"}
    names = [m.value for m in at.markdown if m.value.startswith("**")]
    assert names == ["**1.** lr 0.03", "**2.** lr 1.0"]
    at.selectbox(key="w.optimizer").set_value("sgd")
    run(at)
    at.button(key="cmp.add").click()
    run(at)
    assert len(runs(at)) == 3
    assert compare_worker(worker_registry).spec == tuple(runs(at))
    at.button(key="cmp.remove.0").click()
    run(at)
    assert [(r.lr, r.optimizer) for r in runs(at)] == [(1.0, "adam"), (1.0, "sgd")]
    at.button(key="cmp.main.0").click()  # lr 1 with Adam becomes the page's run
    run(at)
    assert at.session_state["cmp.mode"] == "one"
    assert at.session_state["spec"] == Experiment(lr=1.0)
    assert at.selectbox(key="w.optimizer").value == "adam"
    assert query(at) == {"lr": "1.0"}
    assert {b.key for b in at.button} >= {"cmd.play", "cmd.step"}  # the single run's view
    assert len(runs(at)) == 2  # the comparison waits for the next visit to Compare


def test_at_most_eight_runs(at):
    run(at)
    at.radio(key="cmp.mode").set_value("compare")
    run(at)
    at.button(key="cmp.pin").click()
    run(at)
    for seed in range(2, MAX_RUNS + 1):
        at.number_input(key="w.seed").set_value(seed)
        run(at)
        at.button(key="cmp.add").click()
        run(at)
    assert len(runs(at)) == MAX_RUNS
    at.number_input(key="w.seed").set_value(99)
    run(at)
    assert at.button(key="cmp.add").disabled
    assert translate("cmp.full", most=MAX_RUNS) in [c.value for c in at.caption]


def test_play_step_and_reset_act_on_every_run(at, worker_registry):
    at.query_params.update({"mode": "compare", "runs": "lr:0.01|lr:0.1|hidden:4-relu"})
    run(at)
    assert len(runs(at)) == 3
    worker = compare_worker(worker_registry)
    single = [w for w in worker_registry if w is not worker][0]
    at.button(key="cmd.play").click()
    run(at)
    wait_for(at, lambda: min(epochs(worker)) >= 3)
    at.button(key="cmd.pause").click()
    run(at)
    before = epochs(worker)
    assert len(set(before)) == 1  # they train in step
    at.button(key="cmd.step").click()
    run(at)
    assert epochs(worker) == [before[0] + 1] * 3
    at.button(key="cmd.reset").click()
    run(at)
    assert epochs(worker) == [0, 0, 0]
    assert single.snapshot().epoch == 0  # the single run stayed paused all along


def test_a_sweep_is_set_up_and_its_results_fill_the_table(at, worker_registry):
    run(at)
    at.radio(key="cmp.mode").set_value("sweep")
    run(at)
    assert query(at) == {"mode": "sweep"}  # the learning rate, 0.001 to 1, 5 values
    assert [r.lr for r in compare_worker(worker_registry).spec] == [0.001, 0.0056, 0.032, 0.18,
                                                                   1.0]
    at.selectbox(key="cmp.w.sweep").set_value("width")
    run(at)
    at.slider(key="cmp.w.to").set_value(8)
    at.slider(key="cmp.w.n").set_value(4)
    run(at)
    assert query(at) == {"mode": "sweep", "sweep": "width", "sweep_to": "8", "sweep_n": "4"}
    worker = compare_worker(worker_registry)
    assert [r.hidden[0].width for r in worker.spec] == [2, 4, 6, 8]
    at.button(key="cmd.step").click()
    run(at)
    run_column = translate("cmp.col.run")
    table = next(d.value for d in at.dataframe if run_column in d.value.columns)
    assert list(table[run_column]) == [f"width {w}" for w in (2, 4, 6, 8)]
    assert list(table[translate("cmp.col.epochs")]) == [1, 1, 1, 1]
    at.selectbox(key="cmp.w.sweep").set_value("optimizer")
    run(at)
    assert query(at) == {"mode": "sweep", "sweep": "optimizer"}
    assert [r.optimizer for r in worker.spec] == ["sgd", "adam", "adamw", "rmsprop", "adagrad"]
    every = translate("cmp.sweep.all", values="sgd, adam, adamw, rmsprop, adagrad")
    assert every in [c.value for c in at.caption]


def test_a_link_opens_the_same_comparison(open_page):
    link = {"hidden": "4-relu", "mode": "sweep", "sweep": "l2", "sweep_from": "0.001",
            "sweep_to": "1.0", "sweep_n": "3"}
    at = open_page(None)
    at.query_params.update(link)
    run(at)
    assert query(at) == link and not [w for w in at.warning if w.icon == LINK_ICON]
    sweep = at.session_state["cmp.sweep_spec"]
    assert sweep.values() == [0.001, 0.032, 1.0]
    assert at.select_slider(key="cmp.w.from").value == 0.001
    assert at.select_slider(key="cmp.w.to").value == 1.0
    link = {"lr": "1.0", "mode": "compare", "runs": "lr:0.03|base|optimizer:sgd"}
    at = open_page(None)
    at.query_params.update(link)
    run(at)
    assert query(at) == link
    assert [(r.lr, r.optimizer) for r in runs(at)] == [(0.03, "adam"), (1.0, "adam"),
                                                      (1.0, "sgd")]


def test_bad_link_values_get_notes_and_the_page_still_draws(open_page):
    at = open_page(None)
    at.query_params.update({"mode": "sweep", "sweep": "colour", "sweep_from": "-3",
                            "sweep_n": "99", "runs": "lr:abc|bogus:1"})
    run(at)
    boxes = [w.value for w in at.warning if w.icon == LINK_ICON]
    assert translate("note.unknown", field=translate("param.sweep"), value="colour",
                     fixed="lr") in boxes
    assert translate("note.clamped", field=translate("param.sweep_from"), value="-3",
                     fixed="1e-05") in boxes
    assert len(boxes) == 5  # sweep, sweep_from, sweep_n and the two bad runs
    assert at.session_state["cmp.sweep_spec"].sweep_n == MAX_RUNS
    assert runs(at) == []
    assert "runs" not in query(at) and query(at)["mode"] == "sweep"


def _settings_round_trip() -> None:
    """Runs inside AppTest: the settings file with a comparison, read back."""
    import streamlit as st

    from playground.dense.compare import Comparison
    from playground.dense.spec import Experiment
    from playground.ui import compare as compare_ui

    base = Experiment(lr=0.1)
    loaded = []
    compare_ui.put(Comparison(mode="compare", runs=compare_ui.runs_of(
        base, [Experiment(lr=0.01), Experiment(lr=0.1)])), base)
    text = compare_ui.settings_json(base)
    compare_ui.put(Comparison(), base)  # forget it
    ok, messages = compare_ui.load_settings(text, lambda rest: (loaded.append(rest), (True, []))[1])
    st.session_state["result"] = (text, ok, messages, loaded)
    st.session_state["loaded"] = (st.session_state["cmp.mode"],
                                  [r.lr for r in st.session_state["cmp.runs"]])
    # A comparison part that is no object: the experiment loads, with a note.
    st.session_state["bad"] = compare_ui.load_settings('{"lr": 0.5, "comparison": 5}',
                                                       lambda rest: (True, []))


def test_the_settings_file_carries_the_comparison():
    at = AppTest.from_function(_settings_round_trip)
    run(at)
    text, ok, messages, loaded = at.session_state["result"]
    assert ok and messages == []
    raw = json.loads(text)
    assert raw["comparison"]["mode"] == "compare"
    assert raw["comparison"]["runs"] == [{"lr": "0.01"}, {}]
    assert "comparison" not in json.loads(loaded[0])  # the page's loader gets the rest
    assert Experiment.from_json(loaded[0])[0] == Experiment(lr=0.1)
    assert at.session_state["loaded"] == ("compare", [0.01, 0.1])
    assert Comparison.parse(raw["comparison"])[1] == []
    ok, messages = at.session_state["bad"]
    assert ok and messages == [translate("note.bad_value", field=translate("param.comparison"),
                                         value="5", fixed="one")]
