"""An address more than one page deep (/images/extra/path) would draw a white
page: Streamlit's page loads its scripts by relative paths, which resolve
under /images/extra/. The app's server sends such a browser to /images with
`moved=`, and the page says what happened (browser test in
tests/browser/test_link_browser.py)."""

from __future__ import annotations

import asyncio

import pytest
from test_links import boxes_for, translate

from playground.ui.deep_paths import MOVED_KEY, OnePageDeep, page_of


@pytest.mark.parametrize(("path", "base", "expected"), [
    ("/images/extra/path", "", ("/images", "extra/path")),
    ("/images/extra/", "", ("/images", "extra")),
    ("/lessons/a", "/", ("/lessons", "a")),
    ("/school/images/x/y", "/school", ("/school/images", "x/y")),
    ("/school/images/x", "school/", ("/school/images", "x")),
])
def test_a_path_deeper_than_a_page_moves_to_its_first_level(path, base, expected):
    assert page_of(path, base) == expected


@pytest.mark.parametrize(("path", "base"), [
    ("/", ""), ("/images", ""), ("/images/", ""), ("/nowhere", ""),
    ("/_stcore/health", ""), ("/_stcore/stream", ""), ("/static/js/index.js", ""),
    ("/media/abc.png", ""), ("/component/x/index.html", ""), ("/app/static/a.png", ""),
    ("/school/images", "/school"), ("/elsewhere/images/x", "/school"),
])
def test_pages_and_the_servers_own_paths_stay(path, base):
    assert page_of(path, base) is None


def call(path: str, query: bytes = b"", method: str = "GET",
         accept: bytes = b"text/html,application/xhtml+xml", kind: str = "http"):
    """Run one request through the middleware -> (status or None if passed on, headers)."""
    passed = []

    async def inner(scope, receive, send):
        passed.append(scope["path"])

    sent = []

    async def send(message):
        sent.append(message)

    scope = {"type": kind, "method": method, "path": path, "query_string": query,
             "headers": [(b"accept", accept)]}
    asyncio.run(OnePageDeep(inner, base="")(scope, None, send))
    if passed:
        return None, {}
    return sent[0]["status"], dict(sent[0]["headers"])


def test_a_browser_asking_for_a_deep_page_is_sent_to_its_page_with_the_query():
    status, headers = call("/images/extra/path", b"seed=3&seed=4&moved=old")
    assert status == 302
    assert headers[b"location"] == (b"/images?seed=3&seed=4&"
                                    + MOVED_KEY.encode() + b"=%2Fimages%2Fextra%2Fpath")


def test_a_non_ascii_deep_path_is_quoted_in_the_redirect():
    status, headers = call("/images/ü/ß")
    assert status == 302 and headers[b"location"].startswith(b"/images?moved=%2Fimages%2F%C3%BC")


@pytest.mark.parametrize("request_kwargs", [
    {"path": "/images"},  # a page
    {"path": "/images/extra/static/js/index.js", "accept": b"*/*"},  # a script, not a page
    {"path": "/images/extra/path", "method": "POST"},
    {"path": "/images/extra/path", "kind": "websocket"},
    {"path": "/_stcore/upload_file/x/y"},
])
def test_everything_else_passes_untouched(request_kwargs):
    assert call(**request_kwargs) == (None, {})


def test_the_page_says_which_address_did_not_exist_and_drops_it_from_the_link(open_page):
    at, boxes = boxes_for(open_page, "pages/images.py",
                          {MOVED_KEY: "/images/extra/path", "seed": "3"})
    assert boxes == [translate("note.moved", value="/images/extra/path")]
    assert MOVED_KEY not in at.query_params
    assert at.session_state["img.spec"].seed == 3
    assert not at.exception


def test_a_repeated_key_leaves_the_address_with_its_last_value(open_page):
    """page.accept rewrites the address once, so a key given twice keeps one
    value there (the one the page used); the app's keys stay."""
    at, _ = boxes_for(open_page, None, {"seed": ["3", "4"], "lang": "en"})
    assert at.session_state["spec"].seed == 4
    assert at.query_params["seed"] == "4" and at.query_params["lang"] == "en"
