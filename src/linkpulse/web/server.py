"""The embedded HTTP server: granian, serving the ASGI app with bounded connections.

granian (a Rust HTTP server) enforces what uvicorn cannot: a request head larger than
its buffer is refused (431), a client that trickles its headers is cut off after the
header read timeout (also when it idles on a kept-alive connection), and each worker
processes at most ``max_concurrency`` requests at once. It is not the faster server on
this machine: bench/run.py measures both side by side, and uvicorn answers a bare 302
with less CPU per request. Request bodies are read under their own timeout by the app
(``web.app``), where the framework reads them.
"""

from __future__ import annotations

import multiprocessing

from linkpulse.settings import Settings

APP = "linkpulse.web.app:create_app"


def serve(settings: Settings) -> None:
    """Serve until SIGINT/SIGTERM; worker processes rebuild the settings from the
    environment (``Settings.to_env``)."""
    from granian.constants import Interfaces, Loops
    from granian.http import HTTP1Settings
    from granian.log import LogLevels
    from granian.server import Server

    # Workers start as fresh interpreters, never as forks of this process and of the
    # click consumer's thread and SQLite connections.
    multiprocessing.set_start_method("spawn", force=True)
    Server(
        APP, factory=True, address=settings.host, port=settings.port,
        interface=Interfaces.ASGI, workers=settings.workers, loop=Loops.auto,
        backpressure=settings.max_concurrency,
        http1_settings=HTTP1Settings(
            header_read_timeout=int(settings.header_timeout * 1000),
            max_buffer_size=settings.max_header_bytes,
        ),
        log_level=LogLevels.warning, log_access=False,
    ).serve()
