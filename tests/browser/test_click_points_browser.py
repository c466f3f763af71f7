"""End-to-end: click on the decision-boundary chart to add a training point.
The point joins the training set (the data group counts it, the link holds
it, the chart rings it), also while the network trains, which goes on with
the weights it has."""

from __future__ import annotations

import re

import pytest
from test_playground_browser import LOAD_TIMEOUT, TEXT, UI_TIMEOUT, expect

pytestmark = pytest.mark.browser


def boundary(page):
    return page.locator('[data-testid="stPlotlyChart"]:visible').first


# The Plotly figures on the page that have a trace of this name.
WITH_TRACE = """(name) => [...document.querySelectorAll('.js-plotly-plot')]
    .filter(p => p.data && p.data.some(d => d.name === name))"""


def has_trace(page, name: str) -> bool:
    return page.evaluate(f"(name) => ({WITH_TRACE})(name).length > 0", name)


def count_text(n: int, added: int) -> str:
    return TEXT["click.count"].format(n=f"{n:,}", added=added)


def epoch(page) -> int:
    value = (page.locator('[data-testid="stMetric"]:visible')
             .filter(has=page.get_by_text(TEXT["metric.epoch"], exact=True))
             .get_by_test_id("stMetricValue"))
    return int(value.inner_text().replace(",", ""))


def click_plane(page, fx: float, fy: float) -> None:
    """Click at a fraction (fx, fy) of the plot area, from its top left: the
    area of the figure that takes clicks, read from Plotly's layout (while
    training, the boundary beneath it is redrawn twice a second)."""
    area = page.wait_for_function(f"""() => {{
        const plot = ({WITH_TRACE})('click')[0];
        if (!plot || !plot._fullLayout) return null;
        const r = plot.getBoundingClientRect(), L = plot._fullLayout;
        return r.width ? {{x: r.x + L.xaxis._offset, y: r.y + L.yaxis._offset,
                          width: L.xaxis._length, height: L.yaxis._length}} : null;
    }}""", timeout=UI_TIMEOUT).json_value()
    x, y = area["x"] + area["width"] * fx, area["y"] + area["height"] * fy
    page.mouse.move(x, y)  # Plotly finds the point under the pointer on hover
    page.mouse.click(x, y)


def add_point(page, fx: float, fy: float, count: str) -> None:
    """Click until the data group shows `count`. A click in the first half
    second after the figure that takes clicks appears can miss (a person's
    hand is slower than that); clicking the same spot again is safe: the page
    does not add the point it has just added."""
    text = page.get_by_test_id("stSidebar").get_by_text(count)
    for _ in range(5):
        click_plane(page, fx, fy)
        try:
            expect(text).to_be_visible(timeout=6_000)
            return
        except AssertionError:
            continue
    expect(text).to_be_visible()


def test_a_click_on_the_plane_adds_a_training_point_that_trains_live(page, app_url):
    page.goto(f"{app_url}/?dataset=xor&lr=0.01")
    expect(boundary(page).locator(".main-svg").first).to_be_visible(timeout=LOAD_TIMEOUT)
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_text(count_text(200, 0))).to_be_visible()
    assert not has_trace(page, "click")  # nothing takes clicks until a class is chosen

    classes = sidebar.get_by_test_id("stButtonGroup").filter(
        has=page.get_by_text(TEXT["click.label"]))
    classes.locator("button").filter(has_text=re.compile(r"^\W*1$")).click()
    page.wait_for_function(f"() => ({WITH_TRACE})('click').length > 0", timeout=UI_TIMEOUT)

    add_point(page, 0.75, 0.25, count_text(201, 1))  # about (3, 3): blue in the orange corner
    # Near (3, 3), on the grid that takes clicks.
    expect(page).to_have_url(re.compile(r"points=(2\.[6-9]|3\.[0-4])\d*%3A(2\.[6-9]|3\.[0-4])\d*%3A1"),
                             timeout=UI_TIMEOUT)
    page.wait_for_function(f"() => ({WITH_TRACE})('added').length > 0",  # the chart rings it
                           timeout=UI_TIMEOUT)

    # While it trains: the run goes on with the new point, its epochs not reset.
    page.locator('[data-testid="stButton"]:visible').get_by_role("button").filter(
        has=page.get_by_text(TEXT["button.play"], exact=True)).click()
    expect(page.get_by_test_id("stMetricValue").first).not_to_have_text("0",
                                                                       timeout=UI_TIMEOUT)
    page.wait_for_function("""(label) => [...document.querySelectorAll('[data-testid="stMetric"]')]
        .some(m => m.innerText.startsWith(label) && parseInt(m.innerText.split('\\n').pop()
        .replace(/,/g, '')) >= 5)""", arg=TEXT["metric.epoch"], timeout=UI_TIMEOUT)
    before = epoch(page)
    add_point(page, 0.25, 0.75, count_text(202, 2))  # about (-3, -3)
    assert epoch(page) >= before  # the same run, still counting up
    expect(page.get_by_test_id("stException")).to_have_count(0)
