"""End-to-end: the table page in a real browser.

Upload a CSV of two numeric columns and a label, see it replace the example,
train with Play until the test accuracy is high, pause, and download the
settings: the file is the run's settings, naming the uploaded file and its
columns. Then upload a broken file and see the message, with the trained
table still in use.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from test_playground_browser import TEXT, UI_TIMEOUT, button, expect, metric_value, wait_until

from playground.dense.table_spec import TableExperiment

pytestmark = pytest.mark.browser

LOAD_TIMEOUT = 90_000


def read_epoch(page) -> int:
    return int(metric_value(page, TEXT["metric.epoch"]).inner_text().replace(",", ""))


def read_accuracy(page) -> float:
    return float(metric_value(page, TEXT["metric.test_acc"]).inner_text().rstrip("%")) / 100


def make_csv(path) -> None:
    rng = np.random.default_rng(3)
    x = rng.uniform(-1, 1, size=(300, 2))
    label = np.where(x[:, 0] ** 2 + x[:, 1] ** 2 < 0.45, "inside", "outside")
    pd.DataFrame({"u": x[:, 0].round(4), "v": x[:, 1].round(4), "ring": label}).to_csv(
        path, index=False)


def uploader(page, label: str):
    return page.locator('[data-testid="stFileUploader"]').filter(
        has=page.get_by_text(label, exact=True)).locator('input[type="file"]')


def test_upload_train_and_download_settings(page, app_url, tmp_path):
    page.goto(f"{app_url}/tables")
    expect(page.get_by_text(TEXT["tbl.title"], exact=True)).to_be_visible(timeout=LOAD_TIMEOUT)
    expect(metric_value(page, TEXT["metric.epoch"])).to_have_text("0", timeout=LOAD_TIMEOUT)

    csv = tmp_path / "ring.csv"
    make_csv(csv)
    uploader(page, TEXT["tbl.upload"]).set_input_files(str(csv))
    summary = TEXT["tbl.sizes"].format(train="210", test="90", inputs=2)
    expect(page.get_by_text(summary)).to_be_visible(timeout=UI_TIMEOUT)
    # Two input columns: the boundary is drawn over them.
    title = TEXT["chart.boundary_title.binary"]
    expect(page.locator(".js-plotly-plot .gtitle").filter(has_text=title).first).to_be_visible(
        timeout=UI_TIMEOUT)

    button(page, TEXT["button.play"]).click()
    wait_until(page, lambda: read_epoch(page) >= 30, 60, "30 epochs")
    wait_until(page, lambda: read_accuracy(page) >= 0.9, 60, "a test accuracy of 90 %")
    button(page, TEXT["button.pause"]).click()
    expect(button(page, TEXT["button.play"])).to_be_visible(timeout=UI_TIMEOUT)

    with page.expect_download() as info:
        page.get_by_role("button", name=TEXT["exp.settings"]).click()
    saved = tmp_path / "settings.json"
    info.value.save_as(saved)
    assert info.value.suggested_filename == "ring-settings.json"
    spec, notes = TableExperiment.from_json(saved.read_text())
    assert not notes
    assert spec.source == "ring.csv" and spec.target == "ring"
    assert spec.features == ("u", "v") and spec.problem == "binary"
    assert json.loads(saved.read_text())["kind"] == "table"

    # A broken file: a message naming it, and the trained table stays.
    broken = tmp_path / "broken.csv"
    broken.write_bytes(b"a,b\n1,2\n3,4,5\n")
    uploader(page, TEXT["tbl.upload"]).set_input_files(str(broken))
    expect(page.get_by_test_id("stAlertContentError").filter(has_text="broken.csv")).to_be_visible(
        timeout=UI_TIMEOUT)
    expect(page.get_by_text(summary)).to_be_visible()
    assert read_epoch(page) >= 30
    expect(page.get_by_test_id("stException")).to_have_count(0)
