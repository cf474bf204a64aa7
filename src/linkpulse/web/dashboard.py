"""The dashboard's routes: ``GET /`` (the page) and ``/static/*`` (its CSS, JS and icon),
served with a strict Content-Security-Policy.

The policy allows scripts, styles, images and fonts from this server only, and no inline
script or style, so even a bug that put API data into the page as HTML could not run it.
``connect-src`` is the one loosened directive: the page can be pointed at a deployed API on
another origin (a setting kept in the browser's localStorage, which the server never sees),
so it allows ``'self'`` plus any ``http:``/``https:`` origin. That costs little: with no
script able to run except the page's own, there is nothing to make those requests but the
page itself, and it only calls the API base the user typed in.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from starlette.responses import FileResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from linkpulse.api import error_response

STATIC = Path(__file__).parent / "static"

CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self' http: https:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))

HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "referrer-policy": "strict-origin-when-cross-origin",
    "cache-control": "no-cache",
}


class _DashboardFiles(StaticFiles):
    """Static files with the dashboard's security headers (and revalidated, not stale)."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers.update(HEADERS)
        return response


def install(app: FastAPI) -> None:
    """Add ``GET /`` and the ``/static`` mount to ``app``."""

    @app.get("/", include_in_schema=False)
    def dashboard() -> Response:
        index = STATIC / "index.html"
        if not index.exists():
            missing = error_response(404, "dashboard not installed")
            return Response(missing.body, missing.status, headers=missing.headers)
        return FileResponse(index, headers=HEADERS)

    app.mount("/static", _DashboardFiles(directory=STATIC, check_dir=False), name="static")
