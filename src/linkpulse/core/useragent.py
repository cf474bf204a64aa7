"""User-agent classification: browser family, OS family, device type, bot flag.

ua-parser does the matching; results are cached per distinct string because real
traffic repeats a small set of user agents.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from ua_parser import parse

_BOT_WORDS = re.compile(
    r"bot|crawl|spider|slurp|scrape|fetch|monitor|preview|curl|wget|python|httpx|aiohttp"
    r"|okhttp|go-http|java/|libwww|headless|phantom|lighthouse|facebookexternalhit|http-client",
    re.IGNORECASE,
)
_TABLET_WORDS = re.compile(r"ipad|tablet|kindle|silk|playbook|nexus (7|9|10)", re.IGNORECASE)
_MOBILE_OS = frozenset({"iOS", "Android", "Windows Phone", "BlackBerry OS", "KaiOS"})


class UAClass(NamedTuple):
    browser: str
    os: str
    device: str
    is_bot: bool


@lru_cache(maxsize=16_384)
def classify(user_agent: str) -> UAClass:
    if not user_agent:
        return UAClass("Unknown", "Unknown", "bot", True)
    result = parse(user_agent)
    browser = result.user_agent.family if result.user_agent else "Other"
    os_family = result.os.family if result.os else "Other"
    device_family = result.device.family if result.device else "Other"
    is_bot = device_family == "Spider" or _BOT_WORDS.search(user_agent) is not None
    if is_bot:
        device = "bot"
    elif _TABLET_WORDS.search(user_agent) or (
        os_family == "Android" and "Mobile" not in user_agent
    ):
        device = "tablet"
    elif os_family in _MOBILE_OS or "Mobile" in user_agent:
        device = "mobile"
    elif os_family in ("Other",) and browser == "Other":
        device = "other"
    else:
        device = "desktop"
    return UAClass(browser, os_family, device, is_bot)


def warm() -> None:
    """Load ua-parser's rules now (a second or more on a busy machine), not on the first
    click: the first click of a fresh consumer or event stream is then as fast as the rest."""
    classify("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0")
