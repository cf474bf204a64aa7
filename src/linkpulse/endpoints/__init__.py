"""The HTTP endpoints. Each module declares its routes with :func:`linkpulse.routes.route`;
importing this package declares them all."""

from linkpulse.endpoints import keys, legacy, links, metrics, transfer

__all__ = ["keys", "legacy", "links", "metrics", "transfer"]
