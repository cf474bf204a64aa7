"""Default settings: keys are required, and two workers agree on every edit within 1 s."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support import LiveServer, printed_admin_key, wait_for


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    made = LiveServer(tmp_path_factory.mktemp("auth") / "auth.db", extra_args=["--workers", "2"])
    yield made
    made.stop()


@pytest.fixture(scope="module")
def admin_key(server: LiveServer) -> str:
    """The admin key ``serve`` printed on its first start."""
    return printed_admin_key(server)


def fresh(server: LiveServer, method: str, path: str, key: str | None = None,
          body: object = None) -> httpx.Response:
    """One request on a new connection (so the two workers both get some)."""
    headers = {"authorization": f"Bearer {key}"} if key else {}
    with httpx.Client(base_url=server.base_url, timeout=5) as client:
        return client.request(method, path, headers=headers,
                              content=json.dumps(body).encode() if body is not None else None)


def test_without_a_key_everything_but_redirects_and_health_is_401(
        server: LiveServer, admin_key: str) -> None:
    code = fresh(server, "POST", "/api/v1/links", admin_key,
                 {"url": "https://example.com/"}).json()["code"]
    for method, path in (("POST", "/shorten"), ("GET", f"/stats/{code}"),
                         ("GET", "/api/v1/links"), ("GET", "/api/queue"),
                         ("GET", "/api/v1/keys")):
        reply = fresh(server, method, path, body={"url": "https://example.com/"})
        assert reply.status_code == 401, (method, path, reply.text)
        assert reply.headers["www-authenticate"] == "Bearer"
        assert "API key" in reply.json()["error"]
    assert fresh(server, "GET", f"/{code}").status_code == 302
    assert fresh(server, "GET", "/healthz").status_code == 200
    assert fresh(server, "GET", "/").status_code == 200  # the dashboard's page


def test_the_first_key_is_printed_once_with_a_dashboard_url(server: LiveServer,
                                                            admin_key: str) -> None:
    assert f"{server.base_url}/#key={admin_key}" in server.log()
    assert server.log().count(admin_key) == 2  # the URL and the Bearer line, nothing more
    keys = fresh(server, "GET", "/api/v1/keys", admin_key).json()["keys"]
    assert [k["name"] for k in keys] == ["admin"]
    assert "admin" in keys[0]["scopes"]
    db = Path(server.log_path).with_suffix("").with_suffix(".db")
    assert admin_key.encode() not in db.read_bytes()


def _all_answer(server: LiveServer, path: str, status: int, n: int = 40) -> bool:
    return all(fresh(server, "GET", path).status_code == status for _ in range(n))


def _last_stale_answer(server: LiveServer, path: str, status: int, since: float) -> float:
    """Probe on fresh connections until 20 answers in a row are ``status``; return how
    long after ``since`` the last request that still got another answer was sent."""
    last_stale, in_a_row = since, 0
    deadline = time.monotonic() + 60
    while in_a_row < 20:
        assert time.monotonic() < deadline, f"{path} never settled on {status}"
        sent = time.monotonic()
        if fresh(server, "GET", path).status_code == status:
            in_a_row += 1
        else:
            last_stale, in_a_row = sent, 0
    return last_stale - since


def test_an_edit_and_a_delete_reach_both_workers_within_a_second(
        server: LiveServer, admin_key: str) -> None:
    code = fresh(server, "POST", "/api/v1/links", admin_key,
                 {"url": "https://example.com/before"}).json()["code"]
    assert _all_answer(server, f"/{code}", 302)  # both workers have it cached now
    fresh(server, "PATCH", f"/api/v1/links/{code}", admin_key, {"disabled": True})
    assert _last_stale_answer(server, f"/{code}", 410, time.monotonic()) < 1.0
    fresh(server, "PATCH", f"/api/v1/links/{code}", admin_key, {"disabled": False})
    assert _last_stale_answer(server, f"/{code}", 302, time.monotonic()) < 1.0
    assert fresh(server, "DELETE", f"/api/v1/links/{code}", admin_key).status_code == 204
    assert _last_stale_answer(server, f"/{code}", 410, time.monotonic()) < 1.0


def test_a_revoked_key_is_refused_by_both_workers_at_once(server: LiveServer,
                                                          admin_key: str) -> None:
    made = fresh(server, "POST", "/api/v1/keys", admin_key, {"name": "short-lived"}).json()
    assert all(fresh(server, "GET", "/api/v1/links", made["key"]).status_code == 200
               for _ in range(10))
    assert fresh(server, "DELETE", "/api/v1/keys/short-lived", admin_key).status_code == 204
    assert all(fresh(server, "GET", "/api/v1/links", made["key"]).status_code == 401
               for _ in range(20))


def test_an_expired_key_is_refused(server: LiveServer, admin_key: str) -> None:
    soon = int(time.time()) + 2
    made = fresh(server, "POST", "/api/v1/keys", admin_key,
                 {"name": "expiring", "expires_at": soon}).json()
    assert fresh(server, "GET", "/api/v1/links", made["key"]).status_code == 200
    wait_for(lambda: fresh(server, "GET", "/api/v1/links", made["key"]).status_code == 401,
             timeout=10, interval=0.2, message="the key to expire")
