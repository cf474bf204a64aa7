"""The servers under test, each started as its own process group and stopped on exit.

- ``linkpulse(...)``: ``linkpulse serve`` exactly as a user starts it.
- ``bare(...)``: a bare ASGI callable answering a fixed 302, on granian as ``serve``
  runs it (or on uvicorn, the previous server): the Python ceiling.
- ``uvicorn_app(...)``: linkpulse's app on uvicorn, the server ``serve`` used before
  granian, without the consumer: the redirect of the previous server, side by side.
- ``nginx(...)``: nginx ``return 302``: the machine's ceiling, when nginx is installed.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_listening(port: int, proc: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before listening")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listening on port {port} after {timeout}s")


@contextlib.contextmanager
def process(argv: list[str], port: int, env: dict[str, str] | None = None,
            log: Path | None = None) -> Iterator[subprocess.Popen[bytes]]:
    out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115
    proc = subprocess.Popen(argv, env={**os.environ, **(env or {})}, stdout=out,
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_listening(port, proc)
        # uvicorn's supervisor listens before its workers have imported the app.
        time.sleep(0.5)
        yield proc
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)  # the group we started, nothing else
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        if log:
            out.close()  # type: ignore[union-attr]


def cpu_seconds(pgid: int) -> tuple[float, float]:
    """User + system CPU seconds of the group leader ``pgid`` and of the rest of its
    process group (Linux /proc): with ``--workers 2`` the leader runs the consumer and
    the rest serve HTTP. CPU per request is steadier than requests per second on a shared,
    noisy machine."""
    ticks = os.sysconf("SC_CLK_TCK")
    leader = others = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            pid = int(stat.parent.name)
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError, ValueError):
            continue
        if int(fields[2]) == pgid:  # fields after "pid (comm)": state ppid pgrp ...
            used = int(fields[11]) + int(fields[12])  # utime, stime
            if pid == pgid:
                leader += used
            else:
                others += used
    return leader / ticks, others / ticks


def linkpulse(db: Path, port: int, workers: int, *extra: str,
              env: dict[str, str] | None = None, log: Path | None = None
              ) -> contextlib.AbstractContextManager[subprocess.Popen[bytes]]:
    argv = [sys.executable, "-m", "linkpulse.cli", "serve", "--port", str(port),
            "--db", str(db), "--workers", str(workers), *extra]
    # LINKPULSE_OPEN: the benchmarks drive the original anonymous API (POST /shorten,
    # stats); an environment variable, so that older revisions (--baseline-src) run too.
    return process(argv, port, {"LINKPULSE_LOG_LEVEL": "warning", "LINKPULSE_OPEN": "true",
                                **(env or {})}, log)


def bare(port: int, workers: int, log: Path | None = None, server: str = "granian"
         ) -> contextlib.AbstractContextManager[subprocess.Popen[bytes]]:
    """The bare 302 on ``server``: granian with the interface ``serve`` uses (ASGI), or
    uvicorn with the settings ``serve`` used to run it with."""
    if server == "uvicorn":
        argv = [sys.executable, "-m", "uvicorn", "bare:app", "--app-dir", str(BENCH_DIR),
                "--port", str(port), "--workers", str(workers), "--log-level", "warning",
                "--no-access-log", "--no-server-header"]
    else:
        argv = [sys.executable, "-m", "granian", "--interface", "asgi", "--port", str(port),
                "--workers", str(workers), "--log-level", "warning", "--working-dir",
                str(BENCH_DIR), "bare:app"]
    return process(argv, port, log=log)


def uvicorn_app(db: Path, port: int, workers: int, log: Path | None = None
                ) -> contextlib.AbstractContextManager[subprocess.Popen[bytes]]:
    """linkpulse's app on uvicorn as ``serve`` ran it before granian (no consumer)."""
    argv = [sys.executable, "-m", "uvicorn", "linkpulse.web.app:create_app", "--factory",
            "--port", str(port), "--workers", str(workers), "--log-level", "warning",
            "--no-access-log", "--no-server-header"]
    env = {"LINKPULSE_DB": str(db), "LINKPULSE_LOG_LEVEL": "warning",
           "LINKPULSE_RUN_WORKER": "0"}
    return process(argv, port, env, log)


USE_NGINX = True


def nginx_available() -> bool:
    return USE_NGINX and (shutil.which("nginx") is not None or Path("/usr/sbin/nginx").exists())


def nginx(port: int, workers: int, tmp: Path
          ) -> contextlib.AbstractContextManager[subprocess.Popen[bytes]]:
    tmp.mkdir(parents=True, exist_ok=True)
    conf = tmp / "nginx.conf"
    conf.write_text(f"""
worker_processes {workers};
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    keepalive_requests 1000000;
    server {{
        listen 127.0.0.1:{port};
        location / {{
            add_header Cache-Control "no-cache, no-store" always;
            return 302 https://example.com/;
        }}
    }}
}}
""")
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    return process([binary, "-p", str(tmp), "-c", str(conf)], port)
