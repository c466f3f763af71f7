"""Presenter view (`present=1`) on a projector's screen: at 1920×1080 and at
1280×720 no chart is drawn wider than its column or the window (the zoomed
page used to draw every chart 1.3 times too wide, cutting off legends and
right edges), and at 1920×1080 the controls, the decision boundary and both
curves are on one screen. Screenshots land in tests/browser/artifacts/."""

from __future__ import annotations

import re

import pytest
from conftest import ARTIFACTS
from test_playground_browser import LOAD_TIMEOUT, TEXT, expect

pytestmark = pytest.mark.browser

SIZES = [(1920, 1080), (1280, 720)]
SETTLE_MS = 1500  # Plotly redraws once more after Streamlit sizes its column
# Every chart on the page: its drawing, and the element Streamlit gives it.
BOXES_JS = """() => [...document.querySelectorAll(
    '[data-testid="stPlotlyChart"], [data-testid="stImage"]')].map(el => {
  const drawn = el.querySelector('.main-svg') || el.querySelector('img') || el;
  const box = el.closest('[data-testid="stElementContainer"]') || el.parentElement;
  const d = drawn.getBoundingClientRect(), c = box.getBoundingClientRect();
  const legend = el.querySelector('.legend');
  const l = legend ? legend.getBoundingClientRect() : d;
  const title = el.querySelector('.gtitle');
  return {title: title ? title.textContent : '', visible: d.width > 0 && d.height > 0,
          left: d.left, right: d.right, top: d.top, bottom: d.bottom,
          boxLeft: c.left, boxRight: c.right, legendRight: l.right, legendLeft: l.left};
})"""


def chart_boxes(page) -> list[dict]:
    page.wait_for_timeout(SETTLE_MS)
    return [b for b in page.evaluate(BOXES_JS) if b["visible"]]


def assert_within(boxes: list[dict], width: int) -> None:
    assert boxes, "no chart on the page"
    for b in boxes:
        what = f"{b['title']!r}: {b}"
        assert b["left"] >= b["boxLeft"] - 1 and b["right"] <= b["boxRight"] + 1, what
        assert b["right"] <= width and b["legendRight"] <= b["right"] + 1, what
        assert b["legendLeft"] >= b["left"] - 1, what


def open_presenter(browser, app_url: str, path: str, size: tuple[int, int]):
    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    context.set_default_timeout(30_000)
    page = context.new_page()
    page.goto(f"{app_url}/{path}?present=1")
    return context, page


def by_title(boxes: list[dict], text: str) -> dict:
    (found,) = [b for b in boxes if b["title"].startswith(text)]
    return found


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_playground_fits_the_projector(browser, app_url, size):
    context, page = open_presenter(browser, app_url, "", size)
    try:
        boundary_title = TEXT["chart.boundary_title.binary"]
        expect(page.locator(".gtitle").filter(has_text=boundary_title)).to_be_visible(
            timeout=LOAD_TIMEOUT)
        expect(page.locator(".gtitle").filter(
            has_text=re.compile(f"^{TEXT['chart.acc_title']}$"))).to_be_visible()
        boxes = chart_boxes(page)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"presenter_{size[0]}x{size[1]}.png"))
        assert_within(boxes, size[0])
        assert page.evaluate("document.documentElement.scrollWidth") <= size[0]
        if size == (1920, 1080):  # one screen: the controls, the boundary and both curves
            for title in (boundary_title, TEXT["chart.loss_title"], TEXT["chart.acc_title"]):
                chart = by_title(boxes, title)
                assert chart["top"] >= 0 and chart["bottom"] <= size[1], (title, chart)
            play = page.get_by_role("button", name=TEXT["button.play"])
            assert play.bounding_box()["y"] + play.bounding_box()["height"] <= size[1]
    finally:
        context.close()


@pytest.mark.parametrize("path", ["tables", "images"])
def test_the_other_pages_fit_too(browser, app_url, path):
    for size in SIZES:
        context, page = open_presenter(browser, app_url, path, size)
        try:
            expect(page.locator(".gtitle").filter(
                has_text=re.compile(f"^{TEXT['chart.loss_title']}$"))).to_be_visible(
                timeout=LOAD_TIMEOUT)
            boxes = chart_boxes(page)
            page.screenshot(path=str(ARTIFACTS / f"presenter_{path}_{size[0]}x{size[1]}.png"))
            assert_within(boxes, size[0])
        finally:
            context.close()
