"""Country lookups from offline databases: no network access, ever.

:class:`RegistryCountries` (the default) asks ``iptocc``, which embeds the five Regional
Internet Registries' allocation data in its wheel (the country a block is assigned to,
~0.1 us a lookup). :class:`MaxMindCountries` reads a MaxMind ``.mmdb`` the operator has
(``LINKPULSE_GEOIP_DB``), for the country where a block is used.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def _iso(code: object) -> str:
    return code.upper() if isinstance(code, str) and len(code) == 2 and code.isalpha() else ""


class RegistryCountries:
    def __init__(self) -> None:
        from iptocc import country_code

        self._lookup = country_code

    def country(self, ip: str) -> str:
        try:
            return _iso(self._lookup(ip))
        except (ValueError, TypeError):  # not an address
            return ""


class MaxMindCountries:
    def __init__(self, path: Path) -> None:
        import maxminddb

        self._reader: Any = maxminddb.open_database(str(path))

    def country(self, ip: str) -> str:
        try:
            record = self._reader.get(ip)
        except (ValueError, TypeError):
            return ""
        if not isinstance(record, dict):
            return ""
        place = record.get("country") or record.get("registered_country") or {}
        return _iso(place.get("iso_code")) if isinstance(place, dict) else ""

    def close(self) -> None:
        self._reader.close()
