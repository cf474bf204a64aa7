"""Online backups of the embedded store, and restoring one.

A backup is taken with SQLite's online backup API, in one step: it reads a consistent
snapshot of the file inside one read transaction, which in WAL mode blocks no writer, so
``serve`` keeps answering (and its consumer keeps committing) while it runs. Copying the
files with ``cp`` is not a backup: the WAL holds committed pages the main file has not
received yet.

Two files are backed up, the queue first, then the links and analytics database. In
that order every click is counted exactly once after a restore: a click in the queue
snapshot is either already counted in the database snapshot (the consumer then skips it
again by its click id) or counted after the restore; a click the consumer had recorded
and deleted from the queue before the queue was copied is in the database snapshot,
which was taken later. Clicks that reached the queue after the backup began are not in
it: restoring goes back to that moment.

Each backup is written to a temporary file next to its destination, switched to a
rollback journal (one self-contained file) and renamed into place, so a destination
never holds half a backup.
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from linkpulse.backends.sqlite.db import FILE_MODE
from linkpulse.backends.sqlite.instance import InstanceRunning, exclusive


class BackupError(Exception):
    """A backup or a restore could not be done (the message says why)."""


@dataclass(frozen=True, slots=True)
class FileCopy:
    source: Path
    destination: Path
    bytes: int


def queue_companion(path: Path) -> Path:
    """Where the queue's copy sits next to a database file (as ``Settings.queue_path``)."""
    return path.with_name(f"{path.stem}.queue.db")


def backup(db: Path, queue: Path, destination: Path, *, force: bool = False
           ) -> list[FileCopy]:
    """Back up the queue, then the database, to ``destination`` and its queue companion."""
    if not db.exists():
        raise BackupError(f"{db} does not exist")
    targets = [(queue, queue_companion(destination)), (db, destination)]
    if not force:
        taken = [str(t) for s, t in targets if t.exists() and s.exists()]
        if taken:
            raise BackupError(f"{', '.join(taken)} already exist(s); pass --force to "
                              "overwrite")
    return [_copy(source, target) for source, target in targets if source.exists()]


def _copy(source: Path, target: Path) -> FileCopy:
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    partial.unlink(missing_ok=True)
    os.close(os.open(partial, os.O_RDWR | os.O_CREAT | os.O_EXCL, FILE_MODE))
    try:
        with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as src, \
                closing(sqlite3.connect(partial)) as dst:
            src.execute("PRAGMA busy_timeout=10000")
            src.backup(dst)  # one step: one consistent snapshot
            dst.execute("PRAGMA journal_mode=DELETE")
            _check_integrity(dst, partial)
        os.replace(partial, target)
    except sqlite3.Error as exc:
        raise BackupError(f"backing up {source} failed: {exc}") from exc
    finally:
        partial.unlink(missing_ok=True)
    return FileCopy(source, target, target.stat().st_size)


def _check_integrity(conn: sqlite3.Connection, path: Path) -> None:
    verdict = conn.execute("PRAGMA integrity_check").fetchone()[0]
    if verdict != "ok":
        raise BackupError(f"{path} fails PRAGMA integrity_check: {verdict}")


def restore(source: Path, db: Path, queue: Path) -> list[FileCopy]:
    """Replace ``db`` (and ``queue``, if the backup has its companion) with a backup.

    Refused while a ``serve`` or ``worker`` uses ``db``; while it runs, none can start."""
    if not source.is_file():
        raise BackupError(f"{source} is not a file")
    pairs = [(source, db)]
    if queue_companion(source).is_file():
        pairs.append((queue_companion(source), queue))
    for src, _ in pairs:
        _verify_backup(src)
    db.parent.mkdir(parents=True, exist_ok=True)
    try:
        with exclusive(db):
            return [_restore_file(src, target) for src, target in pairs]
    except InstanceRunning as exc:
        raise BackupError(str(exc)) from exc


def _verify_backup(path: Path) -> None:
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            _check_integrity(conn, path)
            tables = {r[0] for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.Error as exc:
        raise BackupError(f"{path} is not a SQLite database: {exc}") from exc
    if not tables & {"links", "messages"}:
        raise BackupError(f"{path} is not a linkpulse backup (no links or queue tables)")


def _restore_file(source: Path, target: Path) -> FileCopy:
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        os.close(os.open(target, os.O_RDWR | os.O_CREAT | os.O_EXCL, FILE_MODE))
    try:
        with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as src, \
                closing(sqlite3.connect(target)) as dst:
            dst.execute("PRAGMA busy_timeout=10000")
            src.backup(dst)  # through SQLite: the target's WAL is rewritten, not left stale
            dst.execute("PRAGMA journal_mode=WAL")
            dst.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except sqlite3.Error as exc:
        raise BackupError(f"restoring {target} failed: {exc}") from exc
    return FileCopy(source, target, source.stat().st_size)
