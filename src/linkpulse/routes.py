"""The one table of HTTP routes.

Every endpoint is declared once, with :func:`route` on the function that answers it:
method, path, the scope a key needs, the schemas that document it and the Lambda
function that serves it on AWS. The ASGI app (FastAPI routes and the OpenAPI document),
the Lambda resolvers, the CORS answers and the Terraform route list are all built from
(or tested against) :data:`ROUTES`. Adding an endpoint is a use case plus one ``@route``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from linkpulse.api import HttpApi, Response
    from linkpulse.core.keys import Principal


@dataclass(frozen=True, slots=True)
class Request:
    """An HTTP request as both edges hand it to :class:`linkpulse.api.HttpApi`."""

    method: str
    path_params: Mapping[str, str] = field(default_factory=dict)
    query: Mapping[str, str] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    """Lower-case names."""
    body: bytes = b""
    client_ip: str | None = None
    base_url: str = ""
    """``scheme://host[:port][/stage]`` the client called."""
    query_string: str = ""
    """The raw query string (a redirect may forward it)."""


Handler = Callable[["HttpApi", Request, "Principal"], "Response"]


@dataclass(frozen=True, slots=True)
class Route:
    method: str
    path: str
    """OpenAPI style: ``/api/v1/links/{code}``."""
    name: str
    """Unique: the OpenAPI operationId."""
    handler: Handler
    scope: str | None
    """What a key needs; None = public (no key asked)."""
    open: bool
    """Anonymous callers may use it when the API is open (``serve --open``)."""
    function: str | None
    """The Lambda function serving it on AWS; None = only the ASGI app serves it."""
    status: int = 200
    request: str | None = None
    """Name of the request body's schema in ``linkpulse.web.schemas``."""
    response: str | None = None
    """Name of the success body's schema; None = no body."""
    query: tuple[str, ...] = ()
    """Accepted query parameters (anything else is a 400); ``("*",)`` accepts any."""
    errors: tuple[int, ...] = ()
    limited: bool = False
    """Counts against the caller's write rate limit (``LINKPULSE_CREATE_RATE_LIMIT``, per
    key, per client IP when anonymous): over it, a 429 before anything is read or done."""
    tag: str = "links"
    summary: str = ""
    description: str = ""

    @property
    def params(self) -> tuple[str, ...]:
        return tuple(re.findall(r"\{(\w+)\}", self.path))

    @property
    def pattern(self) -> re.Pattern[str]:
        return re.compile("^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)",
                                       re.escape(self.path)) + "$")

    @property
    def key(self) -> str:
        """API Gateway's route key: ``METHOD /path``."""
        return f"{self.method} {self.path}"


ROUTES: list[Route] = []


def route(method: str, path: str, *, scope: str | None, function: str | None,
          open: bool = False, **options: Any) -> Callable[[Handler], Handler]:
    """Declare the function below as the answer to ``method path``."""
    def declare(handler: Handler) -> Handler:
        doc = (handler.__doc__ or "").strip()
        summary, _, description = doc.partition("\n")
        name = options.pop("name", handler.__name__)
        if options.get("limited"):
            options["errors"] = tuple(sorted({*options.get("errors", ()), 429}))
        if any(r.name == name or (r.method, r.path) == (method, path) for r in ROUTES):
            raise ValueError(f"route {method} {path} ({name}) is declared twice")
        ROUTES.append(Route(method, path, name, handler, scope, open, function,
                            summary=summary, description=description.strip(), **options))
        return handler

    return declare


def routes() -> list[Route]:
    """Every route, the endpoint modules imported; literal paths before templated ones."""
    from linkpulse import endpoints  # noqa: F401  (declares the routes)

    return sorted(ROUTES, key=lambda r: (-len(re.sub(r"\{\w+\}", "", r.path)), r.path))


def for_function(function: str) -> list[Route]:
    return [r for r in routes() if r.function == function]


def methods_of(path: str) -> set[str]:
    """The methods any route serves on a concrete ``path`` (for 405 vs 404)."""
    return {r.method for r in routes() if r.pattern.match(path)}


def allowed(path: str) -> list[str]:
    """What a 405 lists in ``Allow``: the methods declared for the route ``path``
    resolves to (a literal path such as ``/shorten`` before the ``/{code}`` it also fits)."""
    matching = [r for r in routes() if r.pattern.match(path)]
    return sorted({r.method for r in matching if r.path == matching[0].path})
