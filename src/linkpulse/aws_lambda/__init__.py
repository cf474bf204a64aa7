"""The four Lambda handlers (one artifact): ``shortener``, ``redirect``, ``analytics``,
``stats``. Each is thin: parse the event, call one use case through
:class:`linkpulse.api.HttpApi` or :func:`linkpulse.core.service.process_batch`, answer."""
