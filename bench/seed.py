"""Fast seeding through the real adapters: links, click messages, recorded clicks."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from pathlib import Path

from bench.traffic import ReferenceMix
from linkpulse import bootstrap
from linkpulse.bootstrap import Components
from linkpulse.core import codes
from linkpulse.core.clicks import encode_event, make_event
from linkpulse.core.models import Click
from linkpulse.core.service import enrich
from linkpulse.settings import Settings

USER_AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:124.0) Gecko/20100101 Firefox/124.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "curl/8.5.0",
]
REFERERS = ["", "https://news.ycombinator.com/", "https://www.google.com/",
            "https://t.co/abc", "https://www.reddit.com/r/python/"]


def settings(db: Path, **overrides: object) -> Settings:
    return Settings.from_env({}, db=db, **overrides)


def links(db: Path, n: int, url: str = "https://example.com/landing/page?ref=bench",
          given: list[str] | None = None) -> list[str]:
    """Insert ``n`` links with random 7-character codes (or the ``given`` codes) in one
    transaction; return the codes."""
    components = bootstrap.build(settings(db), buffered=False)
    made: set[str] = set(given or ())
    while len(made) < n:
        code = codes.generate_code(7)
        if not codes.is_reserved(code):
            made.add(code)
    now = int(time.time())
    store = components.links._inner  # type: ignore[attr-defined]  # the SQLite store
    with store.db.transaction() as conn:
        conn.executemany(
            "INSERT INTO links (code, url, location, created_at) VALUES (?, ?, ?, ?)",
            [(c, url, url, now) for c in made],
        )
    components.close()
    return sorted(made)


def _events(codes_: list[str], n: int, spread_days: float = 0.0) -> Iterator[Click]:
    now = time.time()
    rng = random.Random(42)
    for i in range(n):
        ts = now - spread_days * 86_400 * (n - i) / n
        yield enrich(make_event(rng.choice(codes_), rng.choice(USER_AGENTS),
                                rng.choice(REFERERS), f"10.0.{i % 256}.{i % 200}", ts))


def queue_messages(components: Components, codes_: list[str], n: int) -> None:
    """Put ``n`` click messages on the queue, as the redirect would, in big batches."""
    batch: list[str] = []
    for click in _events(codes_, n):
        batch.append(encode_event(click.event))
        if len(batch) == 10_000:
            components.queue.send_batch(batch)
            batch = []
    components.queue.send_batch(batch)


def queue_mix(components: Components, codes_: list[str], n: int, mix: ReferenceMix) -> None:
    """Put ``n`` click messages of the reference mix on the queue (link rank i is
    ``codes_[i]``), in big batches."""
    batch: list[str] = []
    for hit in mix.hits(n):
        batch.append(encode_event(make_event(codes_[hit.link], hit.user_agent, hit.referer,
                                             hit.ip, hit.timestamp)))
        if len(batch) == 10_000:
            components.queue.send_batch(batch)
            batch = []
    components.queue.send_batch(batch)


def record_clicks(components: Components, code: str, n: int, batch: int = 20_000) -> float:
    """Record ``n`` clicks of ``code`` through ``AnalyticsStore.record`` in big batches,
    spread over the last year; return the seconds it took."""
    started = time.perf_counter()
    chunk: list[Click] = []
    for click in _events([code], n, spread_days=365):
        chunk.append(click)
        if len(chunk) == batch:
            components.analytics.record(chunk)
            chunk = []
    if chunk:
        components.analytics.record(chunk)
    return time.perf_counter() - started
