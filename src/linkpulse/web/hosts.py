"""Only answer for the hosts this server is: a request whose ``Host`` is not on the
allow-list gets a 400, so no answer (``short_url``) is built from a host an attacker
chose. Redirects, which use nothing of the Host, are answered before this check.

The allow-list is ``LINKPULSE_ALLOWED_HOSTS`` (comma-separated names, ``*`` for any),
by default the bind address, ``localhost``, ``127.0.0.1``, ``[::1]`` and the host of
``LINKPULSE_BASE_URL``. Ports are not compared.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from linkpulse.api import error_response
from linkpulse.settings import Settings
from linkpulse.web.types import ASGIApp, Receive, Scope, Send

LOCAL_HOSTS = ("localhost", "127.0.0.1", "[::1]")


def allowed_hosts(settings: Settings) -> frozenset[str] | None:
    """The names a Host header may carry, lower-case; None allows any."""
    names = [h.strip().lower() for h in settings.allowed_hosts.split(",") if h.strip()]
    if "*" in names:
        return None
    if not names:
        names = [settings.host.lower(), *LOCAL_HOSTS]
    if settings.base_url:
        names.append((urlsplit(settings.base_url).hostname or "").lower())
    return frozenset(n for n in names if n)


def host_name(value: bytes) -> str:
    """``Host`` without its port: ``example.com:8000`` -> ``example.com``, ``[::1]:80`` ->
    ``[::1]``."""
    host = value.decode("latin-1").strip().lower()
    if host.startswith("["):
        return host[: host.find("]") + 1] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


class HostGuard:
    def __init__(self, app: ASGIApp, allowed: Iterable[str] | None) -> None:
        self.app = app
        self.allowed = None if allowed is None else frozenset(allowed)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.allowed is not None:
            hosts = [v for k, v in scope["headers"] if k == b"host"]
            if len(hosts) > 1 or (hosts and host_name(hosts[0]) not in self.allowed):
                response = error_response(400, "unknown host")
                await send({"type": "http.response.start", "status": 400, "headers": [
                    *((k.encode(), v.encode()) for k, v in response.headers.items()),
                    (b"content-length", str(len(response.body)).encode())]})
                await send({"type": "http.response.body", "body": response.body})
                return
        await self.app(scope, receive, send)
