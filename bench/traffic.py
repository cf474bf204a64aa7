"""The reference traffic mix: the one generator every benchmark and cost replay uses.

Realistic traffic is what makes costs show: 10,000 links, ~5,000 user agents and ~2,000
referers, each with Zipf(1) popularity (a few very popular, a long tail), bots included
(~8% of clicks), random client IPs, clicks time-ordered over many days. Low-cardinality
traffic (one hot link, a handful of agents) hides the costs that matter; benchmarks may
show it only as a labelled extra row.

Everything is deterministic for a given seed, so two runs replay the same traffic.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

LINKS = 10_000
USER_AGENTS = 5_000
REFERERS = 2_000
BOT_SHARE = 0.08
"""Share of user agents drawn from the bot families, by popularity weight."""
DAYS = 30

_BROWSERS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/{major}.0.{build}.{patch} Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/{major}.0.{build}.{patch} Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64; rv:{major}.0) Gecko/20100101 Firefox/{major}.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:{major}.0) Gecko/20100101 Firefox/{major}.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_{patch} like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.{build} Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; SM-S9{patch}B) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/{major}.0.{build}.{patch} Mobile Safari/537.36",
    "Mozilla/5.0 (iPad; CPU OS 17_{patch} like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.{build} Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_{patch}) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.{build} Safari/605.1.15",
)
_BOTS = (
    "Mozilla/5.0 (compatible; Googlebot/2.{patch}; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.{patch}; +http://www.bing.com/bingbot.htm)",
    "Twitterbot/1.{patch}",
    "facebookexternalhit/1.{patch} (+http://www.facebook.com/externalhit_uatext.php)",
    "Slackbot-LinkExpanding 1.{patch} (+https://api.slack.com/robots)",
    "curl/8.{build}.{patch}",
    "python-requests/2.{build}.{patch}",
    "Go-http-client/1.{patch}",
)
_REFERER_HOSTS = (
    "www.google.com", "t.co", "news.ycombinator.com", "www.reddit.com", "www.linkedin.com",
    "l.facebook.com", "duckduckgo.com", "www.bing.com", "mail.google.com", "github.com",
    "lobste.rs", "mastodon.social", "out.reddit.com", "away.vk.com", "substack.com",
)


def zipf_weights(n: int, s: float = 1.0) -> list[float]:
    """Cumulative Zipf(s) weights of ranks 1..n, for ``random.choices(cum_weights=...)``."""
    return list(itertools.accumulate(1.0 / (rank ** s) for rank in range(1, n + 1)))


def user_agents(n: int = USER_AGENTS, seed: int = 7) -> list[str]:
    """``n`` distinct user agents, most popular first; about ``BOT_SHARE`` of the weight
    falls on bots (spread through the ranks, as crawlers are)."""
    rng = random.Random(seed)
    out: list[str] = []
    seen: set[str] = set()
    while len(out) < n:
        family = _BOTS if rng.random() < BOT_SHARE else _BROWSERS
        ua = rng.choice(family).format(major=rng.randint(100, 131), build=rng.randint(0, 6999),
                                       patch=rng.randint(0, 199))
        if ua not in seen:
            seen.add(ua)
            out.append(ua)
    return out


def referers(n: int = REFERERS, seed: int = 11) -> list[str]:
    """``n`` distinct referers, most popular first; the most popular is none at all."""
    rng = random.Random(seed)
    out = [""]
    seen = {""}
    while len(out) < n:
        host = rng.choice(_REFERER_HOSTS)
        ref = f"https://{host}/" if rng.random() < 0.2 else (
            f"https://{host}/{rng.choice('abcdefghijklmnop')}/{rng.randint(1, 10**6)}")
        if ref not in seen:
            seen.add(ref)
            out.append(ref)
    return out


@dataclass(frozen=True, slots=True)
class Hit:
    """One click of the mix: which link (its rank, 0 = most popular), who, from where, when."""

    link: int
    user_agent: str
    referer: str
    ip: str
    timestamp: float


class ReferenceMix:
    """The reference traffic mix, deterministic for a seed.

    ``hits(n)`` yields ``n`` clicks time-ordered over ``days`` days ending at ``end``;
    ``paths(codes, n)`` gives request paths for a load generator.
    """

    def __init__(self, links: int = LINKS, n_user_agents: int = USER_AGENTS,
                 n_referers: int = REFERERS, *, days: int = DAYS, end: float | None = None,
                 seed: int = 1) -> None:
        self.links = links
        self.user_agents = user_agents(n_user_agents)
        self.referers = referers(n_referers)
        self.days = days
        self.end = 1_790_000_000.0 if end is None else end
        self.seed = seed
        self._link_weights = zipf_weights(links)
        self._ua_weights = zipf_weights(len(self.user_agents))
        self._ref_weights = zipf_weights(len(self.referers))

    def link_ranks(self, n: int, rng: random.Random | None = None) -> list[int]:
        rng = rng or random.Random(self.seed)
        return rng.choices(range(self.links), cum_weights=self._link_weights, k=n)

    def hits(self, n: int, chunk: int = 50_000) -> Iterator[Hit]:
        """``n`` clicks in time order, drawn in chunks (fast: ~2 us a click)."""
        rng = random.Random(self.seed)
        start = self.end - self.days * 86_400
        step = (self.end - start) / max(n, 1)
        done = 0
        while done < n:
            k = min(chunk, n - done)
            ranks = rng.choices(range(self.links), cum_weights=self._link_weights, k=k)
            uas = rng.choices(self.user_agents, cum_weights=self._ua_weights, k=k)
            refs = rng.choices(self.referers, cum_weights=self._ref_weights, k=k)
            for i in range(k):
                ip = (f"{rng.randint(1, 223)}.{rng.randint(0, 255)}."
                      f"{rng.randint(0, 255)}.{rng.randint(1, 254)}")
                yield Hit(ranks[i], uas[i], refs[i], ip, start + (done + i) * step)
            done += k

    def paths(self, codes: Sequence[str], n: int = 100_000) -> list[str]:
        """``n`` redirect paths over ``codes`` (rank order) with the mix's popularity."""
        weights = self._link_weights if len(codes) == self.links else zipf_weights(len(codes))
        rng = random.Random(self.seed)
        return ["/" + codes[i] for i in rng.choices(range(len(codes)), cum_weights=weights,
                                                    k=n)]
