"""linkpulse: a URL shortener with exact click analytics, built as an event-driven pipeline."""

__version__ = "0.1.0"
