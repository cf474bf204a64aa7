"""A moto server for the AWS benchmarks: real boto3 clients over real HTTP, no patching.

The same server mode the tests use (``python -m moto.server``, a child process), on a
given loopback port or a free one; ``start()`` returns once it answers.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

CREDENTIALS = {"aws_access_key_id": "bench", "aws_secret_access_key": "bench",
               "region_name": "us-east-1"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class MotoServer:
    """``moto.server`` as a child process; ``stop()`` (or ``with``) ends it."""

    def __init__(self, port: int = 0, timeout: float = 30.0, *, fast: bool = True) -> None:
        """``fast``: moto with transactions that back up only the items they touch
        (bench/moto_fast.py); otherwise moto as the tests run it."""
        self.port = port or _free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        server = [str(Path(__file__).with_name("moto_fast.py"))] if fast else ["-m", "moto.server"]
        self.proc = subprocess.Popen(
            [sys.executable, *server, "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"moto server exited (port {self.port} taken?)")
            try:
                urllib.request.urlopen(f"{self.endpoint}/moto-api/", timeout=1)
                return
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"moto server on {self.endpoint} did not answer "
                                       f"within {timeout:.0f} s") from None
                time.sleep(0.1)

    def client(self, service: str, **config: Any) -> Any:
        import boto3
        from botocore.config import Config

        return boto3.client(service, endpoint_url=self.endpoint,
                            config=Config(retries={"mode": "standard", "max_attempts": 3},
                                          **config), **CREDENTIALS)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)

    def __enter__(self) -> MotoServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
