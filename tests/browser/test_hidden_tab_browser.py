"""End-to-end: a tab the browser reports hidden stops training at once (its
slot goes to a page someone sees) and carries on when shown again."""

from __future__ import annotations

import time

import pytest
from test_playground_browser import TEXT, UI_TIMEOUT, button, expect, open_app, read_epoch

pytestmark = pytest.mark.browser

# What a browser does when its tab goes to the background or comes back.
SET_VISIBILITY_JS = """(state) => {
  Object.defineProperty(document, 'visibilityState', {value: state, configurable: true});
  Object.defineProperty(document, 'hidden', {value: state === 'hidden', configurable: true});
  document.dispatchEvent(new Event('visibilitychange'));
}"""


def epochs_over(page, seconds: float) -> tuple[int, float]:
    """(epochs the page showed training over about `seconds`, seconds measured)."""
    first, start = read_epoch(page), time.monotonic()
    page.wait_for_timeout(seconds * 1000)
    return read_epoch(page) - first, time.monotonic() - start


def test_a_hidden_tab_pauses_its_training_and_resumes_when_shown(page, app_url):
    open_app(page, app_url)
    button(page, TEXT["button.play"]).click()
    expect(button(page, TEXT["button.pause"])).to_be_visible(timeout=UI_TIMEOUT)
    page.wait_for_timeout(2000)  # past the first slow epochs
    trained, seconds = epochs_over(page, 3)
    rate = trained / seconds
    assert rate > 2, f"training did not run before the tab was hidden ({rate:.1f} epochs/s)"

    page.evaluate(SET_VISIBILITY_JS, "hidden")
    page.wait_for_timeout(1500)  # the page's rerun tells the server
    before, hidden_for = read_epoch(page), 10.0
    page.wait_for_timeout(hidden_for * 1000)
    page.evaluate(SET_VISIBILITY_JS, "visible")
    expect(button(page, TEXT["button.pause"])).to_be_visible(timeout=UI_TIMEOUT)
    page.wait_for_timeout(1000)  # the first redraws after it was shown
    gained = read_epoch(page) - before
    # Had it kept training while hidden, it would have gained rate × (10 s + the switches);
    # paused, it gained only what the few seconds around the switches allow.
    assert gained < rate * hidden_for * 0.7, (gained, rate)
    trained, seconds = epochs_over(page, 3)  # and it trains again
    assert trained > 0
    expect(page.get_by_test_id("stException")).to_have_count(0)
