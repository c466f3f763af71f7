"""The figure that takes clicks on the decision boundary: a grid of invisible
points over the plane, drawn in a figure of its own that lies exactly over
the boundary (same plot area) without the changing surface."""

from __future__ import annotations

import numpy as np
import plotly.io

from playground.charts.boundary import boundary_figure
from playground.charts.clicks import (
    ADDED_NAME,
    CLICK_GRID,
    CLICK_NAME,
    added_rings,
    click_figure,
    click_grid,
    fixed_margins,
)
from playground.dense.probe import Grid

LABELS = {"title": "Boundary", "x": "x1", "y": "x2", "value": "Value", "class": "Class",
          "train": "Training", "test": "Test"}


def boundary(seed: int = 0):
    rng = np.random.default_rng(seed)
    axis = np.linspace(-6, 6, 40, dtype=np.float32)
    values = rng.uniform(-1, 1, (40, 40)).astype(np.float32)
    xy = rng.uniform(-6, 6, (50, 2)).astype(np.float32)
    return boundary_figure(Grid(axis, axis, values), [(xy, rng.integers(0, 2, 50), "train")],
                           "binary", False, LABELS)


def test_the_grid_covers_the_plane_invisibly_and_takes_clicks():
    trace = click_grid(6.0)
    assert len(trace["x"]) == len(trace["y"]) == CLICK_GRID**2
    assert trace["x"].min() == trace["y"].min() == -6 and trace["x"].max() == 6
    step = 12 / (CLICK_GRID - 1)
    assert step < 0.35  # a click lands within a sixth of a unit of a grid point
    assert trace["marker"]["opacity"] == 0
    assert trace["hoverinfo"] == "none"  # "skip" would let clicks through
    assert trace["name"] == CLICK_NAME


def test_rings_mark_the_added_points():
    trace = added_rings([(1.0, 2.0), (-3.0, 0.5)])
    np.testing.assert_array_equal(trace["x"], [1.0, -3.0])
    np.testing.assert_array_equal(trace["y"], [2.0, 0.5])
    assert trace["name"] == ADDED_NAME and trace["hoverinfo"] == "skip"


def test_the_click_figure_lies_over_the_boundary_without_its_surface():
    fig = boundary()
    fixed_margins(fig)
    over = click_figure(fig)
    assert [t.type for t in fig.data][0] == "image"
    assert "image" not in [t.type for t in over.data]
    assert [t.name for t in over.data][-1] == CLICK_NAME
    # The same plot area: same size, margins, ranges and legend; no zoom.
    for key in ("height", "margin", "showlegend", "legend"):
        assert over.layout[key] == fig.layout[key], key
    assert over.layout.xaxis.range == fig.layout.xaxis.range
    assert over.layout.yaxis.scaleanchor == fig.layout.yaxis.scaleanchor
    assert over.layout.xaxis.fixedrange and over.layout.dragmode is False
    assert over.layout.plot_bgcolor == over.layout.paper_bgcolor == "rgba(0,0,0,0)"
    assert fig.layout.xaxis.automargin is False and fig.layout.margin.l >= 60


def test_the_click_figure_stays_the_same_while_the_surface_changes():
    """Streamlit knows a chart by its figure: a click must find the same one."""
    first, later = boundary(), boundary()
    later.data[0].source = boundary(seed=1).data[0].source  # training moved the surface
    assert first.data[0].source != later.data[0].source
    assert plotly.io.to_json(click_figure(first)) == plotly.io.to_json(click_figure(later))
