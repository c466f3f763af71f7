"""End-to-end: eight runs side by side in a real browser. Redraws keep
coming while they train, and every run's boundary (a small PNG in the tiles
chart) changes over time; a sweep draws its scores against the setting."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
TEXT = json.loads((ROOT / "assets" / "i18n" / "en.json").read_text(encoding="utf-8"))
LOAD_TIMEOUT = 90_000  # ms; the first session waits for torch to import
EIGHT = "lr:0.003|lr:0.01|lr:0.03|lr:0.1|seed:2|seed:3|hidden:4-tanh|optimizer:sgd"
WATCH_SECONDS = 12.0


def expect(*args, **kwargs):
    from playwright.sync_api import expect as _expect

    return _expect(*args, **kwargs)


def tile_sources(page) -> list[str]:
    """The image data of every small multiple, in order (none until drawn)."""
    return page.evaluate("""() => {
        for (const chart of document.querySelectorAll('[data-testid="stPlotlyChart"]')) {
            const images = chart.querySelectorAll('svg image');
            if (images.length >= 2) {
                return Array.from(images, im => im.getAttribute('href')
                                               || im.getAttribute('xlink:href') || '');
            }
        }
        return [];
    }""")


def play(page) -> None:
    page.locator('[data-testid="stButton"]:visible').get_by_role("button").filter(
        has=page.get_by_text(TEXT["button.play"], exact=True)).click()


def test_eight_runs_redraw_and_every_boundary_updates(page, app_url):
    page.goto(f"{app_url}/?mode=compare&runs={EIGHT}")
    page.wait_for_function("() => document.querySelectorAll("
                           "'[data-testid=\"stPlotlyChart\"] svg image').length >= 8",
                           timeout=LOAD_TIMEOUT)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    first = tile_sources(page)
    assert len(first) == 8 and all(s.startswith("data:image/png") for s in first)
    play(page)
    seen = [first]
    changes, start = 0, time.monotonic()
    while time.monotonic() - start < WATCH_SECONDS:
        time.sleep(0.5)
        now = tile_sources(page)
        if len(now) == 8 and now != seen[-1]:
            changes += 1
            seen.append(now)
    # A redraw twice a second, a new set of grids at most twice a second: on a
    # loaded two-core machine a good part of them still arrives.
    assert changes >= 5, changes
    for i in range(8):  # every run's boundary changed while it trained
        assert len({sources[i] for sources in seen}) >= 3, i
    expect(page.get_by_test_id("stException")).to_have_count(0)
    legend = " ".join(page.locator('[data-testid="stPlotlyChart"] .legendtext')
                      .all_text_contents())
    assert "lr 0.003" in legend and "optimizer sgd" in legend


def test_a_sweep_draws_its_scores_against_the_setting(page, app_url):
    page.goto(f"{app_url}/?mode=sweep&sweep=optimizer")
    expect(page.get_by_text(TEXT["cmp.chart.sweep_loss"].format(
        setting=TEXT["cmp.sweep.name.optimizer"]))).to_be_visible(timeout=LOAD_TIMEOUT)
    play(page)
    time.sleep(4)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    ticks = page.locator('[data-testid="stPlotlyChart"] .xtick').all_text_contents()
    assert {"sgd", "adam", "rmsprop"} <= set(ticks)
    expect(page.get_by_test_id("stDataFrame").first).to_be_visible()
    # Every run's history, with its run number and name, made when clicked.
    with page.expect_download(timeout=30_000) as download:
        page.locator('[data-testid="stDownloadButton"]:visible').filter(
            has=page.get_by_text(TEXT["cmp.dl.history"], exact=True)).get_by_role(
            "button").click()
    lines = Path(download.value.path()).read_text().splitlines()
    assert lines[0].startswith("run,name,epoch,")
    assert {line.split(",")[1] for line in lines[1:]} == {
        f"optimizer {name}" for name in ("sgd", "adam", "adamw", "rmsprop", "adagrad")}
