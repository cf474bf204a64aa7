"""OpenAPI descriptions of the API. Documentation only: requests are parsed by
``linkpulse.api`` so that errors keep the ``{"error": ...}`` shape of the v1 API."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import FastAPI
from pydantic import BaseModel, Field

from linkpulse.routes import Route


class ErrorBody(BaseModel):
    error: str = Field(examples=["Short URL not found"])


class ShortenRequest(BaseModel):
    url: str = Field(description="http(s) URL to shorten", min_length=1, max_length=2048,
                     examples=["https://example.com/a/long/path"])
    alias: str | None = Field(None, description="custom code, 3-32 of A-Z a-z 0-9 - _",
                              pattern=r"^[A-Za-z0-9_-]{3,32}$")
    expires_at: int | None = Field(None, description="epoch seconds after which the link "
                                                     "stops redirecting (410)")


class ShortenResponse(BaseModel):
    code: str
    short_url: str
    original_url: str
    created_at: int
    expires_at: int | None = None


class UserAgentCount(BaseModel):
    user_agent: str
    count: int


class RefererCount(BaseModel):
    referer: str
    count: int


class NameCount(BaseModel):
    name: str
    count: int


class DayCount(BaseModel):
    day: str = Field(description="UTC date, YYYY-MM-DD")
    count: int
    unique_visitors: int = Field(description="distinct visitors of the day (a keyed hash "
                                             "of address and user agent, salt rotated "
                                             "daily)")


class CountryCount(BaseModel):
    country: str = Field(description="ISO 3166-1 alpha-2 code; ZZ unknown; `other` sums "
                                     "the countries past the top 10 (and any folded by "
                                     "the per-link daily cap)")
    count: int


class HourCount(BaseModel):
    hour: str = Field(description="UTC hour, YYYY-MM-DDTHH")
    count: int


class StatsRange(BaseModel):
    from_: str | None = Field(alias="from", description="the requested `from` (YYYY-MM-DD) "
                                                        "or null: all-time")
    to: str | None = Field(description="the requested `to`, or null")


class RecentClick(BaseModel):
    click_id: str
    timestamp: float
    user_agent: str
    referer: str
    ip: str = Field(description="anonymised: IPv4 /24, IPv6 /48")
    browser: str
    os: str
    device: str
    is_bot: bool
    country: str = Field(description="ISO 3166-1 alpha-2 code; ZZ unknown")


class StatsResponse(BaseModel):
    code: str
    short_url: str
    original_url: str
    created_at: int
    expires_at: int | None
    total_clicks: int
    human_clicks: int
    bot_clicks: int
    top_user_agents: list[UserAgentCount]
    top_referers: list[RefererCount]
    browsers: list[NameCount]
    os: list[NameCount]
    devices: list[NameCount]
    clicks_by_day: list[DayCount]
    recent_clicks_shown: int
    recent_clicks: list[RecentClick]
    countries: list[CountryCount] = Field(description="the top 10 countries by clicks, "
                                                      "then `other` with the rest")
    unique_visitors: int = Field(description="the sum of the daily unique visitors of the "
                                             "days counted (a visitor back on another day "
                                             "counts again)")
    clicks_by_hour: list[HourCount] = Field(description="hours with clicks, oldest first: "
                                                        "of the range if it is at most 31 "
                                                        "days (longer: empty), else of the "
                                                        "last 48 hours")
    range: StatsRange = Field(description="the range asked for (null: all-time)")


class Health(BaseModel):
    status: str
    version: str
    backend: str


class QueueDepth(BaseModel):
    visible: int
    in_flight: int
    dead_letters: int


class Clicks(BaseModel):
    total: int
    human: int
    bots: int


class LinkCreate(ShortenRequest):
    title: str | None = Field(None, max_length=200)
    tags: list[str] = Field(default_factory=list, max_length=20,
                            description="up to 20 tags of 1-40 characters")
    forward_query: bool = Field(False, description="append the redirect request's query "
                                                   "string to the target (UTM tags)")


class LinkPatch(BaseModel):
    """Only the fields given change; `title` and `expires_at` may be null (cleared)."""

    url: str = Field(None, min_length=1, max_length=2048)  # type: ignore[assignment]
    title: str | None = Field(None, max_length=200)
    tags: list[str] = Field(None, max_length=20)  # type: ignore[arg-type]
    expires_at: int | None = None
    disabled: bool = Field(None)  # type: ignore[assignment]
    forward_query: bool = Field(None)  # type: ignore[assignment]


class LinkOut(BaseModel):
    code: str
    short_url: str
    original_url: str
    title: str | None
    tags: list[str]
    created_at: int
    expires_at: int | None
    disabled: bool
    forward_query: bool
    owner: str | None = Field(description="id of the key that created the link")
    clicks: Clicks | None = None


class LinkPage(BaseModel):
    links: list[LinkOut]
    next: str | None = Field(description="pass as `cursor` for the next page; null at the end")


class KeyCreate(BaseModel):
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")
    scopes: list[Literal["links:create", "links:read", "links:write", "stats:read",
                         "admin"]] = Field(
        None, min_length=1, description="default: every scope but admin")  # type: ignore[arg-type]
    admin: bool = False
    expires_at: int | None = None


class KeyOut(BaseModel):
    name: str
    prefix: str
    scopes: list[str]
    created_at: int
    last_used_at: int | None
    expires_at: int | None
    revoked_at: int | None


class KeyCreated(KeyOut):
    key: str = Field(description="the API key: shown in this answer only")


class KeyList(BaseModel):
    keys: list[KeyOut]


SECURITY_SCHEMES = {
    "bearer": {"type": "http", "scheme": "bearer",
               "description": "`Authorization: Bearer lp_...`"},
    "apiKey": {"type": "apiKey", "in": "header", "name": "X-Api-Key"},
}
_ERROR_TEXT = {400: "Bad request", 401: "Missing, unknown, expired or revoked API key",
               403: "The API key lacks the scope", 404: "Not found", 409: "Conflict",
               410: "Link disabled, deleted or expired", 413: "Body too large",
               429: "Over the creation rate limit; retry after `Retry-After` seconds",
               503: "Storage unavailable; retry after `Retry-After` seconds"}


def error_statuses(route: Route) -> list[int]:
    """What a route may answer besides its success: the route's own errors, 400 for an
    unknown query parameter (every route checks), 401/403 where a key is asked."""
    statuses = set(route.errors)
    if "*" not in route.query:
        statuses.add(400)
    if route.scope is not None:
        statuses |= {401, 403}
    return sorted(statuses)


def openapi(route: Route) -> dict[str, Any]:
    """``add_api_route`` options documenting one declared route."""
    responses: dict[int | str, dict[str, Any]] = {
        s: {"model": ErrorBody, "description": _ERROR_TEXT.get(s, "Error")}
        for s in error_statuses(route)}
    if route.status == 302:
        responses[302] = {"description": "Redirect; `Location` is the original URL",
                          "headers": {"Location": {"schema": {"type": "string"}}},
                          "content": None}
    elif route.response in RAW_RESPONSES:
        responses[route.status] = RAW_RESPONSES[route.response]
    elif route.response is not None:
        responses[route.status] = {"model": globals()[route.response]}
    else:
        responses[route.status] = {"description": "Done (no body)"}
    extra: dict[str, Any] = {"parameters": [
        {"name": p, "in": "path", "required": True, "schema": {"type": "string"}}
        for p in route.params] + [
        {"name": q, "in": "query", "required": False,
         "schema": QUERY_SCHEMAS.get(f"{route.name}.{q}",
                                     QUERY_SCHEMAS.get(q, {"type": "string"}))}
        for q in route.query if q != "*"]}
    if route.request is not None:
        schema = globals()[route.request].model_json_schema(ref_template=REF)
        extra["requestBody"] = {"required": True,
                                "content": {"application/json": {"schema": schema}}}
    if route.scope is None:
        extra["security"] = []  # public: no key asked
    else:
        extra["security"] = [{"bearer": []}, {"apiKey": []}]
        if route.open:
            extra["security"].append({})
    return {"name": route.name, "operation_id": route.name, "status_code": route.status,
            "response_model": None, "responses": responses, "openapi_extra": extra,
            "tags": [route.tag], "summary": route.summary,
            "description": route.description or route.summary,
            "include_in_schema": True}


REF = "#/components/schemas/{model}"
QUERY_SCHEMAS: dict[str, dict[str, Any]] = {
    "format": {"type": "string", "enum": ["csv", "jsonl"], "default": "csv"},
    "order": {"type": "string", "enum": ["created", "clicks", "human_clicks"]},
    "limit": {"type": "integer", "minimum": 1, "maximum": 200},
    "created_from": {"type": "integer", "minimum": 0},
    "created_to": {"type": "integer", "minimum": 0},
    "cursor": {"type": "string", "description": "the `next` of the previous page"},
    "from": {"type": "string", "format": "date",
             "description": "first UTC day counted, YYYY-MM-DD (a range: at most 366 days)"},
    "to": {"type": "string", "format": "date",
           "description": "last UTC day counted, YYYY-MM-DD (needs `from`; default today)"},
    "exclude_bots": {"type": "boolean", "default": False,
                     "description": "leave bot clicks out (needs a range)"},
    "export_clicks.format": {"type": "string", "enum": ["ndjson", "csv"],
                             "default": "ndjson"},
    "export_clicks.cursor": {"type": "string",
                             "description": "the `x-next-cursor` of the previous page"},
    "export_clicks.to": {"type": "string", "format": "date",
                         "description": "last UTC day exported, YYYY-MM-DD"},
    "after": {"type": "string", "pattern": "^[0-9a-f]{1,32}$",
              "description": "a click id: resume after it (as `Last-Event-ID`)"},
}
_EVENT = {"type": "object", "properties": {
    "id": {"type": "string", "description": "the click id (sorts by time)"},
    "code": {"type": "string"}, "ts": {"type": "number", "description": "epoch seconds"},
    "country": {"type": "string", "description": "ISO 3166-1 alpha-2; empty if unknown"},
    "browser": {"type": "string"}, "os": {"type": "string"}, "device": {"type": "string"},
    "is_bot": {"type": "boolean"}, "referer": {"type": "string"}}}
RAW_RESPONSES: dict[str, dict[str, Any]] = {
    "Events": {"description": "Server-Sent Events (`linkpulse serve`): `event: click`, "
                              "`id: <click id>`, `data: <event JSON>`; or, on AWS, a poll",
               "content": {"text/event-stream": {"schema": {"type": "string"}},
                           "application/json": {"schema": {
                               "type": "object", "required": ["events", "last_event_id"],
                               "properties": {"events": {"type": "array", "items": _EVENT},
                                              "last_event_id": {"type": "string"}}}}}},
    "Export": {"description": "Every link: a CSV header then one row per link, or one JSON "
                              "object per line",
               "content": {"text/csv": {"schema": {"type": "string"}},
                           "application/x-ndjson": {"schema": {"type": "string"}}}},
    "Metrics": {"description": "Prometheus text exposition format",
                "content": {"text/plain": {"schema": {"type": "string"}}}},
    "ClickExport": {"description": "The link's clicks, oldest first: one JSON object per "
                                   "line (click_id, timestamp, user_agent, referer, ip "
                                   "anonymised, country), or a CSV header then one row per "
                                   "click; header `x-next-cursor` when more follow",
                    "content": {"application/x-ndjson": {"schema": {"type": "string"}},
                                "text/csv": {"schema": {"type": "string"}}}},
    "QrCode": {"description": "The QR code of the short URL",
               "content": {"image/svg+xml": {"schema": {"type": "string"}},
                           "image/png": {"schema": {"type": "string",
                                                    "format": "binary"}}}},
}
"""Success bodies that are not JSON documents."""


def install_security(app: FastAPI) -> None:
    """Add the security schemes (and nested request models) to the OpenAPI document."""
    build = app.openapi

    def document() -> dict[str, Any]:
        if app.openapi_schema is None:
            doc = build()
            components = doc.setdefault("components", {})
            components["securitySchemes"] = SECURITY_SCHEMES
            defs = components.setdefault("schemas", {})
            for name in ("ShortenRequest", "LinkCreate", "LinkPatch", "KeyCreate"):
                for sub, sub_schema in (globals()[name].model_json_schema(ref_template=REF)
                                        .get("$defs", {}).items()):
                    defs.setdefault(sub, sub_schema)
            app.openapi_schema = doc
        return app.openapi_schema

    app.openapi = document  # type: ignore[method-assign]
