"""A classroom on one server: N browser sessions train on the 2D page at once.

Starts `streamlit run app.py`, opens N Chromium sessions (one browser,
separate contexts, so separate Streamlit sessions), presses Play in each and
watches them for a while. Prints, for each N:

- first chart: the slowest page's time from opening to its first chart;
- epochs/s per session (min, median), from the Epoch metric each page shows;
- redraws/s per page (min, median): how often that metric changed on screen;
- server CPU per session: the server process alone, and with its children
  (the fork server and the training processes), from /proc;
- PSS per session: (server and children's PSS - PSS with no session open) / N,
  measured after one session started the fork server;
- pages that stalled (no new epoch on screen in the window) or show an error,
  and the texts of the messages that stalled pages show (admission, waits).

The browsers run on the same machine, so they compete with the server for
the same cores: numbers here are a floor for a real classroom.

    python tests/bench/bench_load.py                 # N = 1, 4, 8, 16, 24
    python tests/bench/bench_load.py --sessions 1 4  # other N
    python tests/bench/bench_load.py --window 20     # seconds watched per N
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "browser"))

from conftest import CHROMIUM_ARGS, find_chromium, streamlit_server  # noqa: E402

CLOCK = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
START_TIMEOUT = 180.0  # seconds a page may take to show its first chart

# Counts changes of the Epoch metric's text in the page itself, so a reading
# costs one evaluate() per page instead of polling every page from Python.
WATCH_EPOCH = """() => {
  const label = [...document.querySelectorAll('[data-testid="stMetricLabel"]')]
      .find(el => el.innerText.trim() === 'Epoch');
  if (!label) return false;
  const value = label.closest('[data-testid="stMetric"]')
      .querySelector('[data-testid="stMetricValue"]');
  window.__load = {changes: 0, epoch: value.innerText};
  new MutationObserver(() => {
    if (value.innerText !== window.__load.epoch) {
      window.__load.changes += 1;
      window.__load.epoch = value.innerText;
    }
  }).observe(value, {subtree: true, childList: true, characterData: true});
  return true;
}"""
READ_EPOCH = """() => window.__load ? [window.__load.changes,
    parseInt(window.__load.epoch.replace(/,/g, ''), 10)] : null"""


# ---- the server's processes -------------------------------------------------------
def descendants(pid: int) -> list[int]:
    """pid and every process below it, from /proc/*/stat's parent ids."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                ppid = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            parents.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(parents.get(p, []))
    return out


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process, in seconds (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK


def pss_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def server_pid(url: str) -> int:
    """The streamlit process listening on the URL's port."""
    port = int(url.rsplit(":", 1)[1])
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        parts = line.split()
        if int(parts[1].split(":")[1], 16) == port and parts[3] == "0A":  # LISTEN
            inodes.add(parts[9])
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            for fd in os.listdir(f"/proc/{entry}/fd"):
                link = os.readlink(f"/proc/{entry}/fd/{fd}")
                if link.startswith("socket:[") and link[8:-1] in inodes:
                    return int(entry)
        except OSError:
            continue
    raise RuntimeError(f"no process listens on port {port}")


# ---- one classroom ----------------------------------------------------------------
def open_sessions(browser, url: str, n: int) -> tuple[list, list[float]]:
    """N fresh sessions on the 2D page, each with Play pressed; the time each
    took to show its first chart (inf if it never did)."""
    pages, starts = [], []
    for _ in range(n):  # open them all first: a class arrives at once
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        starts.append(time.monotonic())
        page.goto(url, wait_until="commit")
        pages.append(page)
    firsts = []
    for page, start in zip(pages, starts):
        try:
            page.locator(".js-plotly-plot").first.wait_for(
                timeout=max(1.0, START_TIMEOUT - (time.monotonic() - start)) * 1000)
            firsts.append(time.monotonic() - start)
        except Exception:  # noqa: BLE001 - a page that never drew counts as stalled
            firsts.append(float("inf"))
    for page in pages:
        try:
            page.get_by_role("button", name="Play").first.click(timeout=30_000)
        except Exception:  # noqa: BLE001 - admission may hold Play back: measured below
            pass
    return pages, firsts


def page_messages(page) -> list[str]:
    texts = []
    for test_id in ("stAlert", "stException"):
        for el in page.get_by_test_id(test_id).all():
            try:
                texts.append(el.inner_text(timeout=2000).strip().replace("\n", " ")[:120])
            except Exception:  # noqa: BLE001
                continue
    return texts


def measure(browser, url: str, n: int, window: float, baseline_pss: float) -> dict:
    pid = server_pid(url)
    pages, firsts = open_sessions(browser, url, n)
    time.sleep(3)  # let Play take effect everywhere
    for page in pages:
        page.evaluate(WATCH_EPOCH)
    before = [page.evaluate(READ_EPOCH) for page in pages]
    tree = descendants(pid)
    cpu0 = {p: cpu_seconds(p) for p in tree}
    t0 = time.monotonic()
    time.sleep(window)
    elapsed = time.monotonic() - t0
    after = [page.evaluate(READ_EPOCH) for page in pages]
    tree1 = descendants(pid)
    cpu1 = {p: cpu_seconds(p) for p in tree1}
    server_cpu = (cpu1.get(pid, 0) - cpu0.get(pid, 0)) / elapsed
    all_cpu = sum(cpu1[p] - cpu0.get(p, 0.0) for p in tree1) / elapsed
    epochs, redraws, stalled, errors, messages = [], [], 0, 0, set()
    for page, b, a in zip(pages, before, after):
        if b is None or a is None:
            epochs.append(0.0)
            redraws.append(0.0)
        else:
            epochs.append((a[1] - b[1]) / elapsed)
            redraws.append((a[0] - b[0]) / elapsed)
        texts = page_messages(page)
        errors += page.get_by_test_id("stException").count() > 0
        if epochs[-1] <= 0:
            stalled += 1
            messages.update(texts)
    pss = pss_mb(tree1)
    for page in pages:
        page.context.close()
    time.sleep(2)  # sessions end: their training processes stop
    return {
        "n": n, "first": max(firsts), "ep_min": min(epochs), "ep_med": statistics.median(epochs),
        "rd_min": min(redraws), "rd_med": statistics.median(redraws),
        "server_cpu": server_cpu / n, "all_cpu": all_cpu / n,
        "pss": (pss - baseline_pss) / n, "stalled": stalled, "errors": errors,
        "messages": sorted(messages),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, nargs="+", default=[1, 4, 8, 16, 24])
    parser.add_argument("--window", type=float, default=20.0, help="seconds watched per N")
    args = parser.parse_args()
    chromium = find_chromium()
    if chromium is None:
        sys.exit("Chromium not found: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    print(f"bench_load: {os.cpu_count()} cores, window {args.window:g} s per N, "
          "browsers on the same machine")
    log = ROOT / "tests" / "browser" / "artifacts" / "bench_load.log"
    rows = []
    with streamlit_server(log) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        # One session first: the fork server (torch imported once, shared by every
        # training process) is a fixed cost, not a per-session one.
        open_sessions(browser, url, 1)[0][0].context.close()
        time.sleep(3)
        baseline = pss_mb(descendants(server_pid(url)))
        for n in args.sessions:
            rows.append(measure(browser, url, n, args.window, baseline))
            r = rows[-1]
            print(f"  N={n:>2}: first chart {r['first']:.1f} s, epochs/s min {r['ep_min']:.1f} "
                  f"median {r['ep_med']:.1f}, stalled {r['stalled']}", flush=True)
        browser.close()
    print()
    header = ("sessions", "first chart s", "epochs/s min", "median", "redraws/s min", "median",
              "server CPU %", "with trainers %", "PSS MB", "stalled", "errors")
    print("  " + "  ".join(header))
    for r in rows:
        cells = (f"{r['n']}", f"{r['first']:.1f}", f"{r['ep_min']:.1f}", f"{r['ep_med']:.1f}",
                 f"{r['rd_min']:.2f}", f"{r['rd_med']:.2f}", f"{100 * r['server_cpu']:.1f}",
                 f"{100 * r['all_cpu']:.1f}", f"{r['pss']:.0f}", f"{r['stalled']}",
                 f"{r['errors']}")
        print("  " + "  ".join(c.rjust(len(h)) for c, h in zip(cells, header)))
    print("  (CPU and PSS are per session; 100 % is one core. Stalled: no new epoch on screen"
          " in the window.)")
    for r in rows:
        for text in r["messages"]:
            print(f"  N={r['n']} stalled page shows: {text}")


if __name__ == "__main__":
    main()
