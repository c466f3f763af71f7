"""End-to-end: three replicas behind nginx (deploy/replicas.py), sticky sessions.

Three browser sessions (separate contexts, so separate cookies) open "Your
data" through the proxy, each upload a CSV, train, pause and download the
settings and the history. The first session gets its route cookie from nginx
as any browser does; the other two get cookies nginx handed to plain HTTP
probes, picked so that the three sessions land on three replicas. nginx's
access log then shows that every request of a session (the page, the
websocket, the upload, the downloads) reached that session's replica.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pandas as pd
import pytest
from test_playground_browser import TEXT, UI_TIMEOUT, button, expect, metric_value
from test_tables_browser import LOAD_TIMEOUT, make_csv, uploader

from playground.dense.table_spec import TableExperiment

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"  # as in conftest.py
VIEWPORT = {"width": 1440, "height": 1000}
REPLICAS = 3
SESSIONS = 3


def _load_launcher():
    # deploy/ is a folder of scripts, not a package: load the launcher by path.
    spec = importlib.util.spec_from_file_location("replicas", ROOT / "deploy" / "replicas.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


replicas = _load_launcher()


@pytest.fixture(scope="module")
def nginx() -> str:
    path = replicas.find_nginx()
    if path is None:
        reason = "nginx not found; install it with `apt-get install nginx`"
        if os.environ.get("CI") == "true":
            pytest.fail(f"the proxy test cannot run in CI: {reason}", pytrace=False)
        pytest.skip(reason)
    return path


@pytest.fixture(scope="module")
def proxy(nginx, chromium_path, sync_playwright_cls):
    with replicas.deployment(REPLICAS, nginx=nginx) as dep:
        try:
            yield dep
        finally:
            # The logs outlive the run: nginx's access log tells who served what.
            logs = ARTIFACTS / "proxy"
            shutil.rmtree(logs, ignore_errors=True)
            shutil.copytree(dep.run_dir, logs, ignore=shutil.ignore_patterns(
                "proxy", "client_body", "fastcgi", "uwsgi", "scgi"))  # nginx's temp folders


def test_printed_config_is_valid_nginx(nginx, tmp_path, capsys):
    """What `replicas.py --print-config` prints (for replicas run elsewhere,
    e.g. Docker containers) passes `nginx -t`."""
    assert replicas.main(["--print-config", "--port", "8080", "--run-dir", str(tmp_path),
                          "--upstream", "127.0.0.1:8501", "127.0.0.1:8502"]) == 0
    conf = tmp_path / "nginx.conf"
    conf.write_text(capsys.readouterr().out)
    assert "server 127.0.0.1:8502;" in conf.read_text()
    check = subprocess.run([nginx, "-t", "-p", str(tmp_path), "-c", str(conf),
                            "-e", str(tmp_path / "error.log")], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr


def probe_routes(url: str, tries: int = 40) -> dict[str, str]:
    """Replica address -> a route cookie nginx gave a cookie-less request for it."""
    routes: dict[str, str] = {}
    for _ in range(tries):
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=10) as response:
            cookies = dict(c.split(";")[0].split("=", 1)
                           for c in response.headers.get_all("Set-Cookie") or [])
            upstream = response.headers[replicas.UPSTREAM_HEADER]
        assert replicas.ROUTE_COOKIE in cookies, cookies
        routes.setdefault(upstream, cookies[replicas.ROUTE_COOKIE])
        if len(routes) == REPLICAS:
            break
    return routes


def served_by(log: Path) -> dict[str, list[tuple[str, str, str]]]:
    """Route -> (request line, status, upstream) of every request nginx logged."""
    line = re.compile(r'"(?P<request>[^"]*)" (?P<status>\d+) route=(?P<route>\S+) '
                      r'upstream=(?P<upstream>\S+)')
    seen: dict[str, list[tuple[str, str, str]]] = {}
    for match in line.finditer(log.read_text()):
        seen.setdefault(match["route"], []).append(
            (match["request"], match["status"], match["upstream"]))
    return seen


def download(page, label: str, path: Path) -> tuple[Path, str]:
    """Click a download button; the saved file and the path it came from."""
    with page.expect_download() as info:
        page.get_by_role("button", name=label).click()
    info.value.save_as(path)
    return path, urllib.parse.urlsplit(info.value.url).path


def test_sessions_spread_over_replicas_and_stick(browser, proxy, tmp_path):
    start = time.monotonic()
    routes = probe_routes(proxy.url)
    assert len(routes) == REPLICAS, f"nginx sent 40 new browsers to only {sorted(routes)}"

    csv = tmp_path / "ring.csv"
    make_csv(csv)
    sessions = []  # (context, page, replica, route)
    downloads: dict[int, list[str]] = {}  # session -> the paths its downloads came from
    try:
        for i in range(SESSIONS):
            context = browser.new_context(viewport=VIEWPORT)
            context.set_default_timeout(30_000)
            if i > 0:  # a replica no session is on yet
                replica = next(r for r in routes if r not in {s[2] for s in sessions})
                context.add_cookies([{"name": replicas.ROUTE_COOKIE, "value": routes[replica],
                                      "url": proxy.url}])
            page = context.new_page()
            response = page.goto(f"{proxy.url}/tables")
            replica = response.headers[replicas.UPSTREAM_HEADER.lower()]
            route = next(c["value"] for c in context.cookies()
                         if c["name"] == replicas.ROUTE_COOKIE)
            if i == 0:  # a fresh browser: nginx picked a route and set the cookie
                assert route not in routes.values()
            else:  # the cookie decides the replica
                assert routes.get(replica) == route, (replica, route, routes)
            sessions.append((context, page, replica, route))
        assert len({s[2] for s in sessions}) == SESSIONS, "sessions share a replica"

        # Each step on every page before the next step: the sessions run side by side.
        for _, page, _, _ in sessions:
            expect(page.get_by_text(TEXT["tbl.title"], exact=True)).to_be_visible(
                timeout=LOAD_TIMEOUT)
        summary = TEXT["tbl.sizes"].format(train="210", test="90", inputs=2)
        boundary = TEXT["chart.boundary_title.binary"]
        for _, page, _, _ in sessions:
            uploader(page, TEXT["tbl.upload"]).set_input_files(str(csv))
        for _, page, _, _ in sessions:
            expect(page.get_by_text(summary)).to_be_visible(timeout=LOAD_TIMEOUT)
            expect(page.locator(".js-plotly-plot .gtitle").filter(has_text=boundary).first
                   ).to_be_visible(timeout=UI_TIMEOUT)  # the rerun after the upload is done
            button(page, TEXT["button.play"]).click()
        for _, page, _, _ in sessions:
            # The one a student looks at: a page the browser reports hidden pauses its run.
            page.bring_to_front()
            # expect() retries while a redraw briefly replaces the metric.
            expect(metric_value(page, TEXT["metric.epoch"])).to_have_text(
                re.compile(r"^[1-9][\d,]*$"), timeout=60_000)  # an epoch above 0
            button(page, TEXT["button.pause"]).click()
        for i, (_, page, _, _) in enumerate(sessions):
            expect(button(page, TEXT["button.play"])).to_be_visible(timeout=UI_TIMEOUT)
            settings, url = download(page, TEXT["exp.settings"], tmp_path / f"settings-{i}.json")
            downloads[i] = [url]
            spec, notes = TableExperiment.from_json(settings.read_text())
            assert not notes and spec.source == "ring.csv" and spec.target == "ring"
            assert json.loads(settings.read_text())["kind"] == "table"
            history, url = download(page, TEXT["exp.history"], tmp_path / f"history-{i}.csv")
            downloads[i].append(url)
            assert len(pd.read_csv(io.StringIO(history.read_text()))) > 0
            expect(page.get_by_test_id("stException")).to_have_count(0)
    finally:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        for i, (context, page, _, _) in enumerate(sessions):
            with contextlib.suppress(Exception):
                page.screenshot(path=str(ARTIFACTS / f"proxy-session-{i}.png"), full_page=True)
            context.close()  # closes the websockets: nginx logs them now

    # Every request of a session, the websocket included, reached its replica.
    deadline = time.monotonic() + 10
    while True:
        log = served_by(proxy.run_dir / "access.log")
        streams = [r for r in (s[3] for s in sessions)
                   if any(req.startswith("GET /_stcore/stream") for req, _, _ in log.get(r, []))]
        if len(streams) == SESSIONS or time.monotonic() > deadline:
            break
        time.sleep(0.25)
    for i, (_, _, replica, route) in enumerate(sessions):
        requests = log[route]
        assert {upstream for _, _, upstream in requests} == {replica}, requests
        lines = [f"{req} {status}" for req, status, _ in requests]
        wanted = [r"GET /_stcore/stream\S* HTTP/1.1 101",  # the websocket
                  r"PUT /_stcore/upload_file/\S+ HTTP/1.1 2\d\d"]  # the CSV, past the XSRF check
        wanted += [f"GET {re.escape(url)} HTTP/1.1 200" for url in downloads[i]]
        for pattern in wanted:
            assert any(re.match(pattern, line) for line in lines), (pattern, lines)
    print(f"proxy test: {SESSIONS} sessions on {REPLICAS} replicas in "
          f"{time.monotonic() - start:.0f} s")
