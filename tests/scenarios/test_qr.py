"""QR codes of short links (`GET /api/v1/links/{code}/qr`), on every target."""

from __future__ import annotations

import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from tests.scenarios.conftest import Client, Target
from tests.scenarios.test_keys import KeyClient

ZBARIMG = shutil.which("zbarimg")


@pytest.fixture
def owner(client: Client, target: Target) -> KeyClient:
    return KeyClient(client, target.key(f"qr-{uuid.uuid4().hex[:8]}"))


def decode(png: bytes, tmp_path: Path) -> str:
    """What a phone's camera would read: the text zbarimg finds in the image."""
    assert ZBARIMG is not None, "zbarimg is missing (Debian: zbar-tools)"
    image = tmp_path / "code.png"
    image.write_bytes(png)
    done = subprocess.run([ZBARIMG, "--raw", "-q", str(image)], capture_output=True,
                          text=True, timeout=30, check=True)
    return done.stdout.strip()


def test_the_png_decodes_to_the_short_url(owner: KeyClient, tmp_path: Path) -> None:
    link = owner.create("https://example.com/printed")
    reply = owner.call("GET", f"/api/v1/links/{link['code']}/qr?format=png&size=6&ecc=H")
    assert reply.status == 200, reply
    assert reply.headers["content-type"] == "image/png"
    assert reply.body.startswith(b"\x89PNG\r\n\x1a\n")
    assert decode(reply.body, tmp_path) == link["short_url"]


def test_svg_is_the_default_and_grows_with_size_and_margin(owner: KeyClient) -> None:
    code = owner.create()["code"]
    small = owner.call("GET", f"/api/v1/links/{code}/qr")
    assert small.status == 200, small
    assert small.headers["content-type"] == "image/svg+xml"
    assert small.body.lstrip().startswith(b"<svg")
    large = owner.call("GET", f"/api/v1/links/{code}/qr?format=svg&size=20&margin=8")
    width = lambda svg: int(svg.split(b'width="', 1)[1].split(b'"', 1)[0])  # noqa: E731
    assert width(large.body) > 2 * width(small.body)


@pytest.mark.parametrize("query", [
    "format=gif", "size=100000", "size=0", "size=-1", "size=x", "margin=17", "ecc=Z",
    "color=red", "format=png&logo=https://evil.example/x.png", "size=%EF%BC%95",
])
def test_bad_options_are_a_400(owner: KeyClient, query: str) -> None:
    code = owner.create()["code"]
    reply = owner.call("GET", f"/api/v1/links/{code}/qr?{query}")
    assert reply.status == 400, (query, reply)
    assert "error" in reply.json()


def test_another_keys_link_or_no_key_gets_no_code(owner: KeyClient, client: Client,
                                                  target: Target) -> None:
    code = owner.create()["code"]
    stranger = KeyClient(client, target.key(f"stranger-{uuid.uuid4().hex[:8]}"))
    assert stranger.call("GET", f"/api/v1/links/{code}/qr").status == 404
    assert client.request("GET", f"/api/v1/links/{code}/qr").status == 401
    creator = KeyClient(client, target.key(f"maker-{uuid.uuid4().hex[:8]}",
                                           scopes=["links:create"]))
    assert creator.call("GET", f"/api/v1/links/{code}/qr").status == 403
    assert owner.call("GET", "/api/v1/links/nope123/qr").status == 404
