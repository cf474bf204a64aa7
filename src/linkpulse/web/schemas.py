"""OpenAPI descriptions of the API. Documentation only: requests are parsed by
``linkpulse.api`` so that errors keep the ``{"error": ...}`` shape of the v1 API."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ErrorBody(BaseModel):
    error: str = Field(examples=["Short URL not found"])


class ShortenRequest(BaseModel):
    url: str = Field(description="http(s) URL to shorten", max_length=2048,
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


class Health(BaseModel):
    status: str
    version: str
    backend: str


class QueueDepth(BaseModel):
    visible: int
    in_flight: int
    dead_letters: int


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {s: {"model": ErrorBody} for s in statuses}


SHORTEN: dict[str, Any] = {
    "response_model": None,
    "responses": {201: {"model": ShortenResponse}, **_errors(400, 409, 413, 503)},
    "openapi_extra": {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": ShortenRequest.model_json_schema()}},
        }
    },
}
STATS: dict[str, Any] = {
    "response_model": None,
    "responses": {200: {"model": StatsResponse}, **_errors(404)},
}
REDIRECT: dict[str, Any] = {
    "response_model": None,
    "status_code": 302,
    "responses": {
        302: {"description": "Redirect; `Location` is the original URL",
              "headers": {"Location": {"schema": {"type": "string"}}}},
        **_errors(404, 410),
    },
}
HEALTH: dict[str, Any] = {"response_model": Health}
QUEUE: dict[str, Any] = {"response_model": QueueDepth}
