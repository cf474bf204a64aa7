"""The creation rate limit holds across ``serve --workers 2``: it lives in SQLite (or
DynamoDB, on the AWS shape), not in each process's memory. It counts per API key, and
per client IP for anonymous callers of an open API."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support import LiveServer

Server = Any  # LiveServer, or tests.aws_support.AwsLiveServer: base_url and stop()


def _thirty_creates(server: Server, path: str, headers: dict[str, str]
                    ) -> list[httpx.Response]:
    async def create_all() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as http:
            return await asyncio.gather(*(
                http.post(path, json={"url": f"https://example.com/{i}"}, headers=headers)
                for i in range(30)))

    return asyncio.run(create_all())


def _assert_limited(replies: list[httpx.Response]) -> None:
    created = [r for r in replies if r.status_code == 201]
    refused = [r for r in replies if r.status_code == 429]
    assert len(created) + len(refused) == 30, {r.status_code for r in replies}
    assert 1 <= len(created) <= 12
    for reply in refused:
        assert 1 <= int(reply.headers["retry-after"]) <= 60
        assert "rate limit" in reply.json()["error"]


@pytest.mark.parametrize("mode", ["anonymous", "key"])
def test_thirty_rapid_creates_under_ten_per_minute_on_two_workers(tmp_path: Path,
                                                                  mode: str) -> None:
    server = LiveServer(tmp_path / "limited.db", extra_args=["--workers", "2", "--no-worker"],
                        create_rate_limit="10/minute", open="true")
    if mode == "anonymous":
        _assert_limited(_thirty_creates(server, "/shorten", {}))
    else:
        key = re.search(r"#key=(\S+)", server.log()).group(1)  # type: ignore[union-attr]
        _assert_limited(_thirty_creates(server, "/api/v1/links",
                                        {"authorization": f"Bearer {key}"}))
        # The key's budget is its own: an anonymous caller from the same IP still creates.
        assert httpx.post(f"{server.base_url}/shorten",
                          json={"url": "https://example.com/anon"}).status_code == 201
    assert server.stop() == 0


@pytest.mark.parametrize("mode", ["anonymous", "key"])
def test_thirty_rapid_creates_under_ten_per_minute_on_two_aws_workers(
        tmp_path: Path, mode: str, moto_server: Any, aws_clients: tuple[Any, Any]) -> None:
    """The AWS shape: ``serve --backend aws --workers 2`` on DynamoDB + SQS (moto over
    HTTP); the count is a DynamoDB item both workers update."""
    from linkpulse.backends import aws
    from linkpulse.core.keys import new_key
    from tests.aws_support import AwsLiveServer

    server = AwsLiveServer(moto_server, tmp_path, workers=2, run_worker="false",
                           create_rate_limit="10/minute", open="true")
    try:
        if mode == "anonymous":
            _assert_limited(_thirty_creates(server, "/shorten", {}))
            return
        components = aws.build(server.settings, dynamodb=aws_clients[0], sqs=aws_clients[1])
        secret, record = new_key("limited")
        components.keys.add_key(record)
        _assert_limited(_thirty_creates(server, "/api/v1/links",
                                        {"authorization": f"Bearer {secret}"}))
        assert httpx.post(f"{server.base_url}/shorten",
                          json={"url": "https://example.com/anon"}).status_code == 201
    finally:
        server.stop()
