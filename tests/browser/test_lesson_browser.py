"""End-to-end: a lesson's "Open the setup" lands on the experiment's page
(the learning-rate lesson: its three rates side by side) with the lesson's
"what to try" and "what to notice" beside it, a link that carries it, and a
way back to the lesson."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
TEXT = json.loads((ROOT / "assets" / "i18n" / "en.json").read_text(encoding="utf-8"))
LOAD_TIMEOUT = 90_000  # ms; the first session waits for torch to import


def expect(*args, **kwargs):
    from playwright.sync_api import expect as _expect

    return _expect(*args, **kwargs)


def first_line(key: str) -> str:
    """The start of a lesson text as the page shows it (Markdown bold markers gone)."""
    return TEXT[key].split("\n")[0].replace("**", "")[:30]


def test_a_lessons_text_is_beside_the_setup_it_opened(page, app_url):
    lesson = "learning_rate"
    page.goto(f"{app_url}/lessons?lesson={lesson}")
    title = TEXT[f"lesson.{lesson}.title"]
    expect(page.get_by_role("heading", name=title)).to_be_visible(timeout=LOAD_TIMEOUT)
    page.get_by_role("button", name=re.compile(TEXT["lesson.open"])).click()

    # The 2D page, its three learning rates side by side, with the lesson beside it.
    compare = page.get_by_role("radio", name=TEXT["cmp.mode.compare"])
    expect(compare).to_be_checked(timeout=LOAD_TIMEOUT)
    expect(page.get_by_test_id("stPlotlyChart").first).to_be_visible(timeout=LOAD_TIMEOUT)
    expect(page).to_have_url(re.compile(rf"lesson={lesson}"))
    expect(page).to_have_url(re.compile(r"dataset=plane"))
    expect(page).to_have_url(re.compile(r"mode=compare"))
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_text(first_line(f"lesson.{lesson}.try"))).to_be_visible()
    expect(sidebar.get_by_text(first_line(f"lesson.{lesson}.notice"))).to_be_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "lesson_beside_setup.png"))

    # A reload (a shared link) shows it again.
    page.reload()
    expect(compare).to_be_checked(timeout=LOAD_TIMEOUT)
    expect(sidebar.get_by_text(first_line(f"lesson.{lesson}.try"))).to_be_visible()

    # And the way back.
    sidebar.get_by_role("link", name=TEXT["lesson.back"]).click()
    expect(page.get_by_role("heading", name=title)).to_be_visible()
    expect(page).to_have_url(re.compile(rf"/lessons\?lesson={lesson}"))
    expect(page.get_by_test_id("stException")).to_have_count(0)
