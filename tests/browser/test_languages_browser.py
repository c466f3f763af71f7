"""End-to-end: the language switch. A shared link opens in English; switching
to Chinese redraws every control in Chinese with the same experiment, the
address keeps the language, and the page goes on working."""

from __future__ import annotations

import pytest
from test_playground_browser import (
    TEXT,
    UI_TIMEOUT,
    button,
    expect,
    metric_value,
    open_app,
    shown,
)

from playground.core.i18n import table

pytestmark = pytest.mark.browser
ZH = table("zh")


def selectbox(page, label: str):
    return shown(page, "stSelectbox").filter(
        has=page.get_by_test_id("stWidgetLabel").get_by_text(label, exact=True)
    ).get_by_role("combobox")


def test_switching_to_chinese_keeps_the_experiment(page, app_url):
    open_app(page, app_url, "?dataset=xor&lr=0.1")
    expect(selectbox(page, TEXT["field.dataset"])).to_have_value(TEXT["dataset.xor"])

    selectbox(page, "Language / 语言").click()
    page.get_by_role("option", name="中文", exact=True).click()

    expect(page.get_by_text(ZH["app.title"], exact=True)).to_be_visible(timeout=UI_TIMEOUT)
    # The same experiment, named in Chinese.
    expect(selectbox(page, ZH["field.dataset"])).to_have_value(ZH["dataset.xor"])
    expect(selectbox(page, ZH["field.optimizer"])).to_have_value(ZH["optimizer.adam"])
    page.wait_for_url("**lang=zh**", timeout=UI_TIMEOUT)
    assert "dataset=xor" in page.url and "lr=0.1" in page.url

    # It still trains: one step, in Chinese.
    button(page, ZH["button.step"]).click()
    expect(metric_value(page, ZH["metric.epoch"])).to_have_text("1", timeout=UI_TIMEOUT)
    expect(page.get_by_test_id("stException")).to_have_count(0)
