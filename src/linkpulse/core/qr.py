"""QR codes of short URLs: the options a caller may choose, checked, and the image.

A QR code only ever encodes the link's own short URL, in black on white: callers choose
the format, the module size, the quiet zone and the error correction level, never
colours, logos or the content, so nobody can mint a linkpulse-looking code that points
elsewhere. segno computes the symbol and writes SVG and PNG itself (pure Python).
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass

import segno

from linkpulse.core.errors import InvalidInput

FORMATS = {"svg": "image/svg+xml", "png": "image/png"}
ECC_LEVELS = ("L", "M", "Q", "H")
SIZE_RANGE = (1, 40)
"""Pixels per module: 40 gives a ~1,500 px image for a short URL."""
MARGIN_RANGE = (0, 16)
"""Quiet zone in modules (the standard asks for 4)."""
QUERY = ("format", "size", "margin", "ecc")


@dataclass(frozen=True, slots=True)
class QrOptions:
    format: str = "svg"
    size: int = 8
    margin: int = 4
    ecc: str = "M"

    @property
    def media_type(self) -> str:
        return FORMATS[self.format]


def _bounded(query: Mapping[str, str], name: str, default: int,
             bounds: tuple[int, int]) -> int:
    text = query.get(name)
    if text is None:
        return default
    low, high = bounds
    if not (text.isascii() and text.isdigit() and len(text) <= 3 and low <= int(text) <= high):
        raise InvalidInput(f"'{name}' must be an integer from {low} to {high}")
    return int(text)


def options(query: Mapping[str, str]) -> QrOptions:
    """The options of a QR request's query string; a bad value is :class:`InvalidInput`."""
    kind = query.get("format", "svg")
    if kind not in FORMATS:
        raise InvalidInput(f"'format' must be one of: {', '.join(FORMATS)}")
    ecc = query.get("ecc", "M").upper()
    if ecc not in ECC_LEVELS:
        raise InvalidInput(f"'ecc' must be one of: {', '.join(ECC_LEVELS)}")
    return QrOptions(kind, _bounded(query, "size", 8, SIZE_RANGE),
                     _bounded(query, "margin", 4, MARGIN_RANGE), ecc)


def render(url: str, opts: QrOptions) -> bytes:
    """The QR code of ``url`` as ``opts.format`` (black modules on white).

    The error correction level is at least ``opts.ecc``: segno raises it when the symbol
    has room to spare, which only makes the code more robust."""
    symbol = segno.make_qr(url, error=opts.ecc)
    out = io.BytesIO()
    if opts.format == "svg":
        symbol.save(out, kind="svg", scale=opts.size, border=opts.margin, xmldecl=False,
                    svgns=True, svgclass=None, lineclass=None, omitsize=False)
    else:
        symbol.save(out, kind="png", scale=opts.size, border=opts.margin)
    return out.getvalue()
