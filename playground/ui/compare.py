"""The 2D page's comparison and sweep: a mode switch ("One run | Compare |
Sweep"); in Compare, runs pinned from the sidebar's setup (up to 8), each
removable or made the main run; in Sweep, one setting over a range. The
runs train together in one process (dense/compare_worker.py) and draw live
through live.show: overlaid curves, boundaries as small multiples, and for
a sweep the scores against the setting and a results table.

The comparison is part of the page's link and settings file: `TASK` is the
page's task with a link reader that also takes the comparison's keys.
"""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pandas as pd
import streamlit as st

from playground.charts import compare as charts
from playground.charts.decimate import LIVE_POINTS
from playground.core.fields import Note, read_json_object, short
from playground.dense.compare import (
    MAX_RUNS,
    SWEEPS,
    Comparison,
    as_run,
    run_names,
    runs_of,
)
from playground.dense.compare_worker import CompareSnapshot, CompareWorker
from playground.dense.spec import Experiment
from playground.ui import live, page
from playground.ui.controls import PLAYGROUND
from playground.ui.live import CONFIG
from playground.ui.page import Task
from playground.ui.text import note_text, t

MODE_KEY = "cmp.mode"  # the mode switch's widget
RUNS_KEY = "cmp.runs"  # the compared runs: a list of Experiments (view options at defaults)
SWEEP_KEY = "cmp.sweep_spec"  # the sweep as last set (a Comparison): widgets come and go
STARTED_KEY = "cmp.started"  # a comparison's worker exists in this session
COMPARE_KEYS = Comparison.link_keys()
COMPARE_TASK = Task("2d.compare", Experiment, CompareWorker, "cmp.specs", lambda spec: None)
LOG_STEPS = (1e-5, 3e-5, 1e-4, 3e-4, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
LOGINT_STEPS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000)


class PageLink:
    """The 2D page's link: the experiment's keys and the comparison's. A
    first visit's comparison goes to the session (page.start keeps the spec)."""

    parse = Experiment.parse
    from_json = Experiment.from_json

    @staticmethod
    def from_query(query) -> tuple[Experiment, list]:
        spec, notes = Experiment.from_query({k: v for k, v in query.items()
                                             if k not in COMPARE_KEYS})
        comparison, more = Comparison.from_query({k: v for k, v in query.items()
                                                  if k in COMPARE_KEYS})
        put(comparison, spec)
        return spec, notes + more

    @staticmethod
    def link_keys() -> tuple[str, ...]:
        return (*Experiment.link_keys(), *COMPARE_KEYS)


TASK = replace(PLAYGROUND, spec_class=PageLink)


# ---- the session's comparison ----------------------------------------------------------
def put(comparison: Comparison, base: Experiment) -> None:
    """Make `comparison` (runs as overrides on `base`) the session's."""
    st.session_state[MODE_KEY] = comparison.mode
    st.session_state[RUNS_KEY] = replace(comparison, mode="compare").specs(base)[0]
    st.session_state[SWEEP_KEY] = replace(comparison, mode="sweep", runs=runs_of(base, []))
    for key in ("cmp.w.sweep", "cmp.w.from", "cmp.w.to", "cmp.w.n"):
        st.session_state.pop(key, None)  # seeded afresh from the new sweep


def current(base: Experiment) -> Comparison:
    return replace(sweep_state(), mode=st.session_state.get(MODE_KEY, "one"),
                   runs=runs_of(base, st.session_state.get(RUNS_KEY, [])))


def link_query(base: Experiment) -> dict[str, str]:
    """The comparison's part of the page's link: none for a single run; the
    runs of a comparison; the setting and range of a sweep."""
    comparison = current(base)
    keep = {"one": (), "compare": ("mode", "runs"),
            "sweep": ("mode", "sweep", "sweep_from", "sweep_to", "sweep_n")}[comparison.mode]
    return {k: v for k, v in comparison.to_query().items() if k in keep}


def settings_json(base: Experiment) -> str:
    """The page's settings file with the comparison in it."""
    return json.dumps({**json.loads(base.to_json()), "comparison": current(base).to_dict()},
                      indent=2)


def load_settings(text: str, load_rest) -> tuple[bool, list[str]]:
    """A settings file with a "comparison" part: the experiment through
    `load_rest(text)` (the page's loader), then the comparison on it."""
    raw, _ = read_json_object(text)
    if raw is None or "comparison" not in raw:
        return load_rest(text)
    part = raw.pop("comparison")
    loaded, messages = load_rest(json.dumps(raw))
    if not loaded:
        return loaded, messages
    comparison, notes = Comparison.parse(part if isinstance(part, dict) else {})
    if not isinstance(part, dict):
        notes.append(Note("bad_value", "comparison", short(part), "one"))
    put(comparison, Experiment.parse(raw)[0])
    return True, messages + [note_text(n) for n in notes]


# ---- the section -------------------------------------------------------------------------
def section(spec: Experiment, worker) -> str:
    """The mode switch, then the comparison or the sweep (the single run's
    view is the page's when this returns "one"). The mode not shown pauses."""
    mode = st.radio(t("cmp.mode"), ("one", "compare", "sweep"), key=MODE_KEY, horizontal=True,
                    format_func=lambda m: t(f"cmp.mode.{m}"), help=t("cmp.help.mode"))
    if mode == "one":
        if st.session_state.get(STARTED_KEY):
            _pause(page.worker(COMPARE_TASK, ()))
        return mode
    _pause(worker)
    if mode == "compare":
        specs, names, values = _compare_ui(spec)
    else:
        specs, names, values = _sweep_ui(spec)
    if not specs:
        st.info(t("cmp.none_yet"), icon=":material/info:")
        return mode
    cw = page.worker(COMPARE_TASK, tuple(specs))
    st.session_state[STARTED_KEY] = True
    if cw.spec != tuple(specs):
        cw.update(tuple(specs))
        cw.wait_idle(timeout=2.0)  # so this run already draws the new runs
    sweep = current(spec).sweep if mode == "sweep" else None

    def labels(snap: CompareSnapshot) -> tuple[list, list]:
        """The runs' names and values, for the runs the snapshot holds."""
        if tuple(snap.spec) == tuple(specs):
            return names, values
        return run_names(list(snap.spec)), list(range(len(snap.spec)))  # an update on its way

    def draw(snap: CompareSnapshot, _worker) -> None:
        shown, shown_values = labels(snap)
        if sweep is None:
            _draw_runs(snap, shown, spec)
        else:
            _draw_sweep(snap, shown, shown_values, spec, sweep)

    live.show(cw, draw)
    _downloads(cw, labels, spec)
    return mode


def _pause(worker) -> None:
    if worker.snapshot().status == "running":
        worker.pause()


# ---- compare --------------------------------------------------------------------------------
def _compare_ui(spec: Experiment) -> tuple[list, list, list]:
    runs = st.session_state.setdefault(RUNS_KEY, [])
    draft = as_run(spec)
    buttons = st.columns(3)
    if not runs:
        buttons[0].button(t("cmp.pin"), key="cmp.pin", icon=":material/push_pin:",
                          on_click=_set_runs, args=([draft],), help=t("cmp.help.pin"),
                          width="stretch")
    else:
        there = draft in runs
        buttons[0].button(t("cmp.add"), key="cmp.add", icon=":material/add:",
                          on_click=_set_runs, args=([*runs, draft],),
                          disabled=there or len(runs) >= MAX_RUNS,
                          help=t("cmp.help.add", most=MAX_RUNS), width="stretch")
        buttons[1].button(t("cmp.clear"), key="cmp.clear", icon=":material/delete_sweep:",
                          on_click=_set_runs, args=([],), width="stretch")
        if there:
            buttons[2].caption(t("cmp.same"))
        elif len(runs) >= MAX_RUNS:
            buttons[2].caption(t("cmp.full", most=MAX_RUNS))
    st.caption(t("cmp.intro"))
    names = run_names(runs)
    for i, (run, name) in enumerate(zip(runs, names)):
        swatch, label, main, remove = st.columns([0.3, 6, 1.6, 1.4], vertical_alignment="center")
        swatch.markdown(f'<span style="color:{charts.run_colour(i)}">■</span>',
                        unsafe_allow_html=True)
        label.markdown(f"**{i + 1}.** {name}")
        main.button(t("cmp.main"), key=f"cmp.main.{i}", icon=":material/star:",
                    on_click=_make_main, args=(run, spec), help=t("cmp.help.main"),
                    type="tertiary")
        remove.button(t("cmp.remove"), key=f"cmp.remove.{i}", icon=":material/close:",
                      on_click=_set_runs, args=([r for j, r in enumerate(runs) if j != i],),
                      type="tertiary")
    return list(runs), names, list(range(len(runs)))


def _set_runs(runs: list) -> None:
    st.session_state[RUNS_KEY] = list(runs)[:MAX_RUNS]


def _make_main(run: Experiment, base: Experiment) -> None:
    """The run becomes the page's experiment (with the page's view options),
    shown as the single run."""
    spec = replace(run, show_test=base.show_test, discretize=base.discretize)
    PLAYGROUND.load(spec)
    st.session_state[PLAYGROUND.spec_key] = spec
    st.session_state[MODE_KEY] = "one"


# ---- sweep ----------------------------------------------------------------------------------
def sweep_state() -> Comparison:
    """The sweep as its widgets hold it now (they hold this run's values
    before they are drawn, so the link made before them is current), or as
    last set while they are not shown."""
    state = st.session_state.get(SWEEP_KEY) or Comparison(mode="sweep")
    name = st.session_state.get("cmp.w.sweep", state.sweep)
    if SWEEPS[name].scale == "choice":
        return Comparison.parse({"mode": "sweep", "sweep": name})[0]
    own = (state.sweep_from, state.sweep_to) if state.sweep == name else (
        SWEEPS[name].start, SWEEPS[name].stop)
    return Comparison.parse({"mode": "sweep", "sweep": name,
                             "sweep_from": st.session_state.get("cmp.w.from", own[0]),
                             "sweep_to": st.session_state.get("cmp.w.to", own[1]),
                             "sweep_n": st.session_state.get("cmp.w.n", state.sweep_n)})[0]


def _sweep_ui(spec: Experiment) -> tuple[list, list, list]:
    state = sweep_state()
    st.session_state.setdefault("cmp.w.sweep", state.sweep)
    left, middle, right = st.columns([2, 4, 2])
    name = left.selectbox(t("cmp.sweep.setting"), tuple(SWEEPS), key="cmp.w.sweep",
                          format_func=lambda s: t(f"cmp.sweep.name.{s}"),
                          on_change=_new_setting, help=t("cmp.help.sweep"))
    sweep = SWEEPS[name]
    if sweep.scale == "choice":
        middle.caption(t("cmp.sweep.all", values=", ".join(sweep.choices)))
    else:
        # Two single sliders, not one range: a range slider seeded through
        # session state comes back from the browser as a single value.
        st.session_state.setdefault("cmp.w.from", state.sweep_from)
        st.session_state.setdefault("cmp.w.to", state.sweep_to)
        st.session_state.setdefault("cmp.w.n", state.sweep_n)
        start, stop = middle.columns(2)
        for box, key, label in ((start, "cmp.w.from", t("cmp.sweep.from")),
                                (stop, "cmp.w.to", t("cmp.sweep.to"))):
            if sweep.log:
                steps = LOG_STEPS if sweep.scale == "log" else LOGINT_STEPS
                steps = sorted({s for s in steps if sweep.lo <= s <= sweep.hi}
                               | {st.session_state[key]})
                box.select_slider(label, steps, key=key, format_func=lambda v: f"{v:g}")
            elif sweep.scale == "int":
                box.slider(label, int(sweep.lo), int(sweep.hi), key=key)
            else:
                box.slider(label, float(sweep.lo), float(sweep.hi), step=0.05, key=key)
        right.slider(t("cmp.sweep.n"), 2, MAX_RUNS, key="cmp.w.n")
    state = st.session_state[SWEEP_KEY] = sweep_state()
    specs, names, notes = state.specs(spec)
    for text in dict.fromkeys(note_text(n) for n in notes):
        st.caption(text)
    return specs, names, state.values()


def _new_setting() -> None:
    """A new setting starts from its own range."""
    name = st.session_state["cmp.w.sweep"]
    st.session_state.pop("cmp.w.from", None)
    st.session_state.pop("cmp.w.to", None)
    state = st.session_state.get(SWEEP_KEY) or Comparison(mode="sweep")
    # A choice sweep has no range: the link then carries none.
    ends = Comparison.parse({"sweep": name})[0]
    st.session_state[SWEEP_KEY] = replace(state, sweep=name, sweep_from=ends.sweep_from,
                                          sweep_to=ends.sweep_to)


# ---- drawing (in live.show's fragment) ------------------------------------------------------
def _frames(snap: CompareSnapshot) -> list[pd.DataFrame]:
    """Each run's history, split once per snapshot (a redraw asks up to three times)."""
    key = (id(snap.history), snap.n, len(snap.states))
    cached = st.session_state.get("cmp.frames")
    if cached is not None and cached[0] == key:
        return cached[1]
    frames = split(snap)
    st.session_state["cmp.frames"] = (key, frames)
    return frames


def split(snap: CompareSnapshot) -> list[pd.DataFrame]:
    """Each run's history rows, without the run column."""
    frame = snap.frame()
    groups = dict(tuple(frame.groupby("run", sort=False)))
    empty = frame.iloc[0:0]
    return [groups.get(i, empty).drop(columns="run") for i in range(len(snap.states))]


def _labels(metric: str) -> dict[str, str]:
    return {"title": t(f"cmp.chart.{metric}_title"), "x": t("chart.epoch"),
            "y": t("chart.loss") if metric == "loss" else t("chart.accuracy"),
            "train": t("chart.train"), "test": t("chart.test")}


def _draw_runs(snap: CompareSnapshot, names: list[str], spec: Experiment,
               prefix: str = "cmp.") -> None:
    frames = _frames(snap)
    points = LIVE_POINTS if snap.status == "running" else live.PAUSED_POINTS
    classify = spec.problem != "regression"
    left, right = st.columns(2) if classify else (st.container(), None)
    left.plotly_chart(charts.compare_curves(frames, names, "loss", _labels("loss"), points),
                      key=f"{prefix}chart.loss", config=CONFIG)
    if right is not None:
        right.plotly_chart(charts.compare_curves(frames, names, "acc", _labels("acc"), points,
                                                 y_range=(0, 1.02)),
                           key=f"{prefix}chart.acc", config=CONFIG)
    st.plotly_chart(charts.boundary_tiles(
        list(snap.grids), list(snap.data) or [None] * len(names), names, spec.problem,
        spec.discretize, {"title": t("cmp.chart.tiles_title")}),
        key=f"{prefix}chart.tiles", config=CONFIG)
    stopped = [f"{name}: {t(f'cmp.state.{s.status}', epoch=s.epoch)}"
               for name, s in zip(names, snap.states) if s.status != "training"]
    if stopped:
        st.caption(" · ".join(stopped))


def results(snap: CompareSnapshot, names: list[str], values: list,
            frames: list | None = None) -> pd.DataFrame:
    """One row per run (charts.results_frame); `frames`: the runs' histories, if split."""
    return charts.results_frame(split(snap) if frames is None else frames, names, values,
                                list(snap.states), list(snap.spec))


def _draw_sweep(snap: CompareSnapshot, names: list[str], values: list, spec: Experiment,
                sweep: str) -> None:
    table = results(snap, names, values, _frames(snap))
    setting = t(f"cmp.sweep.name.{sweep}")
    labels = {"x": setting, "final": t("cmp.chart.final"), "best": t("cmp.chart.best")}
    log_x = SWEEPS[sweep].log
    classify = spec.problem != "regression"
    left, right = st.columns(2) if classify else (st.container(), None)
    left.plotly_chart(charts.sweep_figure(table, "loss", log_x, {
        **labels, "title": t("cmp.chart.sweep_loss", setting=setting), "y": t("chart.loss")}),
        key="cmp.chart.sweep_loss", config=CONFIG)
    if right is not None:
        right.plotly_chart(charts.sweep_figure(table, "acc", log_x, {
            **labels, "title": t("cmp.chart.sweep_acc", setting=setting),
            "y": t("chart.accuracy")}), key="cmp.chart.sweep_acc", config=CONFIG)
    st.dataframe(_shown_table(table, classify), hide_index=True, key="cmp.results",
                 width="stretch")
    with st.expander(t("cmp.runs_detail"), icon=":material/stacked_line_chart:"):
        _draw_runs(snap, names, spec, prefix="cmp.sweep.")


SHOWN = ("run", "final_train_loss", "final_loss", "final_train_acc", "final_acc", "best_loss",
         "best_acc", "epochs", "seconds", "status")


def _shown_table(table: pd.DataFrame, classify: bool) -> pd.DataFrame:
    columns = [c for c in SHOWN if classify or not c.endswith("_acc")]
    shown = table[columns].copy()
    shown["status"] = [t(f"cmp.status.{s}") for s in shown["status"]]
    return shown.rename(columns={c: t(f"cmp.col.{c}") for c in columns})


def _downloads(worker: CompareWorker, labels, spec: Experiment) -> None:
    """The results table, every run's history (a `run` column) and the
    settings with the comparison. Outside the live fragment, whose redraws
    would drop a file being fetched; each file is made when clicked, from
    the latest snapshot."""
    def results_csv() -> str:
        snap = worker.snapshot()
        return results(snap, *labels(snap)).to_csv(index=False)

    def history() -> str:
        snap = worker.snapshot()
        return history_csv(snap, labels(snap)[0])

    left, middle, right = st.columns(3)
    left.download_button(t("cmp.dl.results"), results_csv, "comparison-results.csv", "text/csv",
                         key="cmp.dl.results", on_click="ignore", icon=":material/table:",
                         width="stretch")
    middle.download_button(t("cmp.dl.history"), history, "comparison-history.csv", "text/csv",
                           key="cmp.dl.history", on_click="ignore",
                           icon=":material/show_chart:", width="stretch")
    right.download_button(t("cmp.dl.settings"), settings_json(spec), "comparison-settings.json",
                          "application/json", key="cmp.dl.settings", on_click="ignore",
                          icon=":material/settings:", width="stretch")


def history_csv(snap: CompareSnapshot, names: list[str]) -> str:
    """Every run's history, one row per run and epoch: a `run` column (1 for
    the first run) and its name first."""
    frame = snap.frame()
    runs = np.asarray(frame["run"], dtype=int)
    out = frame.drop(columns="run")
    out.insert(0, "name", [names[i] if i < len(names) else "" for i in runs])
    out.insert(0, "run", runs + 1)
    return out.to_csv(index=False)
