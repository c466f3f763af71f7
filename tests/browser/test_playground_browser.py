"""End-to-end: a real browser against `streamlit run app.py`.

These tests click through the page as a user does and check what the user
sees: the epoch counter, the metrics, the boundary chart, the messages.
Timeouts are generous: a fresh session starts a training process, and CI
machines may have two cores.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
TEXT = json.loads((ROOT / "assets" / "i18n" / "en.json").read_text(encoding="utf-8"))

LOAD_TIMEOUT = 90_000  # ms; the first session waits for torch to import
UI_TIMEOUT = 30_000  # ms; a click and the rerun it causes


# ---- helpers ---------------------------------------------------------------
def expect(*args, **kwargs):
    from playwright.sync_api import expect as _expect

    return _expect(*args, **kwargs)


def open_app(page, app_url: str, query: str = "") -> None:
    """Open the app and wait until the live view (metrics and charts) is drawn."""
    page.goto(f"{app_url}/{query}")
    expect(page.get_by_test_id("stMetric").first).to_be_visible(timeout=LOAD_TIMEOUT)
    expect(chart(page)).to_be_visible(timeout=LOAD_TIMEOUT)
    expect(page.get_by_test_id("stException")).to_have_count(0)


def shown(page, test_id: str):
    """Elements with this data-testid that take up room on the page.

    While a redraw is under way Streamlit may keep zero-size copies of the
    old elements in the DOM; only the visible ones are what a user sees."""
    return page.locator(f'[data-testid="{test_id}"]:visible')


def button(page, label: str):
    """A command button by its text (the Material icon's ligature text aside)."""
    return (
        shown(page, "stButton")
        .get_by_role("button")
        .filter(has=page.get_by_text(label, exact=True))
    )


def metric_value(page, label: str):
    return (
        shown(page, "stMetric")
        .filter(has=page.get_by_test_id("stMetricLabel").get_by_text(label, exact=True))
        .get_by_test_id("stMetricValue")
    )


def read_epoch(page) -> int:
    return int(metric_value(page, TEXT["metric.epoch"]).inner_text().replace(",", ""))


def boundary_chart(page):
    """The decision-boundary chart: the first Plotly chart on the page."""
    return shown(page, "stPlotlyChart").first


def chart(page):
    """The boundary chart's drawing, once Plotly has drawn it."""
    return boundary_chart(page).locator(".js-plotly-plot .main-svg").first


# The boundary chart's drawn surface, read from Plotly's own graph div: the
# first trace's image (a PNG data URI, the surface the user sees). Reading the data, not a
# screenshot, works while Streamlit redraws the chart twice a second and the
# element is detached or faded for part of that time.
BOUNDARY_DATA_JS = """() => {
  const shown = (e) => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
  const chart = [...document.querySelectorAll('[data-testid="stPlotlyChart"]')].find(shown);
  const gd = chart && chart.querySelector('.js-plotly-plot');
  if (!gd || !gd.data || !gd.data.length || !chart.querySelector('.main-svg .gtitle')) return null;
  const surface = gd.data[0];
  return surface.type === 'image' && surface.source.startsWith('data:image/png;base64,')
    ? surface.source : null;
}"""


def boundary_surface(page, timeout_s: float = 30) -> str:
    """The drawn boundary surface (its PNG data URI), once Plotly has drawn it."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        surface = page.evaluate(BOUNDARY_DATA_JS)
        if surface:
            return surface
        page.wait_for_timeout(50)
    raise AssertionError(f"the boundary chart was not drawn within {timeout_s:.0f} s")


def wait_until(page, predicate, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}")
        page.wait_for_timeout(250)


def note(key: str, **values) -> str:
    return TEXT[key].format(**values)


# ---- tests -----------------------------------------------------------------
def test_build_network_train_and_pause(page, app_url):
    open_app(page, app_url)

    # Pick the Spiral dataset through the selectbox (it is the default, so
    # the choice must show in the box afterwards either way).
    dataset = page.get_by_test_id("stSelectbox").filter(
        has=page.get_by_test_id("stWidgetLabel").get_by_text(TEXT["field.dataset"], exact=True)
    )
    dataset.get_by_role("combobox").click()
    page.get_by_role("option", name=TEXT["dataset.spiral"], exact=True).click()
    expect(dataset.get_by_role("combobox")).to_have_value(TEXT["dataset.spiral"])

    # One more hidden layer with the "+" of "Hidden layers": a third row appears.
    layers = page.get_by_test_id("stNumberInput").filter(
        has=page.get_by_test_id("stWidgetLabel").get_by_text(TEXT["field.n_layers"], exact=True)
    )
    expect(layers.get_by_test_id("stNumberInputField")).to_have_value("2")
    expect(page.get_by_label(TEXT["field.width"].format(i=3), exact=True)).to_have_count(0)
    layers.get_by_test_id("stNumberInputStepUp").click()
    expect(layers.get_by_test_id("stNumberInputField")).to_have_value("3")
    third = page.get_by_test_id("stNumberInput").filter(
        has=page.get_by_test_id("stWidgetLabel").get_by_text(
            TEXT["field.width"].format(i=3), exact=True)
    )
    expect(third).to_be_visible(timeout=UI_TIMEOUT)
    expect(page.get_by_text(TEXT["field.activation"].format(i=3), exact=True)).to_be_visible()
    # The rebuilt network starts at epoch 0.
    expect(metric_value(page, TEXT["metric.epoch"])).to_have_text("0", timeout=UI_TIMEOUT)

    loss_before = metric_value(page, TEXT["metric.train_loss"]).inner_text()
    surface_before = boundary_surface(page)

    # Play: the epoch counter rises, the loss and the boundary change.
    button(page, TEXT["button.play"]).click()
    expect(button(page, TEXT["button.pause"])).to_be_visible(timeout=UI_TIMEOUT)
    epoch = metric_value(page, TEXT["metric.epoch"])
    expect(epoch).not_to_have_text("0", timeout=UI_TIMEOUT)
    first = read_epoch(page)
    wait_until(page, lambda: read_epoch(page) > first, 30, f"the epoch to rise past {first}")
    second = read_epoch(page)
    assert second > first > 0

    expect(metric_value(page, TEXT["metric.train_loss"])).not_to_have_text(
        loss_before, timeout=UI_TIMEOUT
    )
    wait_until(page, lambda: boundary_surface(page) != surface_before, 30,
               "the boundary chart to change")

    # Pause: the counter holds.
    button(page, TEXT["button.pause"]).click()
    expect(button(page, TEXT["button.play"])).to_be_enabled(timeout=UI_TIMEOUT)
    page.wait_for_timeout(1500)  # let a redraw already under way land
    held = read_epoch(page)
    page.wait_for_timeout(2000)
    assert read_epoch(page) == held
    assert held >= second
    expect(button(page, TEXT["button.pause"])).to_have_count(0)
    expect(page.get_by_test_id("stException")).to_have_count(0)


def test_bad_link_parameters_are_explained(page, app_url):
    open_app(page, app_url, "?lr=abc&bogus=1&dataset=nope")

    expected = [
        note("note.bad_value", value="abc", field=TEXT["field.lr"], fixed="0.03"),
        note("note.unknown", value="nope", field=TEXT["field.dataset"], fixed="spiral"),
    ]
    alerts = shown(page, "stAlert")
    for text in expected:
        expect(alerts.filter(has_text=text)).to_have_count(1)
    # A key that is no setting of the page: one note naming it, not as a setting.
    not_a_setting = TEXT["link.ignored_one"].split("{keys}")[1]
    expect(alerts.filter(has_text="bogus").filter(has_text=not_a_setting)).to_have_count(1)
    # The app still works with the fixed-up settings.
    dataset = page.get_by_role("combobox", name=TEXT["field.dataset"], exact=True)
    expect(dataset).to_have_value(TEXT["dataset.spiral"])
    expect(page.get_by_test_id("stException")).to_have_count(0)


def test_a_learning_rate_too_big_for_adam_is_explained_within_seconds(page, app_url):
    # Verified in Python: Adam at lr 10 on the default spiral never diverges;
    # the loss jumps to about 5 and stays there, and the watch says so at
    # epoch 30 (half a second at the page's 60 epochs a second).
    open_app(page, app_url, "?optimizer=adam&lr=10")
    expect(shown(page, "stAlert")).to_have_count(0)
    button(page, TEXT["button.play"]).click()
    started = time.monotonic()
    too_big = shown(page, "stAlert").filter(
        has_text="The learning rate 10 is probably too big for Adam")
    expect(too_big).to_be_visible(timeout=10_000)
    assert time.monotonic() - started < 10
    expect(too_big).to_contain_text("Try 0.01")
    # A warning, not a stop: training goes on.
    expect(button(page, TEXT["button.pause"])).to_be_visible()
    epoch = read_epoch(page)
    expect(metric_value(page, TEXT["metric.epoch"])).not_to_have_text(str(epoch),
                                                                        timeout=UI_TIMEOUT)
    button(page, TEXT["button.pause"]).click()
    expect(button(page, TEXT["button.play"])).to_be_enabled(timeout=UI_TIMEOUT)


def test_divergence_stops_training_until_reset(page, app_url):
    # Verified in Python: plane + MSE + plain SGD at lr 10 with no hidden
    # layer reaches a NaN loss in its first epoch.
    open_app(page, app_url, "?dataset=plane&loss=mse&optimizer=sgd&lr=10&hidden=none")
    expect(shown(page, "stAlert")).to_have_count(0)

    play = button(page, TEXT["button.play"])
    expect(play).to_be_enabled()
    play.click()

    stopped = shown(page, "stAlert").filter(has_text="Training stopped itself")
    expect(stopped).to_be_visible(timeout=UI_TIMEOUT)
    # The full message, naming the learning rate (the loss may turn NaN or infinite).
    messages = [
        TEXT["status.diverged"].format(reason=TEXT[f"status.reason.{r}"], lr="10")
        for r in ("nan", "inf")
    ]
    expect(stopped).to_have_text(re.compile("|".join(re.escape(m) for m in messages)))
    expect(button(page, TEXT["button.play"])).to_be_disabled(timeout=UI_TIMEOUT)
    expect(button(page, TEXT["button.step"])).to_be_disabled()

    button(page, TEXT["button.reset"]).click()
    expect(stopped).to_have_count(0, timeout=UI_TIMEOUT)
    expect(button(page, TEXT["button.play"])).to_be_enabled(timeout=UI_TIMEOUT)
    expect(metric_value(page, TEXT["metric.epoch"])).to_have_text("0")
    expect(page.get_by_test_id("stException")).to_have_count(0)
