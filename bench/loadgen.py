"""Load generators: wrk when it is installed, else a bounded asyncio HTTP/1.1 client.

Both keep ``connections`` keep-alive connections busy for ``duration`` seconds, each
request picking a path at random from ``paths``, and return the same :class:`Load`.
wrk (C, epoll) is preferred: the asyncio client is pure Python and on a 2-core machine
it can become the bottleneck, which the report says when it is used.
"""

from __future__ import annotations

import asyncio
import json
import random
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

WRK_SCRIPT = r"""
local paths = {}
for line in io.lines(os.getenv("BENCH_PATHS")) do paths[#paths + 1] = line end
local method = os.getenv("BENCH_METHOD") or "GET"
local body = os.getenv("BENCH_BODY")
local headers = {["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64) Firefox/124.0"}
if body then headers["Content-Type"] = "application/json" end
math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
request = function()
  return wrk.format(method, paths[math.random(#paths)], headers, body)
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"max_us":%d,' ..
    '"errors":%d,"bad_status":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.max, e.connect + e.read + e.write + e.timeout, e.status))
end
"""


@dataclass
class Load:
    tool: str
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int
    """Socket errors and timeouts."""
    bad_status: int
    """Responses with a status other than the expected one (wrk: not 2xx/3xx)."""

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


USE_WRK = True
"""Set to False to use the asyncio client even where wrk is installed."""


def has_wrk() -> bool:
    return USE_WRK and shutil.which("wrk") is not None


def tool_name() -> str:
    return "wrk" if has_wrk() else "asyncio client (pure Python: may be the bottleneck)"


def run(
    base_url: str, paths: list[str], *, connections: int = 64, duration: float = 10.0,
    method: str = "GET", body: bytes | None = None, expect: int = 302,
    threads: int = 2, rate: float | None = None,
) -> Load:
    """Keep ``connections`` busy for ``duration`` s, or offer a steady ``rate`` req/s
    (always with the asyncio client: wrk has no rate limit)."""
    if has_wrk() and rate is None:
        return _wrk(base_url, paths, connections, duration, method, body, threads)
    coro = _client(base_url, paths, connections, duration, method, body, expect, rate)
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coro)
    return uvloop.run(coro)


def _wrk(base_url: str, paths: list[str], connections: int, duration: float, method: str,
         body: bytes | None, threads: int) -> Load:
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp, "bench.lua")
        script.write_text(WRK_SCRIPT)
        paths_file = Path(tmp, "paths.txt")
        paths_file.write_text("\n".join(paths) + "\n")
        env = {"BENCH_PATHS": str(paths_file), "BENCH_METHOD": method, "PATH": "/usr/bin:/bin"}
        if body is not None:
            env["BENCH_BODY"] = body.decode()
        out = subprocess.run(
            ["wrk", f"-t{min(threads, connections)}", f"-c{connections}",
             f"-d{max(1, round(duration))}s", "--timeout", "5s", "-s", str(script), base_url],
            capture_output=True, text=True, env=env, check=True,
        ).stdout
    line = next(x for x in out.splitlines() if x.startswith("BENCH "))
    r = json.loads(line[6:])
    return Load("wrk", r["requests"], r["duration_us"] / 1e6, r["p50_us"] / 1000,
                r["p99_us"] / 1000, r["errors"], r["bad_status"])


async def _client(base_url: str, paths: list[str], connections: int, duration: float,
                  method: str, body: bytes | None, expect: int, rate: float | None = None
                  ) -> Load:
    host, _, port = base_url.split("://", 1)[1].rstrip("/").partition(":")
    head = (f"Host: {host}:{port}\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64) "
            f"Firefox/124.0\r\n")
    if body is not None:
        head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    requests = [f"{method} {p} HTTP/1.1\r\n{head}\r\n".encode() + (body or b"") for p in paths]
    latencies: list[float] = []
    counts = {"errors": 0, "bad": 0}
    stop_at = time.perf_counter() + duration
    # With a rate, each connection sends on its own fixed schedule.
    interval = connections / rate if rate else 0.0

    async def worker() -> None:
        try:
            reader, writer = await asyncio.open_connection(host, int(port))
        except OSError:
            counts["errors"] += 1
            return
        next_at = time.perf_counter() + random.random() * interval
        try:
            while time.perf_counter() < stop_at:
                if interval:
                    await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
                    next_at += interval
                t0 = time.perf_counter()
                writer.write(random.choice(requests))
                status_line = await reader.readuntil(b"\r\n")
                headers = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in headers.split(b"\r\n"):
                    if line[:15].lower() == b"content-length:":
                        length = int(line[15:])
                if length:
                    await reader.readexactly(length)
                latencies.append(time.perf_counter() - t0)
                if int(status_line.split()[1]) != expect:
                    counts["bad"] += 1
        except (OSError, asyncio.IncompleteReadError, ValueError):
            counts["errors"] += 1
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(connections)))
    elapsed = time.perf_counter() - started
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000 if latencies \
            else 0.0

    return Load("asyncio client", len(latencies), elapsed, pct(0.50), pct(0.99),
                counts["errors"], counts["bad"])
