"""End-to-end: a shared link reproduces a run. Two fresh browser sessions
open the same link, see the same settings, train the same five epochs with
Step, and show the same losses, digit for digit."""

from __future__ import annotations

import pytest
from test_playground_browser import (
    TEXT,
    UI_TIMEOUT,
    button,
    expect,
    metric_value,
    open_app,
    read_epoch,
    shown,
)

pytestmark = pytest.mark.browser

LINK = "?dataset=xor&noise=0.1&hidden=6-tanh,4-relu&lr=0.1&optimizer=sgd&momentum=0.5&seed=3"
EPOCHS = 5


def train_and_read(page, app_url) -> tuple[str, str, str]:
    open_app(page, app_url, LINK)
    dataset = shown(page, "stSelectbox").filter(
        has=page.get_by_test_id("stWidgetLabel").get_by_text(TEXT["field.dataset"], exact=True))
    expect(dataset.get_by_role("combobox")).to_have_value(TEXT["dataset.xor"])
    for epoch in range(1, EPOCHS + 1):
        button(page, TEXT["button.step"]).click()
        expect(metric_value(page, TEXT["metric.epoch"])).to_have_text(str(epoch),
                                                                    timeout=UI_TIMEOUT)
    assert read_epoch(page) == EPOCHS
    return tuple(metric_value(page, TEXT[key]).inner_text()
                 for key in ("metric.train_loss", "metric.test_loss", "metric.test_acc"))


def test_a_shared_link_reproduces_the_run(browser, app_url):
    results = []
    for _ in range(2):  # two fresh sessions, as two students opening the link
        context = browser.new_context(viewport={"width": 1440, "height": 1000})
        try:
            page = context.new_page()
            results.append(train_and_read(page, app_url))
            expect(page.get_by_test_id("stException")).to_have_count(0)
        finally:
            context.close()
    first, second = results
    assert first == second, results
    assert first[0] != "–"
