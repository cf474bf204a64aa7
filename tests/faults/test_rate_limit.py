"""The creation rate limit holds across ``serve --workers 2``: it lives in SQLite, not
in each process's memory."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from tests.support import LiveServer


def test_thirty_rapid_creates_under_ten_per_minute_on_two_workers(tmp_path: Path) -> None:
    server = LiveServer(tmp_path / "limited.db", extra_args=["--workers", "2", "--no-worker"],
                        create_rate_limit="10/minute")

    async def create_all() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as http:
            return await asyncio.gather(*(
                http.post("/shorten", json={"url": f"https://example.com/{i}"})
                for i in range(30)))

    replies = asyncio.run(create_all())
    created = [r for r in replies if r.status_code == 201]
    refused = [r for r in replies if r.status_code == 429]
    assert len(created) + len(refused) == 30, {r.status_code for r in replies}
    assert 1 <= len(created) <= 12
    for reply in refused:
        assert 1 <= int(reply.headers["retry-after"]) <= 60
        assert "rate limit" in reply.json()["error"]
    assert server.stop() == 0
