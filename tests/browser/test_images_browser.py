"""End-to-end: the image page in a real browser.

Open the Images page, load a classic model from the presets, train two
epochs with Step, and see the confusion matrix drawn with every test image
counted and the stated accuracy on its diagonal, the per-class scores table,
and the other tabs drawn without error.
"""

from __future__ import annotations

import pytest
from test_playground_browser import (
    TEXT,
    UI_TIMEOUT,
    button,
    expect,
    metric_value,
    shown,
    wait_until,
)

pytestmark = pytest.mark.browser

LOAD_TIMEOUT = 90_000

# The confusion matrix's cell counts as Plotly holds them (the heatmap's text),
# from the visible chart whose title is the confusion matrix's; null until drawn.
CONFUSION_JS = """(title) => {
  const visible = (e) => { const r = e.getBoundingClientRect(); return r.width * r.height > 0; };
  // Streamlit wraps chart titles in <b>: match the text inside.
  const gd = [...document.querySelectorAll('.js-plotly-plot')].find((g) => visible(g)
    && g.layout && g.layout.title && String(g.layout.title.text).includes(title));
  if (!gd || !gd.data || !gd.data.length) return null;
  return Array.from(gd.data[0].text, (row) => Array.from(row, Number));
}"""


def read_epoch(page) -> int:
    return int(metric_value(page, TEXT["metric.epoch"]).inner_text().split()[0].replace(",", ""))


def test_preset_train_and_see_the_confusion_matrix(page, app_url):
    page.goto(f"{app_url}/images")
    expect(page.get_by_text(TEXT["img.title"], exact=True)).to_be_visible(timeout=LOAD_TIMEOUT)
    expect(metric_value(page, TEXT["metric.epoch"])).to_have_text("0", timeout=LOAD_TIMEOUT)

    # Load the small CNN for 8×8 digits from the presets.
    preset = shown(page, "stSelectbox").filter(
        has=page.get_by_test_id("stWidgetLabel").get_by_text(TEXT["img.field.preset"], exact=True))
    preset.get_by_role("combobox").click()
    page.get_by_role("option", name=TEXT["img.preset.digits_cnn"], exact=True).click()
    button(page, TEXT["img.button.load_preset"]).click()
    # Its first layer is a convolution: the editor shows Conv2D in layer 1.
    first = shown(page, "stSelectbox").filter(
        has=page.get_by_test_id("stWidgetLabel").get_by_text(
            TEXT["img.field.layer"].format(i=1), exact=True))
    expect(first.get_by_role("combobox")).to_have_value(TEXT["img.kind.conv"],
                                                         timeout=UI_TIMEOUT)
    expect(metric_value(page, TEXT["metric.epoch"])).to_have_text("0", timeout=UI_TIMEOUT)

    # Step trains one epoch and pauses: twice.
    for epoch in (1, 2):
        expect(button(page, TEXT["button.step"])).to_be_enabled(timeout=UI_TIMEOUT)
        button(page, TEXT["button.step"]).click()
        wait_until(page, lambda e=epoch: read_epoch(page) >= e, 60, f"epoch {epoch}")
    expect(metric_value(page, TEXT["metric.epoch"])).to_have_text("2", timeout=UI_TIMEOUT)

    # The evaluation tab: a confusion matrix whose cells count every test image.
    title = TEXT["img.chart.confusion"]
    cells = None

    def drawn() -> bool:
        nonlocal cells
        cells = page.evaluate(CONFUSION_JS, title)
        return bool(cells)

    wait_until(page, drawn, 60, "the confusion matrix")
    counts = [int(c) for row in cells for c in row]
    assert len(cells) == 10 and all(len(row) == 10 for row in cells)
    sizes = page.get_by_text("test images.", exact=False).first.inner_text()
    n_test = int(sizes.split(" and ")[1].split()[0].replace(",", ""))
    assert sum(counts) == n_test
    # The diagonal holds the right answers: the accuracy the page states.
    stated = page.get_by_text("On the test images after epoch", exact=False).first.inner_text()
    accuracy = float(stated.rsplit(" ", 1)[1].rstrip(".%")) / 100
    assert sum(cells[i][i] for i in range(10)) / n_test == pytest.approx(accuracy, abs=6e-4)
    expect(shown(page, "stDataFrame").filter(has_text=TEXT["img.report.precision"])).to_have_count(
        1)

    # The other tabs draw without error.
    for tab in ("img.tab.mistakes", "img.tab.first_layer", "img.tab.feature_maps"):
        page.get_by_role("tab", name=TEXT[tab]).click()
        page.wait_for_timeout(500)
    expect(page.get_by_test_id("stException")).to_have_count(0)
