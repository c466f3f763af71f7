"""The whole app in Chinese: with `lang=zh` in the link every page speaks
Chinese only (no English text that has a translation shows), the language
switch changes it and the link remembers the choice."""

from __future__ import annotations

import pytest
from pagetools import run
from streamlit.testing.v1 import AppTest

from playground.core.i18n import table, translate

EN, ZH = table("en"), table("zh")
# English texts that the Chinese table translates (names such as "Adam" stay).
TRANSLATED = {EN[k] for k in EN if ZH.get(k) and ZH[k] != EN[k]}
PAGES = [None, "pages/images.py", "pages/tables.py", "pages/lessons.py"]
LABELLED = ("button", "selectbox", "slider", "select_slider", "number_input", "metric",
            "toggle", "checkbox", "radio", "multiselect", "expander", "download_button",
            "file_uploader", "segmented_control", "text_input")
VALUED = ("title", "header", "subheader", "caption", "markdown", "info", "warning",
          "error", "success")


def shown_texts(at: AppTest) -> list[str]:
    texts = []
    for kind in LABELLED:
        texts += [getattr(e, "label", None) or "" for e in at.get(kind)]
    for kind in VALUED:
        texts += [str(getattr(e, "value", "") or "") for e in at.get(kind)]
    return [text for text in texts if text]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p or "playground")
def test_a_page_in_chinese_shows_no_english(open_page, page):
    at = open_page(page)
    at.query_params["lang"] = "zh"
    run(at)
    texts = shown_texts(at)
    assert len(texts) > 10
    english = [text for text in texts if text in TRANSLATED]
    assert not english, english
    assert at.title[0].value in ZH.values()


def test_the_switch_changes_the_language_and_the_link_keeps_it(open_page):
    at = open_page("pages/lessons.py")
    run(at)
    assert at.title[0].value == translate("lesson.forward_pass.title", "en")
    at.selectbox(key="app.lang_choice").set_value("zh")
    run(at)
    assert at.title[0].value == translate("lesson.forward_pass.title", "zh")
    assert at.query_params["lang"] == "zh"
    # (AppTest formats a choice with the session's first language, so it can't
    # rerun a page whose options changed language: the browser test
    # test_languages_browser.py follows the switch further.)
