"""The ASGI edge: the API, the dashboard, and the redirect fast path."""
