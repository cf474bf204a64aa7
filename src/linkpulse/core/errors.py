"""One root error and a small tree under it.

Adapters translate vendor errors (sqlite3, botocore) into these; the edges map them to
HTTP responses in exactly one place (``linkpulse.api``).
"""

from __future__ import annotations


class LinkpulseError(Exception):
    """Root of every error linkpulse raises on purpose."""


class InvalidInput(LinkpulseError):
    """The caller sent something we refuse: bad JSON, bad URL, bad alias..."""


class PayloadTooLarge(InvalidInput):
    """The request body is over the configured cap."""


class RequestTimeout(InvalidInput):
    """The client did not send its request body within the configured time."""


class BlockedDestination(InvalidInput):
    """A new link would point to a domain on the operator's blocklist."""


class AliasTaken(LinkpulseError):
    """A custom alias is already in use."""


class CodeTaken(LinkpulseError):
    """A conditional insert found the code already present (adapters raise it)."""


class CodeSpaceExhausted(LinkpulseError):
    """No free code was found within the retry budget."""


class LinkNotFound(LinkpulseError):
    """No link has this code."""


class LinkExpired(LinkpulseError):
    """The link existed but its expiry time has passed."""


class LinkGone(LinkpulseError):
    """The link was disabled or deleted by its owner."""


class Unauthorized(LinkpulseError):
    """No API key, or one that is unknown, expired or revoked."""


class Forbidden(LinkpulseError):
    """The API key lacks the scope an operation needs."""


class KeyNameTaken(LinkpulseError):
    """An API key with this name already exists."""


class KeyNotFound(LinkpulseError):
    """No live API key has this name."""
class LinkBlocked(LinkpulseError):
    """The link points to a domain the operator has blocked since it was created."""


class RateLimited(LinkpulseError):
    """The caller is over its rate limit; ``retry_after`` seconds until it is not."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"rate limit exceeded; retry in {retry_after} s")
        self.retry_after = retry_after


class BackendUnavailable(LinkpulseError):
    """A store or queue could not be reached; the operation may be retried."""


class PoisonMessage(LinkpulseError):
    """A queue message that can never be processed (undecodable body)."""
