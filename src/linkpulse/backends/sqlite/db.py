"""SQLite connections: one per thread, closed with it; WAL mode, explicit transactions.

Every ``sqlite3`` failure that is not a bug in a statement (a full disk, an I/O error, a
lock held past the busy timeout) leaves here as :class:`BackendUnavailable`, which the
edges answer with 503 and ``Retry-After``. Files are created readable by their owner only.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import time
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from linkpulse.core.errors import BackendUnavailable

try:
    import fcntl
except ImportError:  # Windows: SQLite's busy handler alone
    fcntl = None  # type: ignore[assignment]

BUSY_TIMEOUT_MS = 10_000
WRITER_CACHE_KIB = -65_536
"""Page cache of a connection that writes, at most 64 MiB: a consumer commit of
thousands of clicks touches counter pages all over the file. A connection gets it at
its first write transaction; one that only reads (a server's request threads: stats)
keeps SQLite's default (~2 MiB), so its pages stay in the OS page cache, shared, not
in each of a server's 16 threads: with 64 MiB each, 10 cycles of 1 s of stats load on
the 2M-click store grew the server from 338 to 542 MB."""
WAL_CHECKPOINT_BYTES = 4096 * 5_000
"""A writer checkpoints (copies the WAL back into the file, and syncs) once the WAL is
~20 MiB, after releasing the write locks: another process's transaction goes on
meanwhile (2 consumer processes: ~74k -> ~78k clicks/s). Counter pages that many
commits rewrite are copied back once per checkpoint, not once per commit."""
CHECKPOINT_INTERVAL = 1.0
WAL_AUTOCHECKPOINT_PAGES = 100_000
"""SQLite's own checkpoint, run by the COMMIT that passes ~400 MiB of WAL (default ~4
MiB): a backstop only. It runs while this module's write locks are held, so every other
writer would wait for it; at ~40 MiB (the previous setting) a retention purge's
writes reached it and stalled the consumers for over a second."""
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


RECLAIM_PAGES = 250
"""Free pages given back to the file system per transaction (1 MiB) at first, after a
purge; then as many as fit in ``CHUNK_SECONDS``."""


CHUNK_SECONDS = 0.1
"""What one step of a long job (a retention purge, a merge of pending counts, giving
free pages back) aims to hold the write lock for."""
STEP_ASIDE_SECONDS = 0.005
"""How long a long job lets go of the write lock after each step: a writer waiting for
the lock (a thread of this process, or another process on the lock file) wakes and
takes it meanwhile; with nobody waiting, the job goes on. (It used to wait as long as
the step took, whether anyone waited or not: half of its time idle.)"""


class Pacer:
    """Sizes and spaces the steps of a long job that takes the write lock in short
    transactions: a step slower than ``CHUNK_SECONDS`` halves the next one, a quick one
    grows it (between a tenth of the first size and ``largest``), and after each step
    the job steps aside for ``STEP_ASIDE_SECONDS``. Python's locks (and ``flock``) are
    not fair, so without the pause a job that releases the lock and takes it back at
    once could keep the consumer out for many steps in a row."""

    def __init__(self, size: int, largest: int | None = None) -> None:
        self.size = size
        self._smallest = max(1, size // 10)
        self._largest = largest or size * 4

    @contextlib.contextmanager
    def step(self) -> Iterator[int]:
        """Run one step of ``size`` items (whatever the job counts)."""
        started = time.monotonic()
        yield self.size
        took = time.monotonic() - started
        if took > CHUNK_SECONDS:
            self.size = max(self._smallest, self.size // 2)
        elif took < CHUNK_SECONDS / 2:
            self.size = min(self._largest, self.size + self.size // 4 + 1)
        time.sleep(STEP_ASIDE_SECONDS)


class _Owner:
    """Lives in one thread's ``threading.local`` while the thread runs: when the thread
    ends, its locals are dropped, and with this object the connection it owns closes.

    A server's worker threads come and go (the thread pool behind sync endpoints retires
    idle threads); without this each left an open connection, two files and its page
    cache behind: 8 cycles of load and idle grew a server from 10 to 636 open files.
    """

    __slots__ = ("__weakref__", "conn", "writes")

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.writes = False


class Database:
    """A SQLite file shared by threads (a connection each) and by processes (WAL)."""

    def __init__(self, path: Path | str, schema: str, synchronous: str = "NORMAL") -> None:
        self.path = str(path)
        self._schema = schema
        self._synchronous = synchronous
        self._local = threading.local()
        self._all: set[sqlite3.Connection] = set()
        self._lock = threading.Lock()
        # SQLite allows one writer per file. Threads of this process queue for it on a
        # lock instead of in SQLite's busy handler, which sleeps up to 100 ms per retry.
        self._write_lock = threading.Lock()
        self._wal_path = f"{self.path}-wal"
        self._next_checkpoint = 0.0
        self._checkpointer: threading.Thread | None = None
        self._lock_fd: int | None = None
        self._lock_pid = 0
        try:
            _create_private(self.path)
            self.connection().executescript(schema)
        except (OSError, sqlite3.OperationalError) as exc:
            raise BackendUnavailable(f"cannot open {self.path}: {exc}") from exc

    def connection(self) -> sqlite3.Connection:
        owner: _Owner | None = getattr(self._local, "owner", None)
        if owner is not None:
            return owner.conn
        try:
            conn = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False,
                timeout=BUSY_TIMEOUT_MS / 1000, factory=_Connection,
            )
            # Only a new file takes this (before its first table): its free pages can
            # then be given back (``reclaim_free_pages``) instead of kept forever.
            # Setting it writes the file header, under SQLite's write lock, so it is
            # set on an empty file only: every connection opened (a merge's, a
            # checkpoint's thread) used to wait for the write lock, up to the busy
            # timeout ("database is locked" at open), and hold it against the writers.
            if conn.execute("PRAGMA page_count").fetchone()[0] == 0:
                conn.execute("PRAGMA auto_vacuum=INCREMENTAL")
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(f"PRAGMA synchronous={self._synchronous}")
            conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES}")
            conn.execute(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT_BYTES}")
        except (sqlite3.Error, BackendUnavailable) as exc:
            raise BackendUnavailable(f"cannot open {self.path}: {exc}") from exc
        owner = _Owner(conn)
        self._local.owner = owner
        with self._lock:
            self._all.add(conn)
        weakref.finalize(owner, self._release, conn)
        return conn

    def _release(self, conn: sqlite3.Connection) -> None:
        """Close the connection of a thread that has ended."""
        with self._lock:
            self._all.discard(conn)
        conn.close()

    def open_connections(self) -> int:
        with self._lock:
            return len(self._all)

    @contextlib.contextmanager
    def transaction(self, immediate: bool = True) -> Iterator[sqlite3.Connection]:
        """A transaction that commits on success and rolls back on any exception.

        ``immediate`` takes the write lock up front, so a read-then-write transaction
        never fails half-way with SQLITE_BUSY.
        """
        conn = self.connection()
        if not immediate:
            yield from self._run(conn, "BEGIN")
            return
        owner: _Owner = self._local.owner
        if not owner.writes:
            conn.execute(f"PRAGMA cache_size={WRITER_CACHE_KIB}")
            owner.writes = True
        with self._write_lock, self._writer_file_lock():
            yield from self._run(conn, "BEGIN IMMEDIATE")
        self._checkpoint_if_due()

    def _checkpoint_if_due(self) -> None:
        """Copy the WAL back into the database once it has grown past
        ``WAL_CHECKPOINT_BYTES``, in a thread of its own and outside the write locks:
        writers, of this process or another, commit meanwhile, and the writer that
        found it due does not wait for it either."""
        now = time.monotonic()
        if now < self._next_checkpoint or (
                self._checkpointer is not None and self._checkpointer.is_alive()):
            return
        try:
            size = os.stat(self._wal_path).st_size
        except OSError:
            return
        if size >= WAL_CHECKPOINT_BYTES:
            # The file keeps its size until a writer starts it over: whatever happens,
            # at most one checkpoint per interval (each one syncs the file).
            self._next_checkpoint = now + CHECKPOINT_INTERVAL
            self._checkpointer = threading.Thread(target=self._checkpoint, daemon=True,
                                                  name="sqlite-checkpoint")
            self._checkpointer.start()

    def _checkpoint(self) -> None:
        # closed meanwhile, or busy: the next one catches up
        with contextlib.suppress(sqlite3.Error, BackendUnavailable):
            self.connection().execute("PRAGMA wal_checkpoint(PASSIVE)")

    def reclaim_free_pages(self, keep: int = 0) -> int:
        """Shrink the file by its free pages beyond ``keep``, ``RECLAIM_PAGES`` per short
        transaction (a file created before incremental vacuum keeps them for reuse).
        Returns how many pages were given back."""
        conn = self.connection()
        if conn.execute("PRAGMA auto_vacuum").fetchone()[0] != 2:  # 2 = incremental
            return 0
        reclaimed = 0
        pacer = Pacer(RECLAIM_PAGES)
        while True:
            with pacer.step() as pages, self.transaction() as conn:
                free = int(conn.execute("PRAGMA freelist_count").fetchone()[0])
                step = min(free - keep, pages)
                if step <= 0:
                    return reclaimed
                conn.execute(f"PRAGMA incremental_vacuum({step})").fetchall()
            reclaimed += step

    @contextlib.contextmanager
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
        if self._checkpointer is not None:
            self._checkpointer.join(timeout=30)
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
        with contextlib.suppress(sqlite3.Error, BackendUnavailable):  # gone either way
            conn.execute("ROLLBACK")
