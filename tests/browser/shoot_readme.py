"""Regenerate the README screenshot (assets/screenshot.png) from the real app.

Run from the repository root (needs Playwright and a system Chromium):

    python tests/browser/shoot_readme.py

It starts `streamlit run app.py` on a free loopback port, opens the page in
headless Chromium at 1440x1000, picks the Spiral dataset, presses Play, lets
it train for about ten seconds and saves the window. Not a test: pytest
collects test_*.py only.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))

from conftest import CHROMIUM_ARGS, VIEWPORT, find_chromium, streamlit_server  # noqa: E402

SETTLED_JS = """() => {
  const shown = (e) => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
  const charts = [...document.querySelectorAll('[data-testid="stPlotlyChart"]')].filter(shown);
  const faded = [...document.querySelectorAll('[data-stale="true"]')].filter(shown);
  const opaque = (e) => { for (; e; e = e.parentElement) {
    if (parseFloat(getComputedStyle(e).opacity) < 1) return false; } return true; };
  return charts.length >= 3 && faded.length === 0
    && charts.every((c) => c.querySelector('.main-svg .gtitle') && opaque(c));
}"""


def shoot(out: Path, seconds: float, query: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=90_000)
    chromium = find_chromium()
    if chromium is None:
        sys.exit("Chromium not found on PATH; install it with `apt-get install chromium`")
    log = HERE / "artifacts" / "shoot_readme.streamlit.log"
    with streamlit_server(log) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport=VIEWPORT)
        page.set_default_timeout(90_000)
        page.goto(f"{url}/{query}")
        charts = page.get_by_test_id("stPlotlyChart")
        expect(charts.first.locator(".main-svg").first).to_be_visible()

        dataset = page.get_by_role("combobox", name="Dataset", exact=True)
        dataset.click()
        page.get_by_role("option", name="Spiral", exact=True).click()
        expect(dataset).to_have_value("Spiral")

        play = page.get_by_test_id("stButton").get_by_role("button").filter(
            has=page.get_by_text("Play", exact=True))
        play.click()
        pause = page.get_by_test_id("stButton").get_by_role("button").filter(
            has=page.get_by_text("Pause", exact=True))
        expect(pause).to_be_visible()
        time.sleep(seconds)

        # Streamlit redraws the live view twice a second: Plotly charts are
        # remounted and fade while a redraw is under way. Shoot between redraws,
        # when every visible chart is drawn and nothing is faded, and check that
        # it still holds after the shot. The mouse goes away from tooltips.
        page.mouse.move(VIEWPORT["width"] - 5, VIEWPORT["height"] - 5)
        out.parent.mkdir(parents=True, exist_ok=True)
        for _ in range(100):
            if page.evaluate(SETTLED_JS):
                png = page.screenshot(animations="disabled")
                if page.evaluate(SETTLED_JS):
                    break
            page.wait_for_timeout(50)
        else:
            sys.exit("the page never settled between redraws; try again")
        out.write_bytes(png)
        browser.close()
    print(f"wrote {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "assets" / "screenshot.png")
    parser.add_argument("--seconds", type=float, default=10.0, help="training time before the shot")
    parser.add_argument("--query", default="", help='link parameters, e.g. "?noise=0.1"')
    args = parser.parse_args()
    shoot(args.out.resolve(), args.seconds, args.query)


if __name__ == "__main__":
    main()
