"""URL validation and code rules."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from linkpulse.core import codes
from linkpulse.core.errors import InvalidInput
from linkpulse.core.urls import validate_url


@pytest.mark.parametrize("url", [
    "https://example.com", "http://example.com/a?b=c#d", "HTTPS://EXAMPLE.COM/X",
    "https://example.com:8443/path", "http://[2001:db8::1]/", "http://127.0.0.1:8000/x",
    "https://bücher.example/", "https://example.com/%E2%9C%93",
])
def test_valid_urls_are_accepted(url: str) -> None:
    original, location = validate_url(url)
    assert original == url
    assert location.isascii()


@pytest.mark.parametrize("url", [
    "javascript:alert(1)", "data:text/html,x", "file:///etc/passwd", "ftp://example.com/",
    "mailto:a@example.com", "//example.com/x", "example.com", "https://", "https:///x",
    "https://exa mple.com", "https://example.com/\nx", "https://example.com/\u200bx",
    "https://u:p@example.com/", "https://example.com:0x50/", "",
    "https://example.com/" + "x" * 3000,
])
def test_invalid_urls_are_refused(url: str) -> None:
    with pytest.raises(InvalidInput):
        validate_url(url)


@pytest.mark.parametrize("value", [None, 1, 1.5, [], {}, b"https://example.com"])
def test_non_string_urls_are_refused(value: object) -> None:
    with pytest.raises(InvalidInput, match="must be a string"):
        validate_url(value)


def test_idn_host_becomes_punycode_in_location() -> None:
    assert validate_url("https://münchen.example/ä")[1] == "https://xn--mnchen-3ya.example/%C3%A4"


@given(st.text(max_size=300))
def test_location_never_carries_whitespace_or_control_characters(text: str) -> None:
    try:
        _, location = validate_url("https://example.com/" + text)
    except InvalidInput:
        return
    assert all(0x21 <= ord(ch) < 0x7F for ch in location)


def test_generated_codes_are_base62_of_the_asked_length() -> None:
    for length in (1, 7, 12):
        code = codes.generate_code(length)
        assert len(code) == length
        assert set(code) <= set(codes.BASE62)


@pytest.mark.parametrize(("code", "ok"), [
    ("abc1234", True), ("my-alias_2", True), ("a" * 32, True), ("a" * 33, False),
    ("", False), ("a.b", False), ("a b", False), ("é", False), ("a/b", False),
])
def test_could_exist_guards_the_store(code: str, ok: bool) -> None:
    assert codes.could_exist(code) is ok


@pytest.mark.parametrize("alias", ["shorten", "STATS", "Healthz", "api", "static", "openapi"])
def test_reserved_aliases_are_refused(alias: str) -> None:
    with pytest.raises(InvalidInput, match="reserved"):
        codes.validate_alias(alias)
