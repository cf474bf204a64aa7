"""A Server-Sent Events client for the tests: a real HTTP stream read on a thread, its
events handed over as they arrive."""

from __future__ import annotations

import contextlib
import json
import queue
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass
class Event:
    event: str
    id: str | None
    data: str
    at: float
    """``time.monotonic()`` when it arrived."""

    def json(self) -> Any:
        return json.loads(self.data)


class SseStream:
    """``GET url`` as a stream; ``take(n)`` waits for the next ``n`` events (comments and
    pings are counted in ``comments``, not returned)."""

    def __init__(self, url: str, headers: dict[str, str] | None = None,
                 timeout: float = 10.0) -> None:
        self._client = httpx.Client(timeout=httpx.Timeout(timeout, read=None))
        self._events: queue.Queue[Event | BaseException | None] = queue.Queue()
        self.comments: list[str] = []
        self.status: int | None = None
        self.headers: dict[str, str] = {}
        self._ready = threading.Event()
        self._closed = False
        self._socket: socket.socket | None = None
        self._thread = threading.Thread(target=self._read, args=(url, headers or {}),
                                        daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise AssertionError(f"no answer from {url} within {timeout} s")

    def _read(self, url: str, headers: dict[str, str]) -> None:
        try:
            with self._client.stream("GET", url, headers=headers) as response:
                self.status = response.status_code
                self._socket = response.extensions["network_stream"].get_extra_info("socket")
                self.headers = {k.lower(): v for k, v in response.headers.items()}
                self._ready.set()
                fields: dict[str, str] = {}
                for line in response.iter_lines():
                    if line.startswith(":"):
                        self.comments.append(line[1:].strip())
                    elif line == "":
                        if "data" in fields:
                            self._events.put(Event(fields.get("event", "message"),
                                                   fields.get("id"), fields["data"],
                                                   time.monotonic()))
                        fields = {}
                    else:
                        name, _, value = line.partition(":")
                        fields[name] = value.removeprefix(" ")
        except BaseException as exc:
            if not self._closed:
                self._events.put(exc)
        finally:
            self._ready.set()
            self._events.put(None)

    def take(self, n: int, timeout: float = 10.0) -> list[Event]:
        got: list[Event] = []
        deadline = time.monotonic() + timeout
        while len(got) < n:
            try:
                item = self._events.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"{len(got)} of {n} events within {timeout} s: "
                                     f"{got}") from None
            if isinstance(item, BaseException):
                raise AssertionError("the stream failed") from item
            if item is None:
                raise AssertionError(f"the stream ended after {len(got)} of {n} events")
            got.append(item)
        return got

    def nothing_more(self, within: float) -> bool:
        """No event arrives within ``within`` seconds (the stream may end meanwhile)."""
        try:
            item = self._events.get(timeout=within)
        except queue.Empty:
            return True
        if item is None:
            self._events.put(None)
            return True
        return False

    def close(self) -> None:
        """Hang up, as a closed browser tab does (the reading thread stops at once)."""
        self._closed = True
        if self._socket is not None:
            with contextlib.suppress(OSError):
                self._socket.shutdown(socket.SHUT_RDWR)
        self._client.close()
        self._thread.join(10)

    def __enter__(self) -> SseStream:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
