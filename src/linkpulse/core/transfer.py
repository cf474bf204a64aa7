"""Moving links in and out.

Exporting reads every live link, a page at a time (bounded memory whatever the store's
size). Importing: every row goes through :func:`service.shorten`, the use case of
``POST /shorten``, with the row's code as the alias, so the URL rules, the alias rules
and the destination policy apply as they do to a link made over HTTP.

A code that is taken is never overwritten: a row whose code already leads to the same
URL counts as ``unchanged`` (so importing a file twice changes nothing the second time),
any other taken code is reported. ``dry_run`` runs every check against a store that
writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace

from linkpulse.core import manage, service
from linkpulse.core.errors import AliasTaken, CodeTaken, LinkpulseError
from linkpulse.core.formats import BadRow, Parsed, Row
from linkpulse.core.models import Link, LinkQuery
from linkpulse.core.policy import DestinationPolicy
from linkpulse.core.ports import ManagedLinkStore

EXPORT_PAGE = 500


def all_links(store: ManagedLinkStore, page: int = EXPORT_PAGE) -> Iterator[Link]:
    """Every live link, newest first, read ``page`` links at a time (keyset pages: links
    added meanwhile neither repeat nor shift a page)."""
    after: tuple[int, str] | None = None
    while True:
        links = store.query(LinkQuery(after=after, limit=page))
        yield from links
        if len(links) < page:
            return
        after = (links[-1].created_at, links[-1].code)


@dataclass
class ImportReport:
    created: int = 0
    unchanged: int = 0
    problems: list[BadRow] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return self.created + self.unchanged + len(self.problems)


class _DryRun:
    """A link store that answers reads from ``store`` and remembers, without writing,
    the codes a dry run would have created."""

    def __init__(self, store: ManagedLinkStore) -> None:
        self._store = store
        self._made: dict[str, Link] = {}

    def get(self, code: str) -> Link | None:
        return self._made.get(code) or self._store.get(code)

    def create_if_absent(self, link: Link) -> None:
        if self.get(link.code) is not None:
            raise CodeTaken(link.code)
        self._made[link.code] = link

    def update(self, link: Link) -> None:
        self._made[link.code] = link


def import_links(
    store: ManagedLinkStore, rows: Iterable[Parsed], *, owner: str | None = None,
    policy: DestinationPolicy | None = None, code_length: int = 7, dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    target: ManagedLinkStore | _DryRun = _DryRun(store) if dry_run else store
    report = ImportReport()
    for row in rows:
        if isinstance(row, BadRow):
            report.problems.append(row)
        else:
            try:
                if _import_row(target, row, owner, policy, code_length):
                    report.created += 1
                else:
                    report.unchanged += 1
            except LinkpulseError as exc:
                report.problems.append(BadRow(row.line, _reason(row, exc)))
        if progress is not None:
            progress(1)
    return report


def _import_row(store: ManagedLinkStore | _DryRun, row: Row, owner: str | None,
                policy: DestinationPolicy | None, code_length: int) -> bool:
    """Create the row's link; False if its code already leads to the same URL."""
    try:
        link = service.shorten(
            store, row.url, alias=row.code, expires_at=row.expires_at,
            code_length=code_length, now=row.created_at, owner=owner,
            title=manage.validate_title(row.title), tags=manage.validate_tags(list(row.tags)),
            forward_query=row.forward_query, policy=policy,
        )
    except AliasTaken:
        existing = store.get(row.code or "")
        if existing is not None and not existing.deleted and existing.url == row.url:
            return False
        raise
    if row.disabled:
        store.update(replace(link, disabled=True))
    return True


def _reason(row: Row, exc: LinkpulseError) -> str:
    if isinstance(exc, AliasTaken):
        return f"code {row.code!r} is taken by another link; skipped, not overwritten"
    return f"code {row.code!r}: {exc}" if row.code else str(exc)
