"""Inside the network: the diagram with neuron maps, weight editing, and layer
statistics over time. Drawn from snapshots only; edits go to the worker as
commands, so the page never touches the model."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from playground.charts import network as network_charts
from playground.dense.worker import Snapshot, Worker
from playground.ui.text import t, template

VIEWS_KEY = "inside.views"
SELECTED_KEY = "inside.selected"  # (column, neuron) of the neuron shown enlarged
TARGET_KEY = "inside.target"  # ("w", layer, row, col) or ("b", layer, row, 0) to edit
CHART_KEY = "chart.network"
STAT_COLUMNS = ("grad_norm", "weight_norm", "act_mean_abs", "inactive_share")  # drawn 2 a row
CONFIG = {"displaylogo": False, "displayModeBar": False}
STATS_KEY = "inside.stats_frame"  # (the run's stats list, rows read, their DataFrame)


def views_ui(worker: Worker, shown: bool = True) -> set[str]:
    """The 'look inside' switches; the worker runs only the probes that are on.
    Hidden (by a classroom link), the views stay as they are."""
    st.session_state.setdefault(VIEWS_KEY, ["network"])
    if shown:
        st.segmented_control(
            t("inside.views"), ("network", "stats"), selection_mode="multi", key=VIEWS_KEY,
            format_func=lambda v: t(f"inside.view.{v}"), help=t("help.inside.views"),
        )
    views = set(st.session_state[VIEWS_KEY] or ())
    if worker.views != views:  # also right after a new worker replaced a dead one
        worker.set_views(views)
        worker.wait_idle(timeout=2.0)
    return views


def _on_pick() -> None:
    """A click or box selection on the diagram: remember what was picked.

    Streamlit gives the chart a new identity whenever the figure changes (every
    redraw while training), so the selection is copied out at once."""
    points = (st.session_state.get(CHART_KEY) or {}).get("selection", {}).get("points", [])
    data = next((p["customdata"] for p in points if p.get("customdata")), None)
    if not data:
        return
    kind, a, b = data[0], int(data[1]), int(data[2])
    if kind == "n":  # node: column, neuron
        st.session_state[SELECTED_KEY] = (a, b)
        if a > 0:
            st.session_state[TARGET_KEY] = ("b", a - 1, b, 0)
    elif kind == "w":  # edge: layer, to, from
        st.session_state[TARGET_KEY] = ("w", a, b, int(data[3]))
    elif kind == "b":
        st.session_state[TARGET_KEY] = ("b", a, b, 0)


def _column_names(snap: Snapshot) -> list[str]:
    hidden = [t("inside.layer", i=i + 1, act=t(f"activation.{layer.activation}"))
              for i, layer in enumerate(snap.spec.hidden)]
    return [t("inside.inputs"), *hidden, t("inside.output")]


def _node_names(snap: Snapshot, column: int, shown: list[int]) -> list[str]:
    if column == 0:
        return [t(f"feature.{snap.spec.features[i]}") for i in shown]
    return [str(i + 1) for i in shown]


def selected_map(snap: Snapshot):
    """The enlarged map of the selected neuron, or None if nothing valid is selected."""
    picked, net = st.session_state.get(SELECTED_KEY), snap.network
    if not picked or net is None or picked[0] >= len(net["columns"]):
        return None
    column, neuron = picked
    col = net["columns"][column]
    if neuron not in col["shown"]:
        return None
    title = t("inside.neuron_title", layer=_column_names(snap)[column],
              neuron=_node_names(snap, column, [neuron])[0])
    return network_charts.neuron_map_figure(col["maps"][col["shown"].index(neuron)],
                                            snap.data.extent, title,
                                            {"value": t("chart.value"), "x": "x1", "y": "x2"})


def draw_network(snap: Snapshot, worker: Worker) -> None:
    net = snap.network
    if net is None:
        st.caption(t("inside.waiting"))
        return
    names = _column_names(snap)
    columns = [
        {**col, "name": names[i], "node_names": _node_names(snap, i, col["shown"])}
        for i, col in enumerate(net["columns"])
    ]
    labels = {key: template(f"inside.{key}") for key in ("more", "edge", "node")}
    fig = network_charts.network_figure(columns, net["weights"], net["biases"],
                                        st.session_state.get(SELECTED_KEY), labels)
    st.plotly_chart(fig, key=CHART_KEY, on_select=_on_pick, selection_mode="points",
                    config=CONFIG)
    if any(col["width"] > len(col["shown"]) for col in columns):
        st.caption(t("inside.summary_note"))
    st.caption(t("inside.pick_hint"))
    edit_panel(snap, worker)


EDIT_KEYS = ("inside.kind", "inside.layer", "inside.row", "inside.col", "inside.value")


def edit_panel(snap: Snapshot, worker: Worker) -> None:
    """Type a new value for one weight or bias; it applies at once.

    The fields have stable keys so a redraw while training doesn't wipe what
    is being typed; a pick on the diagram loads its address and value."""
    net = snap.network
    weights, biases = net["weights"], net["biases"]
    target = st.session_state.get(TARGET_KEY) or ("w", 0, 0, 0)
    if target[1] >= len(weights):
        target = ("w", 0, 0, 0)
    # Reload the fields when a new target is picked, or once after training
    # moved on while paused; never while training, so typing isn't wiped.
    marker = (target, None if snap.status == "running" else snap.step)
    if st.session_state.get("inside.loaded") != marker or "inside.kind" not in st.session_state:
        kind, layer, row, col = target
        w = weights[layer]
        row, col = min(row, w.shape[0] - 1), min(col, w.shape[1] - 1)
        value = float(w[row, col] if kind == "w" else biases[layer][row])
        st.session_state.update(zip(EDIT_KEYS, (kind, layer, row + 1, col + 1, value)))
        st.session_state["inside.loaded"] = marker
    names = _column_names(snap)
    with st.form("inside.edit", border=True):
        st.markdown(t("inside.edit_title"))
        c1, c2, c3, c4, c5 = st.columns(5, vertical_alignment="bottom")
        kind = c1.selectbox(t("inside.kind"), ("w", "b"), key="inside.kind",
                            format_func=lambda k: t(f"inside.kind.{k}"))
        layer = c2.selectbox(t("inside.into"), range(len(weights)), key="inside.layer",
                             format_func=lambda i: names[i + 1])
        row = c3.number_input(t("inside.to_neuron"), 1, 64, key="inside.row") - 1
        col = c4.number_input(t("inside.from_neuron"), 1, 64, key="inside.col",
                              help=t("help.inside.from_neuron")) - 1
        value = c5.number_input(t("inside.value"), -100.0, 100.0, step=0.1, format="%.4f",
                                key="inside.value")
        w = weights[layer]
        exists = row < w.shape[0] and (kind == "b" or col < w.shape[1])
        if st.form_submit_button(t("inside.apply"), icon=":material/edit:"):
            if not exists:
                st.warning(t("inside.no_such", rows=w.shape[0], cols=w.shape[1]))
            else:
                worker.edit(kind, layer, row, col, float(value))
                worker.wait_idle(timeout=2.0)
                st.session_state[TARGET_KEY] = (kind, layer, row, col)
                # The fields already hold what was applied: don't reload them
                # from a snapshot that (on a loaded machine) may predate the edit.
                st.session_state["inside.loaded"] = ((kind, layer, row, col), marker[1])
                _rerun_fragment()
        if exists:
            now = float(w[row, col] if kind == "w" else biases[layer][row])
            st.caption(t("inside.current", value=f"{now:.4f}"))


def _rerun_fragment() -> None:
    """Rerun just the live fragment, or the whole page when this is a full run:
    a submit can reach a full run (it coalesced with a pending full rerun),
    where Streamlit refuses a fragment-scoped rerun."""
    ctx = get_script_run_ctx()
    st.rerun(scope="fragment" if ctx and ctx.fragment_ids_this_run else "app")


def _stats_frame(snap: Snapshot) -> pd.DataFrame:
    """The layer-statistics rows as a DataFrame, kept in the session and
    extended by the rows added since the last redraw (a long run has
    thousands; rebuilding them all cost more every redraw)."""
    rows, n = snap.stats_list, snap.n_stats
    cached = st.session_state.get(STATS_KEY)
    if cached is None or cached[0] is not rows or cached[1] > n:  # a new run
        cached = (rows, 0, pd.DataFrame())
    if n > cached[1]:
        new = pd.DataFrame(rows[cached[1]:n]).astype(dict.fromkeys(STAT_COLUMNS, float))
        frame = pd.concat([cached[2], new], ignore_index=True) if cached[1] else new
        cached = (rows, n, frame)
    st.session_state[STATS_KEY] = cached
    return cached[2]


def draw_stats(snap: Snapshot) -> None:
    if not snap.n_stats:
        st.caption(t("inside.stats_waiting"))
        return
    names = _column_names(snap)[1:]
    frame = _stats_frame(snap).copy()
    frame["layer"] = frame["layer"].map(dict(enumerate(names, start=1)))
    x = t("chart.epoch")
    left, right = st.columns(2)
    for box, column in zip((left, right) * 2, STAT_COLUMNS):
        if frame[column].notna().any():
            box.plotly_chart(network_charts.layer_stats_figure(
                frame.dropna(subset=[column]), column, t(f"inside.stat.{column}"),
                t(f"inside.stat_axis.{column}"), x, log_y=column == "grad_norm"),
                key=f"chart.stat.{column}", config=CONFIG)
    latest = frame[frame["step"] == frame["step"].max()]
    left.plotly_chart(network_charts.gradient_flow_figure(
        list(latest["layer"]), list(latest["grad_norm"]), t("inside.flow_title"),
        t("inside.stat_axis.grad_norm")), key="chart.flow", config=CONFIG)
    with right:
        _histograms(snap)
    st.caption(t("inside.flow_hint"))


def _histograms(snap: Snapshot) -> None:
    hists = snap.hists
    if not hists:
        return
    which = st.segmented_control(t("inside.hist_of"), ("weights", "grads"), key="inside.hist",
                                 default="weights", format_func=lambda k: t(f"inside.hist.{k}"))
    latest = len(hists) - 1
    index = st.slider(t("inside.hist_at"), 0, latest, latest, key=f"inside.hist_at.{latest}",
                      help=t("help.inside.hist_at")) if latest else 0  # one: no slider
    hist, which = hists[index], which or "weights"
    st.plotly_chart(network_charts.histogram_figure(
        *hist[which], _column_names(snap)[1:], t("inside.hist_title", epoch=hist["epoch"]),
        t(f"inside.hist.{which}"), t("inside.count")),
        key="chart.hist", config=CONFIG)
