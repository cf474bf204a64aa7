"""SQLite connections: one per thread, WAL mode, explicit transactions.

Every ``sqlite3`` failure that is not a bug in a statement (a full disk, an I/O error, a
lock held past the busy timeout) leaves here as :class:`BackendUnavailable`, which the
edges answer with 503 and ``Retry-After``. Files are created readable by their owner only.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from linkpulse.core.errors import BackendUnavailable

try:
    import fcntl
except ImportError:  # Windows: SQLite's busy handler alone
    fcntl = None  # type: ignore[assignment]

BUSY_TIMEOUT_MS = 10_000
CACHE_SIZE_KIB = -65_536
"""Page cache per connection, at most 64 MiB (SQLite's default is 2 MiB): a consumer
commit of thousands of clicks touches counter pages all over the file."""
WAL_CHECKPOINT_BYTES = 4096 * 5_000
"""A writer checkpoints (copies the WAL back into the file, and syncs) once the WAL is
~20 MiB, after releasing the write locks: another process's transaction goes on
meanwhile (2 consumer processes: ~74k -> ~78k clicks/s). Counter pages that many
commits rewrite are copied back once per checkpoint, not once per commit."""
CHECKPOINT_INTERVAL = 1.0
WAL_AUTOCHECKPOINT_PAGES = 10_000
"""SQLite's own checkpoint, inside COMMIT, at ~40 MiB of WAL (default ~4 MiB): a backstop."""
WAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024
"""What a WAL file is truncated to when it starts over."""
FILE_MODE = 0o600
"""Databases and lock files: SQLite gives its -wal and -shm files the database's mode."""


class _Connection(sqlite3.Connection):
    """A connection whose statements raise :class:`BackendUnavailable` for storage
    failures (``OperationalError``: disk full, I/O error, busy) instead of ``sqlite3``'s
    own errors, which no edge knows how to answer."""

    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
        try:
            return super().execute(sql, parameters)
        except sqlite3.OperationalError as exc:
            raise BackendUnavailable(f"SQLite: {exc}") from exc

    def executemany(self, sql: str, parameters: Any, /) -> sqlite3.Cursor:
        try:
            return super().executemany(sql, parameters)
        except sqlite3.OperationalError as exc:
            raise BackendUnavailable(f"SQLite: {exc}") from exc


def _create_private(path: str) -> None:
    """Create ``path`` with mode 0600 if it does not exist (SQLite would use 0644).

    An existing file is never opened here: closing any descriptor of a file drops every
    POSIX lock this process holds on it, SQLite's included (another connection of the
    process would then run unlocked and the next open reads a "disk I/O error")."""
    if path == ":memory:" or path.startswith("file:"):
        return
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return
    os.close(fd)


class Database:
    """A SQLite file shared by threads (a connection each) and by processes (WAL)."""

    def __init__(self, path: Path | str, schema: str, synchronous: str = "NORMAL") -> None:
        self.path = str(path)
        self._schema = schema
        self._synchronous = synchronous
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        # SQLite allows one writer per file. Threads of this process queue for it on a
        # lock instead of in SQLite's busy handler, which sleeps up to 100 ms per retry.
        self._write_lock = threading.Lock()
        self._wal_path = f"{self.path}-wal"
        self._next_checkpoint = 0.0
        self._lock_fd: int | None = None
        self._lock_pid = 0
        try:
            _create_private(self.path)
            self.connection().executescript(schema)
        except (OSError, sqlite3.OperationalError) as exc:
            raise BackendUnavailable(f"cannot open {self.path}: {exc}") from exc

    def connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            try:
                conn = sqlite3.connect(
                    self.path, isolation_level=None, check_same_thread=False,
                    timeout=BUSY_TIMEOUT_MS / 1000, factory=_Connection,
                )
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute(f"PRAGMA synchronous={self._synchronous}")
                conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
                conn.execute("PRAGMA foreign_keys=ON")
                conn.execute(f"PRAGMA cache_size={CACHE_SIZE_KIB}")
                conn.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES}")
                conn.execute(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT_BYTES}")
            except (sqlite3.Error, BackendUnavailable) as exc:
                raise BackendUnavailable(f"cannot open {self.path}: {exc}") from exc
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    @contextmanager
    def transaction(self, immediate: bool = True) -> Iterator[sqlite3.Connection]:
        """A transaction that commits on success and rolls back on any exception.

        ``immediate`` takes the write lock up front, so a read-then-write transaction
        never fails half-way with SQLITE_BUSY.
        """
        conn = self.connection()
        if not immediate:
            yield from self._run(conn, "BEGIN")
            return
        with self._write_lock, self._writer_file_lock():
            yield from self._run(conn, "BEGIN IMMEDIATE")
        self._checkpoint_if_due(conn)

    def _checkpoint_if_due(self, conn: sqlite3.Connection) -> None:
        """Copy the WAL back into the database once it has grown past
        ``WAL_CHECKPOINT_BYTES``, after the write locks are released: the next writer,
        of this process or another, commits meanwhile instead of waiting for it."""
        now = time.monotonic()
        if now < self._next_checkpoint:
            return
        try:
            size = os.stat(self._wal_path).st_size
        except OSError:
            return
        if size >= WAL_CHECKPOINT_BYTES:
            # The file keeps its size until a writer starts it over: whatever happens,
            # at most one checkpoint per interval (each one syncs the file).
            self._next_checkpoint = now + CHECKPOINT_INTERVAL
            with suppress(BackendUnavailable):  # the commit stands; the next one retries
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)")

    @contextmanager
    def _writer_file_lock(self) -> Iterator[None]:
        """Writers of other processes queue on an advisory lock (``<db>.lock``): the
        kernel wakes the next one the moment the lock is free, where SQLite's busy
        handler would have it sleep and retry."""
        if fcntl is None:
            yield
            return
        if self._lock_fd is None or self._lock_pid != os.getpid():
            self._lock_fd = os.open(f"{self.path}.lock", os.O_RDWR | os.O_CREAT, FILE_MODE)
            self._lock_pid = os.getpid()
        fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    def _run(self, conn: sqlite3.Connection, begin: str) -> Iterator[sqlite3.Connection]:
        try:
            conn.execute(begin)
        except BackendUnavailable as exc:
            raise BackendUnavailable(f"{self.path} is busy: {exc}") from exc
        try:
            yield conn
        except BaseException:
            _rollback(conn)
            raise
        else:
            try:
                conn.execute("COMMIT")
            except (sqlite3.Error, BackendUnavailable) as exc:
                _rollback(conn)
                raise BackendUnavailable(f"commit to {self.path} failed: {exc}") from exc

    def close(self) -> None:
        with self._lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
            if self._lock_fd is not None and self._lock_pid == os.getpid():
                os.close(self._lock_fd)
            self._lock_fd = None
        self._local = threading.local()


def _rollback(conn: sqlite3.Connection) -> None:
    """Roll back what is left of a transaction. SQLite has already rolled back one whose
    COMMIT or statement failed for lack of space or an I/O error: rolling back again
    would raise "no transaction is active" over the error that matters."""
    if conn.in_transaction:
        with suppress(sqlite3.Error, BackendUnavailable):  # gone either way
            conn.execute("ROLLBACK")
