"""Rate limits: ``N/second|minute|hour`` per client, enforced with GCRA.

The generic cell rate algorithm keeps one number per client, the *theoretical arrival
time* (TAT): each allowed request pushes it ``period / N`` into the future, and a
request is refused while the TAT is more than ``period`` ahead of now. It allows a burst
of N, then one request every ``period / N``, with no window edge where twice the limit
gets through (a fixed per-minute counter lets 2N pass around the minute's turn). The
store only has to read and write the one number atomically, so the limit holds across
every worker process that shares it.

The store sees a digest of the client (``create:<32 hex>``), never its address or key id:
no raw IP is stored, even for the one period a row lives.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass

from linkpulse.core.errors import InvalidInput, RateLimited
from linkpulse.core.ports import RateStore

PERIODS = {"second": 1.0, "minute": 60.0, "hour": 3600.0}
_RATE = re.compile(r"\s*(\d+)\s*/\s*(second|minute|hour)\s*")


@dataclass(frozen=True, slots=True)
class Rate:
    count: int
    period: float

    @property
    def interval(self) -> float:
        return self.period / self.count


def parse_rate(text: str) -> Rate | None:
    """``"10/minute"`` -> Rate(10, 60.0); ``"off"`` or ``""`` -> None (no limit)."""
    if text.strip().lower() in ("", "off", "0", "none"):
        return None
    match = _RATE.fullmatch(text.lower())
    if match is None or int(match[1]) < 1:
        raise InvalidInput(f"{text!r} is not a rate like 10/minute")
    return Rate(int(match[1]), PERIODS[match[2]])


def gcra(tat: float | None, now: float, rate: Rate) -> tuple[float, float]:
    """One request at ``now`` against a stored TAT (None: never seen).

    Returns ``(new tat, retry after)``: a retry-after of 0 means allowed (store the new
    TAT); otherwise the request is refused and the stored TAT must stay as it was.
    """
    current = now if tat is None or tat < now else tat
    ahead = current + rate.interval - now
    if ahead > rate.period + 1e-9:
        return current, ahead - rate.period
    return current + rate.interval, 0.0


class RateLimiter:
    """Refuses (:class:`RateLimited`, 429) a client over ``rate``."""

    def __init__(self, store: RateStore, rate: Rate, scope: str) -> None:
        self.store = store
        self.rate = rate
        self.scope = scope

    def check(self, client: str | None, now: float) -> None:
        if not client:
            return  # the CLI, or an edge that cannot tell who is calling
        digest = hashlib.blake2b(client.encode("utf-8", "surrogatepass"), digest_size=16,
                                 person=b"linkpulse-rate").hexdigest()
        retry_after = self.store.acquire(f"{self.scope}:{digest}", self.rate, now)
        if retry_after > 0:
            raise RateLimited(math.ceil(retry_after))
