"""``/api/v1/keys``: an admin creates, lists and revokes API keys over HTTP."""

from __future__ import annotations

import time
from typing import Any

from linkpulse.api import HttpApi, Response, json_response
from linkpulse.core import keys
from linkpulse.core.errors import InvalidInput, KeyNotFound
from linkpulse.core.keys import Principal
from linkpulse.core.models import ApiKey
from linkpulse.routes import Request, route


def key_payload(key: ApiKey) -> dict[str, Any]:
    return {"name": key.name, "prefix": key.prefix, "scopes": sorted(key.scopes),
            "created_at": key.created_at, "last_used_at": key.last_used_at,
            "expires_at": key.expires_at, "revoked_at": key.revoked_at}


@route("GET", "/api/v1/keys", scope="admin", function="manage", response="KeyList",
       errors=(401, 403, 503), tag="keys")
def list_keys(api: HttpApi, request: Request, who: Principal) -> Response:
    """Every API key (never the key itself), revoked ones included."""
    return json_response(200, {"keys": [key_payload(k) for k in api.key_store().list_keys()]})


@route("POST", "/api/v1/keys", scope="admin", function="manage", status=201, limited=True,
       request="KeyCreate", response="KeyCreated", errors=(400, 401, 403, 409, 413, 503),
       tag="keys")
def create_key(api: HttpApi, request: Request, who: Principal) -> Response:
    """Create a key: `{"name", "scopes"?, "admin"?, "expires_at"?}`. The key is in this
    answer only."""
    data = api.body(request)
    unknown = set(data) - {"name", "scopes", "admin", "expires_at"}
    if unknown:
        raise InvalidInput(f"unknown field(s): {', '.join(sorted(unknown))}")
    expires = data.get("expires_at")
    if expires is not None and (isinstance(expires, bool) or not isinstance(expires, int)):
        raise InvalidInput("'expires_at' must be an integer (epoch seconds)")
    admin = data.get("admin", False)
    if not isinstance(admin, bool):
        raise InvalidInput("'admin' must be true or false")
    secret, record = keys.new_key(data.get("name"), data.get("scopes"), admin=admin,
                                  expires_at=expires)
    api.key_store().add_key(record)
    return json_response(201, {**key_payload(record), "key": secret})


@route("DELETE", "/api/v1/keys/{name}", scope="admin", function="manage", status=204,
       limited=True, errors=(401, 403, 404, 503), tag="keys")
def revoke_key(api: HttpApi, request: Request, who: Principal) -> Response:
    """Revoke a key by name: every worker refuses it from the next request on."""
    if api.key_store().revoke_key(request.path_params["name"], int(time.time())) is None:
        raise KeyNotFound(request.path_params["name"])
    return Response(204)
