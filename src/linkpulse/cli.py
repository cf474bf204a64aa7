"""The ``linkpulse`` command: serve, worker, shorten, stats, keys, links, dlq, blocklist,
backup, restore."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import signal
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
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
keys_app = typer.Typer(help="Create, list and revoke API keys.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
links_app = typer.Typer(help="List, show, edit and delete links (admin: every link).",
                        no_args_is_help=True)
app.add_typer(links_app, name="links")
blocklist_app = typer.Typer(help="Block domains: no new links to them, existing ones answer 410.",
                            no_args_is_help=True)
app.add_typer(blocklist_app, name="blocklist")

DbOpt = Annotated[Path | None, typer.Option(help="SQLite file")]
BackendOpt = Annotated[str | None, typer.Option(help="sqlite or aws")]
EndpointOpt = Annotated[str | None, typer.Option(
    help="AWS endpoint URL (moto, LocalStack)")]
CreateOpt = Annotated[bool, typer.Option(
    "--create-resources", help="aws backend: create missing tables and queues first")]


PROMETHEUS_MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"
"""prometheus-client's multiprocess mode: every worker writes its figures there."""
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
                                  components.metrics,
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
    open_api: Annotated[bool, typer.Option(
        "--open", help="anonymous POST /shorten and GET /stats/{code} (the original "
        "open API); everything else still needs a key")] = False,
    metrics_port: Annotated[int | None, typer.Option(
        help="also serve /metrics without a key on 127.0.0.1 at this port")] = None,
) -> None:
    """Serve the API, the redirects and the dashboard (and consume clicks)."""
    from linkpulse.web import server

    settings = _settings(host=host, port=port, db=db, workers=workers, backend=backend,
                         endpoint_url=endpoint_url, base_url=base_url,
                         run_worker=False if no_worker else None,
                         open=True if open_api else None, metrics_port=metrics_port)
    _logging(settings.log_level)
    _hold_instance(settings)
    metrics_dir = _metrics_directory(settings)  # before any process records a figure
    if create_resources:
        _create_resources(settings)
    _first_key(settings)
    os.environ.update(settings.to_env())  # worker processes rebuild the same settings
    consumer = None
    consumer_components = None
    if settings.run_worker or settings.metrics_port:
        consumer_components = bootstrap.build(settings, buffered=False)
    if settings.run_worker and consumer_components is not None:
        consumer = _consumer(consumer_components).start(nice=SERVE_CONSUMER_NICE)
    stop_metrics = _metrics_listener(settings, consumer_components)
    typer.echo(f"linkpulse {settings.backend} backend on http://{settings.host}:{settings.port}"
               f" ({settings.workers} worker(s), consumer "
               f"{'on' if consumer else 'off'})", err=True)
    try:
        server.serve(settings)  # returns once SIGINT/SIGTERM has stopped the workers
    finally:
        if stop_metrics is not None:
            stop_metrics()
        if consumer is not None:
            consumer.stop()
        if consumer_components is not None:
            consumer_components.close()
        shutil.rmtree(metrics_dir, ignore_errors=True)  # memory: give it back
    logging.getLogger("linkpulse").info(
        "linkpulse shut down cleanly: requests finished, clicks flushed%s",
        ", consumer stopped" if consumer is not None else "")


def metrics_directory(settings: Settings) -> Path:
    """Where every process of this server keeps its metrics (see ``linkpulse.metrics``):
    in memory (``/dev/shm`` where there is one), never on the data disk, where a full
    disk would crash a worker writing its mmap'ed figures. One per database, so a restart
    empties the last run's (the instance lock says no other server uses it)."""
    shm = Path("/dev/shm")  # noqa: S108  (a private 0700 directory, checked below)
    base = shm if shm.is_dir() else Path(tempfile.gettempdir())
    where = str(settings.db.resolve()) if settings.backend == "sqlite" else (
        f"{settings.endpoint_url}|{settings.queue_name}|{os.getpid()}")
    digest = hashlib.sha256(where.encode()).hexdigest()[:16]
    return base / f"linkpulse-metrics-{os.getuid()}-{digest}"


def _metrics_directory(settings: Settings) -> Path:
    """Make :func:`metrics_directory` afresh: empty, private (0700), ours; export it
    before anything imports prometheus-client, which reads it once, at import."""
    directory = metrics_directory(settings)
    if directory.is_symlink() or (directory.exists() and
                                  directory.stat().st_uid != os.getuid()):
        raise _fail(f"{directory} exists and is not this user's directory")
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(mode=0o700)  # fails if anything took its place meanwhile
    directory.chmod(0o700)  # whatever the umask
    os.environ[PROMETHEUS_MULTIPROC_DIR] = str(directory)
    return directory


def _metrics_listener(settings: Settings, components: bootstrap.Components | None
                      ) -> Callable[[], None] | None:
    """``--metrics-port``: the scrape without a key, on loopback only."""
    if not settings.metrics_port or components is None:
        return None
    from linkpulse import metrics

    try:
        stop = metrics.serve_loopback(settings.metrics_port, components.queue,
                                      components.dead_letters)
    except OSError as exc:
        raise _fail(f"--metrics-port {settings.metrics_port}: {exc.strerror}") from exc
    typer.echo(f"metrics on http://{metrics.LOOPBACK}:{settings.metrics_port}/metrics",
               err=True)
    return stop


def _hold_instance(settings: Settings) -> None:
    """Mark the database as in use for as long as this process runs (``restore``
    refuses to overwrite it meanwhile)."""
    if settings.backend != "sqlite":
        return
    from linkpulse.backends.sqlite.instance import InstanceRunning, hold_shared

    settings.db.parent.mkdir(parents=True, exist_ok=True)
    try:
        hold_shared(settings.db)
    except InstanceRunning as exc:
        raise _fail(str(exc)) from exc


def _first_key(settings: Settings) -> None:
    """On a first start with no key at all, make an admin key and print it once, with a
    dashboard address that carries it (in the fragment: never sent to the server)."""
    from linkpulse.core import keys

    with _components(settings) as components:
        store = components.keys
        if store is None or store.list_keys():
            return
        secret, record = keys.new_key("admin", admin=True)
        store.add_key(record)
    base = settings.base_url.rstrip("/") or _local_base(settings)
    typer.echo(f"No API key existed, so an admin key was made (shown once; only its hash "
               f"is kept).\nOpen the dashboard: {base}/#key={secret}\n"
               f"Or call the API with: Authorization: Bearer {secret}")


@app.command()
def worker(db: DbOpt = None, backend: BackendOpt = None, endpoint_url: EndpointOpt = None,
           create_resources: CreateOpt = False) -> None:
    """Consume click events until interrupted (SIGINT/SIGTERM finish the batch in hand)."""
    settings = _settings(db=db, backend=backend, endpoint_url=endpoint_url)
    _logging(settings.log_level)
    _hold_instance(settings)
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


Json = Annotated[bool, typer.Option("--json", help="print JSON")]
ScopeOpt = Annotated[list[str] | None, typer.Option(
    "--scope", help="a scope to grant (repeatable): links:create, links:read, links:write, "
    "stats:read, admin; default: every scope but admin")]


def _store_settings(db: Path | None, backend: str | None, endpoint_url: str | None
                    ) -> Settings:
    return _settings(db=db, backend=backend, endpoint_url=endpoint_url)


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(1)


@keys_app.command("create")
def keys_create(
    name: Annotated[str, typer.Option("--name", help="unique name of the key")],
    scope: ScopeOpt = None,
    admin: Annotated[bool, typer.Option("--admin", help="every scope, every link")] = False,
    expires: Annotated[str | None, typer.Option(
        help="expiry date (YYYY-MM-DD, UTC) or ISO date-time")] = None,
    db: DbOpt = None, backend: BackendOpt = None, endpoint_url: EndpointOpt = None,
) -> None:
    """Create an API key. The key is printed once, alone on the last line."""
    from datetime import UTC, datetime

    from linkpulse.core import keys
    from linkpulse.core.errors import LinkpulseError

    expires_at = None
    if expires is not None:
        try:
            when = datetime.fromisoformat(expires)
        except ValueError as exc:
            raise _fail(f"--expires {expires!r} is not a date (YYYY-MM-DD)") from exc
        expires_at = int((when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp())
    with _components(_store_settings(db, backend, endpoint_url)) as c:
        try:
            secret, record = keys.new_key(name, scope or None, admin=admin,
                                          expires_at=expires_at)
            if c.keys is None:
                raise _fail("this backend has no key store")
            c.keys.add_key(record)
        except LinkpulseError as exc:
            raise _fail(str(exc)) from exc
    typer.echo(f"created key {record.name!r} ({record.prefix}, scopes: "
               f"{' '.join(sorted(record.scopes))}); it is shown only now:")
    typer.echo(secret)


@keys_app.command("list")
def keys_list(json_out: Json = False, db: DbOpt = None, backend: BackendOpt = None,
              endpoint_url: EndpointOpt = None) -> None:
    """List keys: name, prefix, scopes, created, last used, expiry (never the key)."""
    from linkpulse.endpoints.keys import key_payload

    with _components(_store_settings(db, backend, endpoint_url)) as c:
        found = c.keys.list_keys() if c.keys is not None else []
    rows = [key_payload(k) for k in found]
    if json_out:
        _echo_json(rows)
        return
    typer.echo(f"{'NAME':20} {'PREFIX':12} {'CREATED':20} {'LAST USED':20} {'EXPIRES':20} "
               "STATE  SCOPES")
    for r in rows:
        state = "revoked" if r["revoked_at"] else "live"
        typer.echo(f"{r['name']:20} {r['prefix']:12} {_when(r['created_at']):20} "
                   f"{_when(r['last_used_at']):20} {_when(r['expires_at']):20} {state:6} "
                   f"{' '.join(r['scopes'])}")


def _when(epoch: int | None) -> str:
    from datetime import UTC, datetime

    return "-" if epoch is None else datetime.fromtimestamp(epoch, UTC).strftime(
        "%Y-%m-%d %H:%M:%S")


@keys_app.command("revoke")
def keys_revoke(name: str, db: DbOpt = None, backend: BackendOpt = None,
                endpoint_url: EndpointOpt = None) -> None:
    """Revoke a key: every worker refuses it from the next request on."""
    import time

    with _components(_store_settings(db, backend, endpoint_url)) as c:
        revoked = c.keys.revoke_key(name, int(time.time())) if c.keys is not None else None
    if revoked is None:
        raise _fail(f"no live key named {name!r}")
    typer.echo(f"revoked {name!r} ({revoked.prefix})")


def _admin_call(c: bootstrap.Components, method: str, path: str, *,
                query: dict[str, str] | None = None, body: object = None) -> Response:
    """Answer a management route as an admin would (the CLI runs on the store itself)."""
    from linkpulse.core.keys import Principal
    from linkpulse.routes import Request, routes

    route = next(r for r in routes() if r.method == method and r.pattern.match(path))
    match = route.pattern.match(path)
    assert match is not None
    request = Request(method, match.groupdict(), query or {}, {},
                      json.dumps(body).encode() if body is not None else b"",
                      None, _local_base(c.settings))
    api = c.http_api()
    try:
        return route.handler(api, request, Principal("cli", frozenset({"admin"})))
    except Exception as exc:
        from linkpulse.api import response_for

        return response_for(exc)


def _link_line(link: dict[str, Any]) -> str:
    clicks = link.get("clicks") or {}
    state = "disabled" if link["disabled"] else "live"
    return (f"{link['code']:12} {clicks.get('total', '-')!s:>8} {state:8} "
            f"{','.join(link['tags']):20} {link['original_url']}")


@links_app.command("list")
def links_list(
    search: Annotated[str | None, typer.Option(help="code, URL or title contains")] = None,
    tag: Annotated[str | None, typer.Option(help="only links with this tag")] = None,
    order: Annotated[str, typer.Option(help="created, clicks or human_clicks")] = "created",
    limit: Annotated[int, typer.Option(help="links per page (1-200)")] = 50,
    cursor: Annotated[str | None, typer.Option(help="next page: the previous 'next'")] = None,
    json_out: Json = False, db: DbOpt = None, backend: BackendOpt = None,
    endpoint_url: EndpointOpt = None,
) -> None:
    """List links, newest first (or by clicks), with their click totals."""
    query = {k: str(v) for k, v in {"search": search, "tag": tag, "order": order,
                                     "limit": limit, "cursor": cursor}.items() if v}
    with _components(_store_settings(db, backend, endpoint_url)) as c:
        response = _admin_call(c, "GET", "/api/v1/links", query=query)
    if json_out or response.status >= 400:
        _print_response(response)
        return
    page = response.json()
    typer.echo(f"{'CODE':12} {'CLICKS':>8} {'STATE':8} {'TAGS':20} URL")
    for link in page["links"]:
        typer.echo(_link_line(link))
    if page["next"]:
        typer.echo(f"more: --cursor {page['next']}")


@links_app.command("show")
def links_show(code: str, db: DbOpt = None, backend: BackendOpt = None,
               endpoint_url: EndpointOpt = None) -> None:
    """Print one link as JSON."""
    with _components(_store_settings(db, backend, endpoint_url)) as c:
        _print_response(_admin_call(c, "GET", f"/api/v1/links/{code}"))


@links_app.command("update")
def links_update(
    code: str,
    url: Annotated[str | None, typer.Option(help="new target URL")] = None,
    title: Annotated[str | None, typer.Option(help="new title")] = None,
    tag: Annotated[list[str] | None, typer.Option(help="replace the tags (repeatable)")] = None,
    disable: Annotated[bool | None, typer.Option("--disable/--enable",
                                                 help="answer 410, or redirect again")] = None,
    forward_query: Annotated[bool | None, typer.Option(
        "--forward-query/--no-forward-query", help="pass the query string on")] = None,
    db: DbOpt = None, backend: BackendOpt = None, endpoint_url: EndpointOpt = None,
) -> None:
    """Change a link; every running worker serves the change within a second."""
    changes = {k: v for k, v in {"url": url, "title": title, "tags": tag, "disabled": disable,
                                 "forward_query": forward_query}.items() if v is not None}
    with _components(_store_settings(db, backend, endpoint_url)) as c:
        _print_response(_admin_call(c, "PATCH", f"/api/v1/links/{code}", body=changes))


@links_app.command("delete")
def links_delete(code: str, db: DbOpt = None, backend: BackendOpt = None,
                 endpoint_url: EndpointOpt = None) -> None:
    """Delete a link: it answers 410 and its code is never handed out again."""
    with _components(_store_settings(db, backend, endpoint_url)) as c:
        response = _admin_call(c, "DELETE", f"/api/v1/links/{code}")
    if response.status >= 400:
        _print_response(response)
    typer.echo(f"deleted {code}")


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


Force = Annotated[bool, typer.Option("--force", help="overwrite an existing backup")]


@app.command()
def backup(
    path: Annotated[Path, typer.Argument(help="backup file; the queue goes next to it as "
                                         "<stem>.queue.db")],
    force: Force = False, db: DbOpt = None,
) -> None:
    """Copy the database and the click queue while linkpulse serves (SQLite backup API)."""
    from linkpulse.backends.sqlite.backup import BackupError
    from linkpulse.backends.sqlite.backup import backup as take_backup

    settings = _settings(db=db)
    try:
        copies = take_backup(settings.db, settings.queue_path, path, force=force)
    except BackupError as exc:
        raise _fail(str(exc)) from exc
    for c in copies:
        typer.echo(f"backed up {c.source} -> {c.destination} ({c.bytes:,} bytes, "
                   "integrity ok)")


@app.command()
def restore(
    path: Annotated[Path, typer.Argument(help="a file written by linkpulse backup")],
    db: DbOpt = None,
) -> None:
    """Replace the database (and queue) with a backup. linkpulse must be stopped."""
    from linkpulse.backends.sqlite.backup import BackupError
    from linkpulse.backends.sqlite.backup import restore as restore_backup

    settings = _settings(db=db)
    try:
        copies = restore_backup(path, settings.db, settings.queue_path)
    except BackupError as exc:
        raise _fail(str(exc)) from exc
    for c in copies:
        typer.echo(f"restored {c.destination} from {c.source}")


PROGRESS_ROWS = 2_000
"""Imports of more rows than this show a progress bar."""


@app.command("export")
def export_links(
    fmt: Annotated[str, typer.Option("--format", help="csv or jsonl")] = "csv",
    output: Annotated[Path | None, typer.Option(help="file to write (default: stdout)")] = None,
    db: DbOpt = None, backend: BackendOpt = None, endpoint_url: EndpointOpt = None,
) -> None:
    """Write every link (code, URL, title, tags, dates, flags, owner) as CSV or JSON Lines."""
    from linkpulse.core.errors import LinkpulseError
    from linkpulse.endpoints.transfer import export_lines

    with _components(_store_settings(db, backend, endpoint_url)) as c:
        try:
            lines = export_lines(c.http_api(), fmt)
            out = output.open("w", encoding="utf-8", newline="") if output else sys.stdout
            try:
                out.writelines(lines)
            finally:
                if output:
                    out.close()
        except (LinkpulseError, OSError) as exc:
            raise _fail(str(exc)) from exc


@app.command("import")
def import_links(
    file: Annotated[Path, typer.Argument(help="the file to import")],
    fmt: Annotated[str, typer.Option(
        "--format", help="linkpulse (its CSV or JSONL export), shlink (CSV), yourls "
        "(yourls_url as CSV), kutt or bitly (their API's JSON)")] = "linkpulse",
    dry_run: Annotated[bool, typer.Option("--dry-run", help="check every row, write "
                                          "nothing")] = False,
    owner: Annotated[str | None, typer.Option(help="name of the API key that will own the "
                                              "links (default: no owner)")] = None,
    db: DbOpt = None, backend: BackendOpt = None, endpoint_url: EndpointOpt = None,
) -> None:
    """Import links, keeping their codes. A taken code is reported and skipped, never
    overwritten; importing the same file twice changes nothing the second time."""
    from linkpulse.core import formats, transfer

    if fmt not in formats.FORMATS:
        raise _fail(f"--format must be one of {', '.join(formats.FORMATS)}")
    try:
        text = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(f"cannot read {file}: {exc}") from exc
    rows = list(formats.read(text, fmt))
    with _components(_store_settings(db, backend, endpoint_url)) as c:
        owner_id = _key_id(c, owner) if owner else None
        options: dict[str, Any] = {"owner": owner_id, "policy": c.policy(),
                                   "code_length": c.settings.code_length, "dry_run": dry_run}
        if len(rows) > PROGRESS_ROWS:
            with typer.progressbar(length=len(rows), label="importing", file=sys.stderr
                                   ) as bar:
                report = transfer.import_links(c.links, rows, progress=bar.update, **options)
        else:
            report = transfer.import_links(c.links, rows, **options)
    for problem in report.problems:
        typer.echo(f"{file}:{problem.line}: {problem.reason}", err=True)
    typer.echo(f"{report.rows} rows: {report.created} created, {report.unchanged} already "
               f"there (unchanged), {len(report.problems)} skipped with a problem"
               + (" -- dry run, nothing written" if dry_run else ""))
    if report.problems:
        raise typer.Exit(1)


def _key_id(c: bootstrap.Components, name: str) -> str:
    found = [k for k in (c.keys.list_keys() if c.keys else [])
             if k.name == name and k.revoked_at is None]
    if not found:
        raise _fail(f"no live key named {name!r}")
    return found[0].id


@app.command()
def package(
    output: Annotated[Path, typer.Option(help="zip to write")] = Path(
        "dist/linkpulse-lambda.zip"),
    deps_dir: Annotated[Path | None, typer.Option(
        help="use these installed dependencies instead of running pip")] = None,
    architecture: Annotated[str, typer.Option(
        help="arm64 or x86_64: the compiled wheels to bundle (as lambda_architecture)")
    ] = "arm64",
) -> None:
    """Build the one deterministic Lambda artifact used by all five functions."""
    from linkpulse.packaging import PLATFORMS, build_artifact

    if architecture not in PLATFORMS:
        raise _fail(f"--architecture must be one of {', '.join(sorted(PLATFORMS))}")
    info = build_artifact(output, deps_dir=deps_dir, architecture=architecture)
    _echo_json({"output": str(output), "bytes": info.size, "files": info.files,
                "sha256": info.sha256})


def main() -> None:
    app()


if __name__ == "__main__":
    main()
