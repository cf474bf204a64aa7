"""Records streamed as text a line at a time: JSON Lines, or CSV with a header line.

Both the link export and the click export answer with these, so a large answer is never
held in memory whole.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any


def json_lines(records: Iterable[Mapping[str, Any]]) -> Iterator[str]:
    """One JSON object a line; text stays as it is (no ``\\u`` escapes)."""
    for record in records:
        yield json.dumps(record, ensure_ascii=False) + "\n"


def csv_lines(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """A header line, then one line a row; an empty export is the header alone."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(row)
        yield out.getvalue()
        out.seek(0)
        out.truncate()
    if out.getvalue():
        yield out.getvalue()
