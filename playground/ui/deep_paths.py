"""Addresses more than one page deep, such as /images/extra/path.

Streamlit serves its page for any unknown address, and that page loads its
scripts by relative paths (./static/js/...). One level deep (/images) they
resolve to the app's own files; two or more levels deep they resolve to
/images/extra/static/..., which is the page again instead of a script, so
the browser draws a white page. This ASGI middleware (for `st.App`) sends a
browser that asks for such an address to its first level instead, with the
address it asked for in `moved=`, so the page can say what happened.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, quote, urlencode

MOVED_KEY = "moved"  # the query key that carries the address asked for
# First path segments that are the server's own (files, websocket, uploads),
# never a page: those requests pass untouched.
SERVER_PREFIXES = frozenset({"_stcore", "static", "media", "component", "app", "-"})


def page_of(path: str, base: str = "") -> tuple[str, str] | None:
    """`path` under the app's base path -> (the address to go to instead, the
    part that was too deep), or None when the path is at most one page deep or
    belongs to the server. `base` is the app's URL prefix ('' or '/prefix')."""
    base = "/" + base.strip("/") if base.strip("/") else ""
    if base and not (path == base or path.startswith(base + "/")):
        return None
    parts = [p for p in path[len(base):].split("/") if p]
    if len(parts) < 2 or parts[0] in SERVER_PREFIXES:
        return None
    return f"{base}/{parts[0]}", "/".join(parts[1:])


class OnePageDeep:
    """Redirect a browser's page request for /page/more/levels to /page,
    keeping the query and adding `moved=/page/more/levels`. Only page
    navigations (GET or HEAD that accept HTML) move; scripts, uploads and the
    websocket pass untouched."""

    def __init__(self, app, base: str | None = None) -> None:
        self.app = app
        self.base = base  # None: read server.baseUrlPath at each request

    async def __call__(self, scope, receive, send) -> None:
        target = self._target(scope) if scope["type"] == "http" else None
        if target is None:
            await self.app(scope, receive, send)
            return
        await send({"type": "http.response.start", "status": 302,
                    "headers": [(b"location", target.encode("latin-1")),
                                (b"cache-control", b"no-cache"),
                                (b"content-length", b"0")]})
        await send({"type": "http.response.body", "body": b""})

    def _target(self, scope) -> str | None:
        if scope.get("method") not in ("GET", "HEAD"):
            return None
        headers = dict(scope.get("headers") or ())
        if b"text/html" not in headers.get(b"accept", b""):
            return None
        path = scope.get("path", "")
        moved = page_of(path, self._base())
        if moved is None:
            return None
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"),
                          keep_blank_values=True)
        query = [(k, v) for k, v in query if k != MOVED_KEY] + [(MOVED_KEY, path)]
        return f"{quote(moved[0])}?{urlencode(query)}"

    def _base(self) -> str:
        if self.base is not None:
            return self.base
        from streamlit import config  # the option as the server was started

        return config.get_option("server.baseUrlPath") or ""
