"""The ``linkpulse`` command: serve, worker, shorten, stats, dlq, blocklist."""

from __future__ import annotations

import json
import logging
import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from linkpulse import bootstrap
from linkpulse.settings import Settings, SettingsError

if TYPE_CHECKING:
    from linkpulse.api import Response
    from linkpulse.consumer import Consumer

app = typer.Typer(help="linkpulse: URL shortener with exact click analytics.",
                  no_args_is_help=True, add_completion=False)
dlq_app = typer.Typer(help="Inspect and redrive the dead-letter queue.", no_args_is_help=True)
app.add_typer(dlq_app, name="dlq")
blocklist_app = typer.Typer(help="Block domains: no new links to them, existing ones answer 410.",
                            no_args_is_help=True)
app.add_typer(blocklist_app, name="blocklist")

DbOpt = Annotated[Path | None, typer.Option(help="SQLite file")]
BackendOpt = Annotated[str | None, typer.Option(help="sqlite or aws")]
EndpointOpt = Annotated[str | None, typer.Option(
    help="AWS endpoint URL (moto, LocalStack)")]
CreateOpt = Annotated[bool, typer.Option(
    "--create-resources", help="aws backend: create missing tables and queues first")]


SERVE_CONSUMER_NICE = 10
"""The consumer inside ``serve`` yields the CPU to the HTTP workers: under a burst the
redirects stay fast and the queue absorbs the clicks, which are counted once it ebbs."""


def _settings(**overrides: Any) -> Settings:
    try:
        return Settings.from_env(**overrides)
    except SettingsError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc


def _logging(level: str) -> None:
    logging.basicConfig(level=level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


@contextmanager
def _components(settings: Settings) -> Iterator[bootstrap.Components]:
    """Components for one command, closed when it is done."""
    components = bootstrap.build(settings, buffered=False)
    try:
        yield components
    finally:
        components.close()


def _local_base(settings: Settings) -> str:
    return f"http://{settings.host}:{settings.port}"


def _print_response(response: Response) -> None:
    """Print an API answer as JSON; an error answer makes the command exit 1."""
    _echo_json(response.json())
    if response.status >= 400:
        raise typer.Exit(1)


def _echo_json(payload: object) -> None:
    typer.echo(json.dumps(payload, indent=2, ensure_ascii=False))


def _create_resources(settings: Settings) -> None:
    if settings.backend != "aws":
        return
    from linkpulse.backends.aws.clients import make_client
    from linkpulse.backends.aws.resources import create_resources

    endpoint, region = settings.endpoint_url, settings.region
    create_resources(settings, make_client("dynamodb", endpoint, region),
                     make_client("sqs", endpoint, region))


def _consumer(components: bootstrap.Components) -> Consumer:
    """The click consumer; on the aws backend it feeds the analytics Lambda handler with
    SQS events, exactly as the event source mapping does."""
    from linkpulse.consumer import Consumer

    settings = components.settings
    options: dict[str, Any] = {"wait_seconds": settings.poll_wait_seconds,
                               "housekeeping": components.housekeeping}
    if settings.backend == "aws":
        from linkpulse.aws_lambda.local import batch_handler

        # Events of at most 10 records, like the event source mapping's batch size.
        return Consumer(components.queue, batch_handler(components), max_messages=10,
                        **options)
    return Consumer.for_analytics(components.queue, components.analytics,
                                  max_messages=settings.consumer_batch_size, **options)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="bind address")] = None,
    port: Annotated[int | None, typer.Option(help="port")] = None,
    db: DbOpt = None,
    workers: Annotated[int | None, typer.Option(help="HTTP worker processes")] = None,
    no_worker: Annotated[bool, typer.Option(
        "--no-worker", help="do not run the click consumer in this process")] = False,
    backend: BackendOpt = None,
    endpoint_url: EndpointOpt = None,
    base_url: Annotated[str | None, typer.Option(help="public base of short URLs")] = None,
    create_resources: CreateOpt = False,
) -> None:
    """Serve the API, the redirects and the dashboard (and consume clicks)."""
    from linkpulse.web import server

    settings = _settings(host=host, port=port, db=db, workers=workers, backend=backend,
                         endpoint_url=endpoint_url, base_url=base_url,
                         run_worker=False if no_worker else None)
    _logging(settings.log_level)
    if create_resources:
        _create_resources(settings)
    os.environ.update(settings.to_env())  # worker processes rebuild the same settings
    consumer = None
    consumer_components = None
    if settings.run_worker:
        consumer_components = bootstrap.build(settings, buffered=False)
        consumer = _consumer(consumer_components).start(nice=SERVE_CONSUMER_NICE)
    typer.echo(f"linkpulse {settings.backend} backend on http://{settings.host}:{settings.port}"
               f" ({settings.workers} worker(s), consumer "
               f"{'on' if consumer else 'off'})", err=True)
    try:
        server.serve(settings)  # returns once SIGINT/SIGTERM has stopped the workers
    finally:
        if consumer is not None:
            consumer.stop()
        if consumer_components is not None:
            consumer_components.close()


@app.command()
def worker(db: DbOpt = None, backend: BackendOpt = None, endpoint_url: EndpointOpt = None,
           create_resources: CreateOpt = False) -> None:
    """Consume click events until interrupted (SIGINT/SIGTERM finish the batch in hand)."""
    settings = _settings(db=db, backend=backend, endpoint_url=endpoint_url)
    _logging(settings.log_level)
    if create_resources:
        _create_resources(settings)
    components = bootstrap.build(settings, buffered=False)
    consumer = _consumer(components)
    stopping = threading.Event()

    def stop(signum: int, _: object) -> None:
        stopping.set()
        consumer.stop(timeout=0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    typer.echo(f"linkpulse worker consuming from {settings.backend} queue", err=True)
    try:
        consumer.run()
    finally:
        components.close()
        s = consumer.stats
        typer.echo(f"stopped: {s.batches} batches, {s.recorded} clicks recorded, "
                   f"{s.failed} failed deliveries", err=True)


@app.command()
def shorten(
    url: str,
    alias: Annotated[str | None, typer.Option(help="custom code")] = None,
    db: DbOpt = None, backend: BackendOpt = None, endpoint_url: EndpointOpt = None,
) -> None:
    """Create a short link in the store directly (no server needed)."""
    settings = _settings(db=db, backend=backend, endpoint_url=endpoint_url)
    body = json.dumps({"url": url, **({"alias": alias} if alias else {})}).encode()
    with _components(settings) as components:
        _print_response(components.http_api().shorten(body, _local_base(settings)))


@app.command()
def stats(code: str, db: DbOpt = None, backend: BackendOpt = None,
          endpoint_url: EndpointOpt = None) -> None:
    """Print the all-time stats of a link as JSON."""
    settings = _settings(db=db, backend=backend, endpoint_url=endpoint_url)
    with _components(settings) as components:
        _print_response(components.http_api().stats(code, _local_base(settings)))


@dlq_app.command("list")
def dlq_list(
    limit: Annotated[int, typer.Option(help="at most this many")] = 100,
    db: DbOpt = None, backend: BackendOpt = None, endpoint_url: EndpointOpt = None,
) -> None:
    """List dead-lettered click messages."""
    with _components(_settings(db=db, backend=backend, endpoint_url=endpoint_url)) as c:
        messages = c.dead_letters.dlq_list(limit)
    _echo_json([{"message_id": m.message_id, "receive_count": m.receive_count,
                 "sent_at": m.sent_at, "body": m.body} for m in messages])


@dlq_app.command("redrive")
def dlq_redrive(db: DbOpt = None, backend: BackendOpt = None,
                endpoint_url: EndpointOpt = None) -> None:
    """Move every dead letter back to the click queue for another try."""
    with _components(_settings(db=db, backend=backend, endpoint_url=endpoint_url)) as c:
        moved = c.dead_letters.dlq_redrive()
    _echo_json({"redriven": moved})


def _blocklist(components: bootstrap.Components) -> Any:
    if components.blocklist is None:
        typer.echo("error: this backend has no blocklist", err=True)
        raise typer.Exit(2)
    return components.blocklist


def _blocked_domain(raw: str) -> str:
    """The registrable domain (or a name under it) as the blocklist stores it; a public
    suffix (``com``, ``co.uk``) or an address is refused."""
    from linkpulse.backends.publicsuffix import registrable_domain
    from linkpulse.core.errors import InvalidInput
    from linkpulse.core.policy import normalize_domain

    try:
        domain = normalize_domain(raw)
    except InvalidInput as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    if registrable_domain(domain) is None:
        typer.echo(f"error: {domain!r} is a public suffix, not a domain one can block",
                   err=True)
        raise typer.Exit(2)
    return domain


@blocklist_app.command("add")
def blocklist_add(domain: str, db: DbOpt = None, backend: BackendOpt = None,
                  endpoint_url: EndpointOpt = None) -> None:
    """Block DOMAIN and every name under it (within ~1 s on every server)."""
    name = _blocked_domain(domain)
    with _components(_settings(db=db, backend=backend, endpoint_url=endpoint_url)) as c:
        added = _blocklist(c).add(name)
    _echo_json({"domain": name, "added": added})


@blocklist_app.command("remove")
def blocklist_remove(domain: str, db: DbOpt = None, backend: BackendOpt = None,
                     endpoint_url: EndpointOpt = None) -> None:
    """Unblock DOMAIN."""
    name = _blocked_domain(domain)
    with _components(_settings(db=db, backend=backend, endpoint_url=endpoint_url)) as c:
        removed = _blocklist(c).remove(name)
    _echo_json({"domain": name, "removed": removed})
    if not removed:
        raise typer.Exit(1)


@blocklist_app.command("list")
def blocklist_list(db: DbOpt = None, backend: BackendOpt = None,
                   endpoint_url: EndpointOpt = None) -> None:
    """Print the blocked domains as a JSON list."""
    with _components(_settings(db=db, backend=backend, endpoint_url=endpoint_url)) as c:
        domains = _blocklist(c).domains()
    _echo_json(sorted(domains))


@app.command()
def package(
    output: Annotated[Path, typer.Option(help="zip to write")] = Path(
        "dist/linkpulse-lambda.zip"),
    deps_dir: Annotated[Path | None, typer.Option(
        help="use these installed dependencies instead of running pip")] = None,
) -> None:
    """Build the one deterministic Lambda artifact used by all four functions."""
    from linkpulse.packaging import build_artifact

    info = build_artifact(output, deps_dir=deps_dir)
    _echo_json({"output": str(output), "bytes": info.size, "files": info.files,
                "sha256": info.sha256})


def main() -> None:
    app()


if __name__ == "__main__":
    main()
