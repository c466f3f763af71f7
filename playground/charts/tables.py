"""Figures for the table page, from plain arrays; no models, no Streamlit.
Every text shown comes in through `labels`, already translated. Both are
redrawn while training, with one point per row of the table: they are built
as plain dicts (one validation pass), points in float32 and class colours as
numbers, so a 10,000-row table costs milliseconds, not a quarter second."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from playground.charts.common import CLASS_COLOURS, DIVERGING, class_colours, layout


def _figure(traces: list[dict], title: str, height: int, x_title: str,
            y_title: str) -> go.Figure:
    """The layout and axis titles. Long titles take the top line: the legend
    goes under the x axis title."""
    return go.Figure(data=traces, layout=layout(
        title, height, dict(title=dict(text=x_title)), dict(title=dict(text=y_title)),
        hovermode="closest",
        legend=dict(orientation="h", x=0.0, xanchor="left", y=-0.18, yanchor="top"),
    ))


def projection_figure(
    coords: np.ndarray, predicted: np.ndarray, actual: np.ndarray, class_names: Sequence[str],
    labels: dict[str, str], height: int = 460,
) -> go.Figure:
    """Rows on their two principal components (coords (N, 2)), coloured by
    the model's prediction. Classification: a circle where the prediction is
    right, a cross where it is wrong. Regression (class_names empty): the
    colour is the predicted value.
    labels: "title", "x", "y", "right", "wrong", "predicted", "actual".
    """
    xy = np.asarray(coords, dtype=np.float32)
    hover = (f"{labels['predicted']}: %{{customdata[0]}}<br>"
             f"{labels['actual']}: %{{customdata[1]}}<extra></extra>")
    traces = []
    if class_names:
        names = np.array([str(c) for c in class_names], dtype=object)
        for correct in (True, False):
            mask = (predicted == actual) == correct
            if not mask.any():
                continue
            traces.append(dict(
                type="scattergl", x=xy[mask, 0], y=xy[mask, 1], mode="markers",
                name=labels["right" if correct else "wrong"],
                marker=dict(
                    **class_colours(predicted[mask] % len(CLASS_COLOURS), len(class_names)),
                    symbol="circle" if correct else "x", size=7 if correct else 9,
                    line=dict(color="white", width=0.8) if correct else None,
                ),
                customdata=np.column_stack([names[predicted[mask]], names[actual[mask]]]),
                hovertemplate=hover,
            ))
    else:
        # The target's own range, low orange to high blue (values need not centre on 0).
        lo, hi = (float(predicted.min()), float(predicted.max())) if len(predicted) else (0, 1)
        traces.append(dict(
            type="scattergl", x=xy[:, 0], y=xy[:, 1], mode="markers", showlegend=False,
            marker=dict(color=np.asarray(predicted, dtype=np.float32), colorscale=DIVERGING,
                        cmin=lo, cmax=max(hi, lo + 1e-9), size=7,
                        colorbar=dict(title=dict(text=labels["predicted"]), thickness=12,
                                      len=0.8)),
            customdata=np.column_stack([np.round(predicted, 4), np.round(actual, 4)]),
            hovertemplate=hover,
        ))
    return _figure(traces, labels["title"], height, labels["x"], labels["y"])


def regression_figure(actual: np.ndarray, predicted: np.ndarray, labels: dict[str, str],
                      height: int = 380) -> go.Figure:
    """Predicted against actual values; points on the dashed diagonal are exact.
    labels: "title", "actual", "predicted", "ideal"."""
    lo = float(min(actual.min(), predicted.min())) if len(actual) else 0.0
    hi = float(max(actual.max(), predicted.max())) if len(actual) else 1.0
    return _figure([
        dict(type="scatter", x=[lo, hi], y=[lo, hi], mode="lines", name=labels["ideal"],
             line=dict(color="#888888", dash="dash"), hoverinfo="skip"),
        dict(type="scattergl", x=np.asarray(actual, dtype=np.float32),
             y=np.asarray(predicted, dtype=np.float32), mode="markers",
             name=labels["predicted"], marker=dict(color=CLASS_COLOURS[1], size=6, opacity=0.7),
             hovertemplate=f"{labels['actual']}: %{{x:.4g}}<br>"
             f"{labels['predicted']}: %{{y:.4g}}<extra></extra>"),
    ], labels["title"], height, labels["actual"], labels["predicted"])
