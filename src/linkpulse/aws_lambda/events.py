"""Raw Lambda events checked before anything reads them.

API Gateway sends well-formed events, but a handler can also be invoked by hand, by a
test, or by a misconfigured integration. A malformed HTTP event gets a 400 answer, a
malformed SQS record fails alone: nothing a caller sends can raise out of a handler.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from linkpulse.core.errors import InvalidInput
from linkpulse.core.models import Message


def http_event(event: object) -> dict[str, Any]:
    """An API Gateway HTTP API (payload 2.0) event with every field the edge and
    Powertools read present and of the right type; raises :class:`InvalidInput`."""
    if not isinstance(event, dict):
        raise InvalidInput("not an HTTP API event")
    context = event.get("requestContext")
    http = context.get("http") if isinstance(context, dict) else None
    if not isinstance(context, dict) or not isinstance(http, dict):
        raise InvalidInput("not an HTTP API event: no requestContext.http")
    method = http.get("method")
    path = event.get("rawPath", http.get("path"))
    if not isinstance(method, str) or not method:
        raise InvalidInput("not an HTTP API event: no method")
    if not isinstance(path, str) or not path.startswith("/"):
        raise InvalidInput("not an HTTP API event: no path")
    body = event.get("body")
    if body is not None and not isinstance(body, str):
        raise InvalidInput("the request body must be a string")
    raw_headers = event.get("headers")
    headers = ({str(k).lower(): v for k, v in raw_headers.items() if isinstance(v, str)}
               if isinstance(raw_headers, dict) else {})
    stage, domain = context.get("stage"), context.get("domainName")
    source_ip = http.get("sourceIp")
    return {
        **event,
        "rawPath": path,
        "rawQueryString": _text(event.get("rawQueryString")),
        "headers": headers,
        "body": body,
        "isBase64Encoded": event.get("isBase64Encoded") is True,
        "pathParameters": _strings(event.get("pathParameters")),
        "queryStringParameters": _strings(event.get("queryStringParameters")),
        "cookies": [c for c in event.get("cookies") or () if isinstance(c, str)]
        if isinstance(event.get("cookies"), list) else None,
        "requestContext": {
            **context,
            "stage": stage if isinstance(stage, str) and stage else "$default",
            "domainName": _text(domain),
            "http": {**http, "method": method.upper(), "path": path,
                     "sourceIp": _text(source_ip)},
        },
    }


def body_bytes(event: dict[str, Any]) -> bytes:
    """The request body of a checked event; a body that claims to be base64 and is not
    is the client's error."""
    raw: str = event.get("body") or ""
    if not event.get("isBase64Encoded"):
        return raw.encode("utf-8", "surrogatepass")
    try:
        return base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidInput("the request body is not valid base64") from exc


def sqs_message(record: object) -> Message:
    """One SQS record as a queue :class:`Message`; raises ``ValueError`` (the record
    fails alone) when it has no id, receipt or string body. Attributes that are only
    informative (receive count, sent time) fall back to defaults when malformed."""
    if not isinstance(record, dict):
        raise ValueError("an SQS record must be an object")
    message_id, body = record.get("messageId"), record.get("body")
    if not isinstance(message_id, str) or not message_id:
        raise ValueError("an SQS record has no messageId")
    if not isinstance(body, str):
        raise ValueError(f"SQS record {message_id} has no body")
    attributes = record.get("attributes")
    if not isinstance(attributes, dict):
        attributes = {}
    return Message(message_id, body, _text(record.get("receiptHandle")),
                   _int(attributes.get("ApproximateReceiveCount"), 1),
                   _int(attributes.get("SentTimestamp"), 0) / 1000)


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _int(value: object, default: int) -> int:
    try:
        return int(str(value))
    except ValueError:
        return default


def _strings(value: object) -> dict[str, str] | None:
    if not isinstance(value, dict):
        return None
    return {k: v for k, v in value.items() if isinstance(k, str) and isinstance(v, str)}
