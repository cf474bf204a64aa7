"""Test support: waiting on conditions, free ports, and a real ``linkpulse serve``."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TypeVar

import httpx

T = TypeVar("T")


def wait_for(
    probe: Callable[[], T], *, timeout: float = 15.0, interval: float = 0.02,
    message: str = "condition",
) -> T:
    """Call ``probe`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    last: T = probe()
    while not last:
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message} "
                                 f"(last value: {last!r})")
        time.sleep(interval)
        last = probe()
    return last


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def linkpulse_env(db: Path, **settings: object) -> dict[str, str]:
    """A child-process environment with ``LINKPULSE_*`` settings (tests never touch ours)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINKPULSE_")}
    env["LINKPULSE_DB"] = str(db)
    env["LINKPULSE_CREATE_RATE_LIMIT"] = "off"  # tests create links fast; limits are tested
    for key, value in settings.items():
        env[f"LINKPULSE_{key.upper()}"] = str(value)
    return env


class Process:
    """A linkpulse CLI command run as a real child process."""

    def __init__(self, args: list[str], env: Mapping[str, str], log: Path) -> None:
        self.log_path = log
        self._log = log.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "linkpulse.cli", *args], env=dict(env),
            stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True,
        )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks, no flush — a hard crash."""
        if self.alive():
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)
        self._log.close()

    def stop(self, timeout: float = 15.0) -> int:
        """SIGTERM and wait: a graceful shutdown."""
        if self.alive():
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                raise AssertionError(f"did not stop on SIGTERM:\n{self.log()}") from None
        self._log.close()
        return self.proc.returncode


class LiveServer(Process):
    """``linkpulse serve`` on a free loopback port, ready when /healthz answers."""

    def __init__(self, db: Path, *, extra_args: list[str] | None = None, **settings: object
                 ) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        super().__init__(
            ["serve", "--host", "127.0.0.1", "--port", str(self.port), *(extra_args or [])],
            linkpulse_env(db, **settings), db.with_suffix(".serve.log"),
        )
        wait_for(self._healthy, timeout=30, interval=0.05, message=f"server on {self.base_url}")

    def _healthy(self) -> bool:
        if not self.alive():
            raise AssertionError(f"server exited early:\n{self.log()}")
        try:
            return httpx.get(f"{self.base_url}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False


FIRST_KEY = re.compile(r"#key=(lp_[0-9a-f]{8}_[A-Za-z0-9_-]{43})")


def printed_admin_key(server: LiveServer) -> str:
    """The admin key ``serve`` printed on its first start (in its dashboard URL)."""
    found = FIRST_KEY.search(server.log())
    assert found, server.log()
    return found.group(1)
