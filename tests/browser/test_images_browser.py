"""End-to-end: the image page in a real browser.

Open the Images page, load a classic model from the presets, train two
epochs with Step, and see the confusion matrix drawn with every test image
counted and the stated accuracy on its diagonal, the per-class scores table,
and the other tabs drawn without error. The course's CNN trains an epoch on
the offline MNIST sample; a link that cannot work opens on one that can; the
names of the presets and layers fit the sidebar. (Every course model's epoch
on the sample is tested in tests/unit/images/test_image_fit.py: four browser
runs would cost CI minutes for what the trainer test already shows.)
"""

from __future__ import annotations

import json

import pytest
from test_playground_browser import (
    ROOT,
    TEXT,
    UI_TIMEOUT,
    button,
    expect,
    metric_value,
    shown,
    wait_until,
)

from playground.core import catalog
from playground.images.layers import LAYER_KINDS
from playground.images.presets import PRESETS

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


def select(page, label: str):
    """The visible select box labelled `label`."""
    return shown(page, "stSelectbox").filter(
        has=page.get_by_test_id("stWidgetLabel").get_by_text(label, exact=True))


def load_preset(page, name: str) -> None:
    select(page, TEXT["img.field.preset"]).get_by_role("combobox").click()
    page.get_by_role("option", name=TEXT[f"img.preset.{name}"], exact=True).click()
    button(page, TEXT["img.button.load_preset"]).click()


@pytest.mark.parametrize("preset", ["mlp512", "mlp64x2", "mlp128", "cnn"])
def test_every_course_model_trains_an_epoch_on_the_offline_mnist_sample(page, app_url, preset):
    page.goto(f"{app_url}/images")
    expect(metric_value(page, TEXT["metric.epoch"])).to_have_text("0", timeout=LOAD_TIMEOUT)
    load_preset(page, preset)
    # Made for 28×28 images: the 8×8 digits give way to the sample, and the page says so.
    expect(shown(page, "stAlert").filter(has_text=TEXT["note.preset_needs_sample"])).to_have_count(
        1, timeout=UI_TIMEOUT)
    expect(select(page, TEXT["img.field.dataset"]).get_by_role("combobox")).to_have_value(
        TEXT["img.dataset.mnist_sample"], timeout=UI_TIMEOUT)
    expect(button(page, TEXT["button.step"])).to_be_enabled(timeout=UI_TIMEOUT)
    button(page, TEXT["button.step"]).click()
    wait_until(page, lambda: read_epoch(page) >= 1, 120, f"{preset}'s first epoch")
    stated = page.get_by_text("On the test images after epoch", exact=False).first
    expect(stated).to_be_visible(timeout=UI_TIMEOUT)
    accuracy = float(stated.inner_text().rsplit(" ", 1)[1].rstrip(".%")) / 100
    assert accuracy > 0.6  # one epoch on 3,500 real digits; chance is 0.1
    expect(page.get_by_test_id("stException")).to_have_count(0)


def test_a_link_with_a_stack_that_cannot_work_opens_explained(page, app_url):
    page.goto(f"{app_url}/images?layers=conv:32:11:1:valid:relu&dataset=digits")
    expect(metric_value(page, TEXT["metric.epoch"])).to_have_text("0", timeout=LOAD_TIMEOUT)
    text = TEXT["note.link_layer_too_big"].format(value="conv:32:11:1:valid:relu", fixed="8×8")
    expect(shown(page, "stAlert").filter(has_text=text)).to_have_count(1)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(shown(page, "stAlert").filter(has_text=TEXT["status.error"])).to_have_count(0)
    button(page, TEXT["button.step"]).click()  # what is left trains
    wait_until(page, lambda: read_epoch(page) >= 1, 60, "an epoch")


# The sidebar's open drop-down: the options whose text is cut off (wider than their box).
CUT_OPTIONS_JS = """() => [...document.querySelectorAll('[role="option"] *')]
  .filter((e) => e.childElementCount === 0 && e.getBoundingClientRect().width > 0
          && e.scrollWidth > e.clientWidth + 1)
  .map((e) => e.textContent.trim())"""
# A select box's own input: which of `texts` would be cut off when shown in it.
# Only measures: the value is put back, and no event tells the page.
CUT_VALUES_JS = """(input, texts) => {
  const kept = input.value;
  const cut = texts.filter((text) => { input.value = text;
                                       return input.scrollWidth > input.clientWidth + 1; });
  input.value = kept;
  return cut;
}"""


def names_cut_off(page, label: str, texts: list[str]) -> list[str]:
    """The names the select box labelled `label` cuts off, as options or as its value."""
    combo = select(page, label).get_by_role("combobox").first
    for _ in range(5):  # a click while another list is closing may not open this one
        combo.click()
        if page.get_by_role("option").first.is_visible():
            break
        page.wait_for_timeout(1000)
    expect(page.get_by_role("option").first).to_be_visible(timeout=UI_TIMEOUT)
    cut = page.evaluate(CUT_OPTIONS_JS)
    page.keyboard.press("Escape")
    return cut + combo.evaluate(CUT_VALUES_JS, texts)


# The sidebar is as wide at 1920 as at 1280: Chinese once is enough.
@pytest.mark.parametrize("width,height,lang", [(1280, 720, "en"), (1920, 1080, "en"),
                                               (1280, 720, "zh")])
def test_preset_and_layer_names_fit_the_sidebar(page, app_url, width, height, lang):
    text = TEXT if lang == "en" else json.loads(
        (ROOT / "assets" / "i18n" / "zh.json").read_text(encoding="utf-8"))
    page.set_viewport_size({"width": width, "height": height})
    page.goto(f"{app_url}/images?lang={lang}")
    expect(metric_value(page, text["metric.epoch"])).to_have_text("0", timeout=LOAD_TIMEOUT)
    presets = [text[f"img.preset.{name}"] for name in PRESETS]
    kinds = [text[f"img.kind.{kind}"] for kind in LAYER_KINDS]
    assert names_cut_off(page, text["img.field.preset"], presets) == []
    assert names_cut_off(page, text["img.field.add_kind"], kinds) == []
    assert names_cut_off(page, text["img.field.layer"].format(i=1), kinds) == []
    activations = [text[f"activation.{name}"] for name in catalog.ACTIVATIONS]
    assert names_cut_off(page, text["img.param.activation"], activations) == []
