"""The layers of the decision-boundary figure that adding points by clicking
needs. Streamlit's `on_select` reports clicks on points only, and the surface
is an image: an invisible grid of points turns a click anywhere on the plane
into a point it reports. And Streamlit knows a chart by its figure: the
boundary's surface changes on every redraw while training, so a click on it
would arrive for a chart that is already gone. The grid therefore sits in a
figure of its own, drawn exactly over the boundary (`click_figure`), which
changes only when the data does. Rings mark the points added by clicking."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

# Points per side: a click lands within half a step (0.15 of 12, some 5 pixels)
# of a grid point. The figure is sent on every redraw while a class is chosen:
# 40² points are some 17 KB of it, 50² would be 27 KB.
CLICK_GRID = 40
ADDED_NAME = "added"  # the rings' trace name (tests find it by this)
CLICK_NAME = "click"  # the grid's trace name
CLEAR = "rgba(0,0,0,0)"


def click_grid(extent: float, n: int = CLICK_GRID) -> dict:
    """n × n invisible points over [-extent, extent]². Hovering them shows
    nothing ("none", not "skip": skipped points would not take clicks)."""
    ticks = np.linspace(-extent, extent, n, dtype=np.float32)
    x, y = np.meshgrid(ticks, ticks)  # (n, n) each
    return dict(type="scatter", mode="markers", x=x.ravel(), y=y.ravel(), name=CLICK_NAME,
                marker=dict(size=8, opacity=0), hoverinfo="none", showlegend=False)


def added_rings(xy) -> dict:
    """A dark ring around each added point (N, 2), so a learner sees which
    training points came from clicks; the points themselves are drawn with
    the training data."""
    xy = np.asarray(xy, dtype=np.float32).reshape(-1, 2)
    return dict(type="scatter", mode="markers", x=xy[:, 0], y=xy[:, 1], name=ADDED_NAME,
                marker=dict(symbol="circle-open", size=13, color="#222222",
                            line=dict(width=2)),
                hoverinfo="skip", showlegend=False)


def fixed_margins(boundary: go.Figure, left: int = 60, bottom: int = 52) -> None:
    """Room for the tick labels and axis titles, fixed: Plotly grows margins
    for them only after drawing them, and not always alike for a figure with
    an image and one without, so two figures meant to overlap would not."""
    margin = boundary.layout.margin
    boundary.update_layout(margin=dict(l=max(margin.l or 0, left), b=max(margin.b or 0, bottom)))
    boundary.update_xaxes(automargin=False)
    boundary.update_yaxes(automargin=False)


def click_figure(boundary: go.Figure) -> go.Figure:
    """The boundary figure (its margins fixed) without its surface, on a
    clear background, with the click grid: drawn over the boundary, it has
    the same plot area (same layout, title and legend) and shows the same
    points, so their hover still works. No zoom or pan: the figure beneath
    would not follow."""
    extent = float(boundary.layout.xaxis.range[1])
    traces = [trace for trace in boundary.data if trace.type != "image"]
    figure = go.Figure(data=traces, layout=boundary.layout)
    figure.add_trace(click_grid(extent))
    # A click selects a grid point; the data points stay as they are drawn.
    figure.update_traces(unselected=dict(marker=dict(opacity=1)), selector=dict(type="scatter"))
    figure.update_layout(paper_bgcolor=CLEAR, plot_bgcolor=CLEAR, dragmode=False)
    # The axes' labels are the boundary's, beneath (drawn twice they blur).
    axes = dict(fixedrange=True, showgrid=False, zeroline=False, showticklabels=False,
                title_text="")
    figure.update_xaxes(**axes)
    figure.update_yaxes(**axes)
    return figure
