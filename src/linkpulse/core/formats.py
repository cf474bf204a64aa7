"""Link files: linkpulse's own export (CSV or JSON Lines) and the exports of other
shorteners (Shlink's CSV, YOURLS's ``yourls_url`` table as CSV, Kutt's and Bitly's API
JSON), read into :class:`Row` objects. Pure parsing: the caller hands in the text.

Each reader yields, per record, either a :class:`Row` or a :class:`BadRow` with the line
number (the record's index for JSON documents) and the reason, so an import can report
every bad record and still land the good ones.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from linkpulse.core.models import Link
from linkpulse.core.streams import csv_lines, json_lines

FORMATS = ("linkpulse", "shlink", "yourls", "kutt", "bitly")
EXPORT_COLUMNS = ("code", "url", "title", "tags", "created_at", "expires_at", "disabled",
                  "forward_query", "owner")


@dataclass(frozen=True, slots=True)
class Row:
    line: int
    code: str | None
    url: object
    title: str | None = None
    tags: tuple[str, ...] = ()
    created_at: int | None = None
    expires_at: int | None = None
    disabled: bool = False
    forward_query: bool = False


@dataclass(frozen=True, slots=True)
class BadRow:
    line: int
    reason: str


Parsed = Row | BadRow


# --- export --------------------------------------------------------------------------


def export_record(link: Link) -> dict[str, Any]:
    return {"code": link.code, "url": link.url, "title": link.title, "tags": list(link.tags),
            "created_at": link.created_at, "expires_at": link.expires_at,
            "disabled": link.disabled, "forward_query": link.forward_query,
            "owner": link.owner}


def to_jsonl(links: Iterable[Link]) -> Iterator[str]:
    return json_lines(export_record(link) for link in links)


def _csv_row(link: Link) -> list[Any]:
    r = export_record(link)
    r["tags"] = "|".join(r["tags"])
    return ["" if r[c] is None else str(r[c]).lower() if isinstance(r[c], bool) else r[c]
            for c in EXPORT_COLUMNS]


def to_csv(links: Iterable[Link]) -> Iterator[str]:
    """CSV with a header; tags pipe-separated, booleans as true/false, no value = empty."""
    return csv_lines(EXPORT_COLUMNS, (_csv_row(link) for link in links))


# --- import --------------------------------------------------------------------------


def read(text: str, fmt: str) -> Iterator[Parsed]:
    """Every record of ``text`` in format ``fmt`` (one of :data:`FORMATS`)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")
    if fmt == "linkpulse":
        return _linkpulse(text)
    return {"shlink": _shlink, "yourls": _yourls, "kutt": _kutt, "bitly": _bitly}[fmt](text)


def _linkpulse(text: str) -> Iterator[Parsed]:
    if text.lstrip().startswith("{"):
        yield from _jsonl(text)
    else:
        yield from _csv_rows(text, _from_export_csv)


def _jsonl(text: str) -> Iterator[Parsed]:
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            if not isinstance(data, dict):
                raise ValueError("not a JSON object")
            yield Row(number, _code(data.get("code")), data.get("url"),
                      _text(data.get("title")), _tags(data.get("tags")),
                      _epoch(data.get("created_at")), _epoch(data.get("expires_at")),
                      data.get("disabled") is True, data.get("forward_query") is True)
        except (ValueError, TypeError) as exc:
            yield BadRow(number, f"malformed record: {exc}")


def _from_export_csv(number: int, r: dict[str, str]) -> Row:
    return Row(number, _code(r.get("code")), r.get("url"), _text(r.get("title")),
               _tags((r.get("tags") or "").split("|")), _epoch(r.get("created_at")),
               _epoch(r.get("expires_at")), (r.get("disabled") or "") == "true",
               (r.get("forward_query") or "") == "true")


def _shlink(text: str) -> Iterator[Parsed]:
    def row(number: int, r: dict[str, str]) -> Row:
        return Row(number, _code(r.get("short code")), r.get("long url"),
                   _text(r.get("title")), _tags((r.get("tags") or "").split("|")))

    return _csv_rows(text, row, required=("long url", "short code"))


def _yourls(text: str) -> Iterator[Parsed]:
    def row(number: int, r: dict[str, str]) -> Row:
        return Row(number, _code(r.get("keyword")), r.get("url"), _text(r.get("title")),
                   created_at=_epoch(r.get("timestamp")))

    return _csv_rows(text, row, required=("keyword", "url"))


def _kutt(text: str) -> Iterator[Parsed]:
    """Kutt's ``GET /api/v2/links`` answer (``{"data": [...]}``, or the list alone)."""
    def row(number: int, r: dict[str, Any]) -> Row:
        return Row(number, _code(r.get("address")), r.get("target"),
                   _text(r.get("description")), created_at=_epoch(r.get("created_at")))

    return _json_records(text, "data", row)


def _bitly(text: str) -> Iterator[Parsed]:
    """Bitly's ``GET /v4/groups/{group}/bitlinks`` answer (``{"links": [...]}``): the code
    is what follows the domain in ``id`` (``bit.ly/3xAmPle``)."""
    def row(number: int, r: dict[str, Any]) -> Row:
        ident = r.get("id")
        code = ident.rsplit("/", 1)[-1] if isinstance(ident, str) else None
        return Row(number, _code(code), r.get("long_url"), _text(r.get("title")),
                   _tags(r.get("tags")), _epoch(r.get("created_at")),
                   disabled=r.get("archived") is True)

    return _json_records(text, "links", row)


def _csv_rows(text: str, make: Callable[[int, dict[str, str]], Row],
              required: tuple[str, ...] = ("code", "url")) -> Iterator[Parsed]:
    lines = text.splitlines()
    header = lines[0] if lines else ""
    delimiter = ";" if header.count(";") > header.count(",") else ","
    reader = csv.reader(lines, delimiter=delimiter)
    try:
        columns = [c.strip().lower().strip("`") for c in next(reader)]
    except StopIteration:
        yield BadRow(1, "empty file")
        return
    missing = [c for c in required if c not in columns]
    if missing:
        yield BadRow(1, f"header lacks column(s): {', '.join(missing)}")
        return
    for values in reader:
        number = reader.line_num
        if not any(v.strip() for v in values):
            continue
        if len(values) != len(columns):
            yield BadRow(number, f"{len(values)} fields where the header has {len(columns)}")
            continue
        try:
            yield make(number, dict(zip(columns, values, strict=True)))
        except (ValueError, TypeError) as exc:
            yield BadRow(number, f"malformed record: {exc}")


def _json_records(text: str, key: str, make: Callable[[int, dict[str, Any]], Row]
                  ) -> Iterator[Parsed]:
    try:
        doc = json.loads(text)
    except ValueError as exc:
        yield BadRow(getattr(exc, "lineno", 1), f"not JSON: {exc}")
        return
    records = doc.get(key) if isinstance(doc, dict) else doc
    if not isinstance(records, list):
        yield BadRow(1, f"expected a list of links (or an object with {key!r})")
        return
    for number, record in enumerate(records, 1):
        if not isinstance(record, dict):
            yield BadRow(number, "record is not a JSON object")
            continue
        try:
            yield make(number, record)
        except (ValueError, TypeError) as exc:
            yield BadRow(number, f"malformed record: {exc}")


def _code(value: object) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError("the code is not a string")
    return value.strip()


def _text(value: object) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError("the title is not a string")
    return value


def _tags(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list | tuple) or not all(isinstance(t, str) for t in value):
        raise ValueError("tags are not a list of strings")
    return tuple(t.strip() for t in value if t.strip())


def _epoch(value: object) -> int | None:
    """Epoch seconds from a number or an ISO 8601 / SQL date-time (UTC when unzoned)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError("a date is not true or false")
    if isinstance(value, int | float):
        return int(value)
    if not isinstance(value, str):
        raise ValueError("a date is not a string or a number")
    text = value.strip()
    if text.isdigit():
        return int(text)
    if text[-5:-4] in "+-" and text[-4:].isdigit():  # Bitly's +0000
        text = f"{text[:-2]}:{text[-2:]}"
    when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return int((when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp())
