"""A moto server for the AWS flavour: real boto3 clients over real HTTP, no patching."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import httpx

from tests.support import free_port, wait_for

CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
               "AWS_DEFAULT_REGION": "us-east-1"}


class MotoServer:
    """``moto_server`` as a child process on a free loopback port."""

    def __init__(self, log: Path) -> None:
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self._log = log.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=self._log, stderr=subprocess.STDOUT, env={**os.environ, **CREDENTIALS},
        )
        wait_for(self._up, timeout=30, interval=0.1, message=f"moto server on {self.endpoint}")

    def _up(self) -> bool:
        assert self.proc.poll() is None, "moto server exited"
        try:
            return httpx.get(f"{self.endpoint}/moto-api/", timeout=1).status_code < 500
        except httpx.HTTPError:
            return False

    def client(self, service: str) -> Any:
        return self.client_for(self.endpoint, service)

    @staticmethod
    def client_for(endpoint: str, service: str) -> Any:
        import boto3

        return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1",
                            aws_access_key_id="testing", aws_secret_access_key="testing")

    def env(self) -> dict[str, str]:
        """Environment for child processes talking to this server."""
        return {**CREDENTIALS, "LINKPULSE_ENDPOINT_URL": self.endpoint}

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:  # a loaded machine: do not fail the session on it
            self.proc.kill()
            self.proc.wait(10)
        self._log.close()


def unique_names() -> dict[str, str]:
    """Table and queue names of their own for one test's resources."""
    prefix = f"lp-{uuid.uuid4().hex[:10]}"
    return {"links_table": f"{prefix}-links", "clicks_table": f"{prefix}-clicks",
            "queue_name": f"{prefix}-clicks", "dlq_name": f"{prefix}-clicks-dlq"}


class AwsLiveServer:
    """``linkpulse serve --backend aws --create-resources`` against the moto server."""

    def __init__(self, moto: MotoServer, tmp: Path, **settings: object) -> None:
        from linkpulse.settings import Settings
        from tests.support import Process, linkpulse_env

        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.names = unique_names()
        names = self.names
        env = {**linkpulse_env(tmp / "unused.db", backend="aws", **names, **settings),
               **moto.env()}
        self.settings = Settings(backend="aws", endpoint_url=moto.endpoint, **names)
        """Where this server keeps its data (for tests that open the same stores)."""
        self.process = Process(
            ["serve", "--host", "127.0.0.1", "--port", str(self.port), "--create-resources"],
            env, tmp / "serve-aws.log")
        wait_for(self._healthy, timeout=60, interval=0.1, message=f"server on {self.base_url}")

    def _healthy(self) -> bool:
        if not self.process.alive():
            raise AssertionError(f"server exited early:\n{self.process.log()}")
        try:
            return httpx.get(f"{self.base_url}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self) -> None:
        self.process.stop()
