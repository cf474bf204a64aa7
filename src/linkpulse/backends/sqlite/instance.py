"""Which processes run on a database: ``serve`` and ``worker`` hold a shared lock on
``<db>.instance.lock`` for as long as they run; ``restore`` takes it exclusively, so it
is refused while any of them runs and none can start while it restores.

The lock is ``flock``: the kernel drops it when the process exits, however it exits, so
a crashed server never leaves a stale lock behind.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from linkpulse.backends.sqlite.db import FILE_MODE

try:
    import fcntl
except ImportError:  # Windows: no instance detection
    fcntl = None  # type: ignore[assignment]


class InstanceRunning(Exception):
    """A linkpulse process is running on the database (or a restore is under way)."""


def _lock_path(db: Path) -> str:
    return f"{db}.instance.lock"


def _take(db: Path, mode: int, refused: str) -> int | None:
    if fcntl is None:
        return None
    fd = os.open(_lock_path(db), os.O_RDWR | os.O_CREAT, FILE_MODE)
    try:
        fcntl.flock(fd, mode | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise InstanceRunning(refused) from None
    return fd


def hold_shared(db: Path) -> int | None:
    """Mark this process as running on ``db`` until it exits; the lock's descriptor."""
    return _take(db, fcntl.LOCK_SH if fcntl else 0,
                 f"a restore of {db} is under way; start again once it is done")


@contextmanager
def exclusive(db: Path) -> Iterator[None]:
    """Hold ``db`` alone, or raise :class:`InstanceRunning` at once."""
    fd = _take(db, fcntl.LOCK_EX if fcntl else 0,
               f"linkpulse is running on {db} (serve or worker): stop it first")
    try:
        yield
    finally:
        if fd is not None:
            os.close(fd)
