"""The HTTP endpoints. Each module declares its routes with :func:`linkpulse.routes.route`;
importing this package declares them all."""

from linkpulse.endpoints import analytics, events, keys, legacy, links, metrics, transfer

__all__ = ["analytics", "events", "keys", "legacy", "links", "metrics", "transfer"]
