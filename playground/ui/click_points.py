"""Click on the plane to add a training point (the 2D page). The data group
has the class a click adds and a button that clears the added points; while
a class is chosen, a figure that takes clicks lies over the boundary chart
(charts/clicks.py says why it is a figure of its own).

The added points live in the session under "w.points", as a widget's value
would: a link, a settings file or a lesson puts them there through
`controls.load`, a click or the button changes them, and the data group hands
them to the spec. A click arrives in the live fragment; its callback adds the
point and the fragment then reruns the whole page, which gives the training
process the new spec: it trains on with the weights it has.
"""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from playground.charts.clicks import added_rings, click_figure, fixed_margins
from playground.core import catalog
from playground.dense.spec import MAX_POINTS, ToyData, make_point, parse_points
from playground.ui.text import t

POINTS_KEY = "w.points"  # the added points, a tuple of Point
CLASS_KEY = "w.click_class"  # the class a click adds; None: a click adds nothing
CHART_KEY = "chart.boundary"
CLICK_CHART_KEY = "chart.click"  # the figure over the boundary that takes clicks
STACK_KEY = "boundary-stack"
# The two charts in one grid cell: the clicks' figure exactly over the boundary.
STACK_CSS = f"""<style>
.st-key-{STACK_KEY} {{ display: grid; grid-template-columns: minmax(0, 1fr); }}
.st-key-{STACK_KEY} > * {{ grid-area: 1 / 1; width: 100%; min-width: 0; }}
</style>"""
ADDED_KEY = "click.added"  # a click added a point: the fragment reruns the page
# Class colours near the chart's (charts.common.CLASS_COLOURS), as Streamlit
# colours text: a dot needs no emoji font, which not every browser has.
DOTS = (":orange[●]", ":blue[●]", ":green[●]", ":violet[●]", ":red[●]")


def points_ui(spec, values: dict) -> dict:
    """In the data group, under the data widgets whose `values` this run
    chose: the class a click adds, the clear button and the training set's
    size. Returns {"points": the added points that suit the chosen data}."""
    if POINTS_KEY not in st.session_state:
        st.session_state[POINTS_KEY] = tuple(spec.points)
    dataset = values.get("dataset", spec.dataset)
    problem = catalog.DATASETS[dataset].problem
    k = {"multiclass": values.get("n_classes", spec.n_classes), "binary": 2}.get(problem, 0)
    points = parse_points(st.session_state[POINTS_KEY], [])  # load() puts plain lists
    kept = tuple(p for p in points if p.label < k)
    if len(kept) < len(points):  # another set: no regression points, fewer classes
        st.info(t("click.dropped", n=len(points) - len(kept)), icon=":material/info:")
        st.session_state[POINTS_KEY] = points = kept
    if st.session_state.get(CLASS_KEY) is not None and st.session_state[CLASS_KEY] >= k:
        st.session_state[CLASS_KEY] = None
    if k:
        st.segmented_control(t("click.label"), list(range(k)), key=CLASS_KEY,
                             format_func=lambda c: f"{DOTS[c % len(DOTS)]} {c}",
                             help=t("click.help", most=MAX_POINTS))
    else:
        st.caption(t("click.regression"))
    n_train = ToyData(n_samples=values.get("n_samples", spec.n_samples),
                      train_ratio=values.get("train_ratio", spec.train_ratio)).n_train
    st.caption(t("click.count", n=f"{n_train + len(points):,}", added=len(points)))
    st.button(t("click.clear"), key="w.clear_points", on_click=_clear, disabled=not points,
              icon=":material/delete_sweep:", width="stretch")
    if len(points) >= MAX_POINTS:
        st.caption(t("click.full", most=MAX_POINTS))
    return {"points": list(points)}


def _clear() -> None:
    st.session_state[POINTS_KEY] = ()


def with_click(points, chosen: list[dict], label: int | None) -> tuple | None:
    """The added `points` and, at the first of the `chosen` chart points
    (Streamlit's selection: dicts with "x" and "y"), one of class `label`;
    None when the click adds nothing (no class chosen, no point, full, the
    point just added)."""
    points = parse_points(points, [])
    if not chosen or label is None or len(points) >= MAX_POINTS:
        return None
    point = make_point(chosen[0]["x"], chosen[0]["y"], label)
    if points and points[-1] == point:
        return None  # the same selection again, for the chart redrawn after the click
    return (*points, point)


def _clicked() -> None:
    """The chart's callback, before the fragment reruns."""
    event = st.session_state.get(CLICK_CHART_KEY)
    added = with_click(st.session_state.get(POINTS_KEY, ()),
                       event.selection.points if event is not None else [],
                       st.session_state.get(CLASS_KEY))
    if added is not None:
        st.session_state[POINTS_KEY] = added
        st.session_state[ADDED_KEY] = True


def boundary_chart(box, figure: go.Figure, spec, config: dict) -> None:
    """The boundary `figure` in `box`, with rings around the added points and,
    while a class is chosen, the figure that takes clicks drawn over it."""
    if st.session_state.pop(ADDED_KEY, False):
        st.rerun()  # the whole page: the spec, the link and the training process
    if spec.points:
        figure.add_trace(added_rings([(p.x, p.y) for p in spec.points]))
    if st.session_state.get(CLASS_KEY) is None or spec.problem == "regression":
        box.plotly_chart(figure, key=CHART_KEY, config=config)
        return
    fixed_margins(figure)
    box.html(STACK_CSS)
    stack = box.container(key=STACK_KEY, gap=None)
    stack.plotly_chart(figure, key=CHART_KEY, config=config)
    stack.plotly_chart(click_figure(figure), key=CLICK_CHART_KEY, on_select=_clicked,
                       selection_mode="points", config={**config, "displayModeBar": False})
