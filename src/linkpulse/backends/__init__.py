"""Adapters implementing the core's ports. Only ``linkpulse.bootstrap`` imports them."""
