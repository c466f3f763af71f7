"""End-to-end: a shared link reproduces a run. Two fresh browser sessions
open the same link, see the same settings, train the same five epochs with
Step, and show the same losses, digit for digit. And a link that asks for
what a page can't do says so: one note for a 20 kB query of unknown keys,
which leave the address bar; a note for an unreadable image stack, whose
default model stays; Streamlit's own "page not found" for an unknown page;
the page itself, with a note, for an address deeper than a page."""

from __future__ import annotations

import pytest
from test_playground_browser import (
    LOAD_TIMEOUT,
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


def link_notes(page):
    """The page's notes about its link: alerts that name the link."""
    return shown(page, "stAlertContentWarning")


def test_a_long_link_of_unknown_keys_gets_one_note_and_a_clean_address(page, app_url):
    unknown = "&".join(f"key{i:04d}=value{i:05d}" for i in range(997))  # ~20 kB
    page.goto(f"{app_url}/?layers=3&{unknown}&seed=7")
    notes = link_notes(page)
    expect(notes).to_have_count(1, timeout=LOAD_TIMEOUT)
    expect(notes.first).to_contain_text("998")
    expect(notes.first).to_contain_text("“layers” (did you mean “hidden”?)")
    expect(page).to_have_url(f"{app_url}/?seed=7", timeout=UI_TIMEOUT)
    # One rewrite of the address, not one per key (each is a history entry).
    assert page.evaluate("history.length") < 10


def test_an_unreadable_image_stack_keeps_the_default_model(page, app_url):
    page.goto(f"{app_url}/images?normalize=&layers=garbage")
    expect(page.get_by_text(TEXT["img.title"], exact=True)).to_be_visible(timeout=LOAD_TIMEOUT)
    notes = link_notes(page)
    expect(notes).to_have_count(1, timeout=LOAD_TIMEOUT)
    expect(notes.first).to_contain_text("“garbage”")
    expect(notes.first).to_contain_text("flatten,dense:64:relu")
    expect(page.get_by_role("switch", name=TEXT["img.field.normalize"])).to_be_checked()
    expect(page.get_by_test_id("stException")).to_have_count(0)


def test_an_unknown_page_says_so_and_opens_the_app(page, app_url):
    page.goto(f"{app_url}/nowhere?seed=3")
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Page not found", timeout=LOAD_TIMEOUT)
    dialog.get_by_role("button", name="Close").click()  # the way back: the app is under it
    expect(dialog).to_have_count(0)
    expect(page.get_by_text(TEXT["app.title"], exact=True)).to_be_visible()
    expect(page.get_by_test_id("stException")).to_have_count(0)


def test_an_address_deeper_than_a_page_opens_that_page_and_says_so(page, app_url):
    page.goto(f"{app_url}/images/extra/path?seed=3")
    expect(page.get_by_text(TEXT["img.title"], exact=True)).to_be_visible(timeout=LOAD_TIMEOUT)
    expect(link_notes(page).filter(has_text="/images/extra/path")).to_have_count(1)
    expect(page).to_have_url(f"{app_url}/images?seed=3", timeout=UI_TIMEOUT)
    expect(page.get_by_test_id("stException")).to_have_count(0)
