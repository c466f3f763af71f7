"""Fixtures for the browser tests: a real `streamlit run app.py` and a
headless Chromium driven by Playwright.

Chromium comes from the system (Debian's `chromium` package), not from
Playwright's own download. Without Chromium or Playwright the tests are
skipped locally and fail under CI (CI=true), so a CI machine that lost its
browser cannot pass by running nothing.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
SERVER_START_TIMEOUT = 60.0
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1440, "height": 1000}
EXPECT_TIMEOUT = 30_000  # ms, for expect(...) without a timeout of its own


def _unavailable(reason: str) -> None:
    """Fail under CI, skip elsewhere."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"browser tests cannot run in CI: {reason}", pytrace=False)
    pytest.skip(reason)


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.status == 200 and response.read().decode().strip() == "ok"
    except (urllib.error.URLError, OSError, ValueError):
        return False


def _stop(proc: subprocess.Popen) -> None:
    """Stop the server and everything it started (the training processes)."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
    # The fork server and its trainers share the server's process group.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=10)


@contextlib.contextmanager
def streamlit_server(log_path: Path):
    """Run `streamlit run app.py` on a free loopback port; yield its base URL."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    cmd = [
        sys.executable, "-m", "streamlit", "run", "app.py",
        "--server.port", str(port), "--server.address", "127.0.0.1",
        "--server.headless", "true", "--browser.gatherUsageStats", "false",
    ]
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,  # own process group, so _stop reaches the children
        )
        try:
            deadline = time.monotonic() + SERVER_START_TIMEOUT
            while not _healthy(url):
                if proc.poll() is not None:
                    raise RuntimeError(
                        f"streamlit exited with code {proc.returncode}; see {log_path}:\n"
                        + log_path.read_text(errors="replace")[-3000:]
                    )
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"streamlit did not answer {url}/_stcore/health within "
                        f"{SERVER_START_TIMEOUT:.0f} s; see {log_path}"
                    )
                time.sleep(0.25)
            yield url
        finally:
            _stop(proc)


@pytest.fixture(scope="session")
def sync_playwright_cls():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        _unavailable(f"playwright is not installed ({exc}); pip install -e '.[test]'")
    return sync_playwright


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = find_chromium()
    if path is None:
        _unavailable("Chromium not found on PATH; install it with `apt-get install chromium`")
    return path


@pytest.fixture(scope="session")
def app_url(chromium_path, sync_playwright_cls):
    """Base URL of a running app (started once per test session).

    Depends on the browser fixtures so a missing browser skips before the
    server is started for nothing.
    """
    with streamlit_server(ARTIFACTS / "streamlit.log") as url:
        yield url


@pytest.fixture(scope="session")
def browser(sync_playwright_cls, chromium_path):
    from playwright.sync_api import expect

    expect.set_options(timeout=EXPECT_TIMEOUT)  # a rerun can be slow on two cores
    with sync_playwright_cls() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, request):
    """A fresh browser context (so a fresh Streamlit session) per test; a
    screenshot of the final state lands in tests/browser/artifacts/."""
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(30_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    with contextlib.suppress(Exception):
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    if errors:
        (ARTIFACTS / f"{name}.pageerrors.txt").write_text("\n".join(errors))
    context.close()
