"""The `payable` command: serve, migrate, token, export-schema, refusal-codes."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import typer

from payable.core.principal import Role
from payable.settings import get_settings

app = typer.Typer(
    help="payable: bookings, payment requests, verified payments and refunds over GraphQL."
)


@contextlib.contextmanager
def database_url() -> Iterator[str]:
    """DATABASE_URL when set; else an embedded PostgreSQL in PAYABLE_DATA_DIR, stopped on exit."""
    settings = get_settings()
    if settings.database_url:
        yield settings.database_url
        return
    from payable.console import route_chatter
    from payable.db.embedded import EmbeddedUnavailable, start_embedded

    data_dir = Path(settings.data_dir).resolve()
    log_file = route_chatter(data_dir)
    try:
        server = start_embedded(data_dir)
    except EmbeddedUnavailable as error:
        typer.echo(f"{str(error).removesuffix('.')} (details in {log_file}).", err=True)
        raise typer.Exit(2) from None
    try:
        yield server.url
    finally:
        server.stop()


# Live events are small JSON messages sent to many subscribers: compressing each copy for each
# subscriber (permessage-deflate) cost more server CPU than executing the event, for a few
# hundred bytes saved. The protocol is uvicorn's, able to write one event's encoded message to
# every subscriber's socket as it is (payable.web.live_socket).
_WEBSOCKETS = {
    "ws": "payable.web.live_socket:LiveWebSocketProtocol",
    "ws_per_message_deflate": False,
}


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8000, help="TCP port."),
    demo: bool = typer.Option(
        False,
        help="Seed a demo tenant and print a token for GraphiQL; PAYABLE_ENV defaults to demo.",
    ),
    workers: int = typer.Option(1, min=1, help="Server processes (they share the database)."),
) -> None:
    """Run the GraphQL server (migrating the database first)."""
    import uvicorn

    from payable import heap, production
    from payable.app import create_app
    from payable.console import ReadyServer, banner
    from payable.db.migrate import upgrade
    from payable.logging import configure
    from payable.secrets_store import jwt_secret

    settings = get_settings()
    if demo and settings.env is None:  # --demo pays with the sandbox: say so, never silently
        settings = settings.model_copy(update={"env": "demo"})
    if "public_url" not in settings.model_fields_set and settings.environment != "production":
        # Links point at this very server; one listening everywhere is reached at loopback.
        # Production names its public address itself (payable.production refuses otherwise).
        reached = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
        settings = settings.model_copy(update={"public_url": f"http://{reached}:{port}"})
    secret = jwt_secret(settings)
    refusal = production.refusal(settings, secret)
    if refusal is not None:
        typer.echo(refusal, err=True)
        raise typer.Exit(2)
    configure(settings.log_level)
    with database_url() as url:
        upgrade(url)
        token = None
        if demo:
            from payable.demo import seed

            token = asyncio.run(seed(url, secret, settings))
        typer.echo(banner(settings=settings, url=url, host=host, port=port, token=token))
        # uvicorn shuts down gracefully, then re-raises SIGTERM to the handler it found: make
        # that an ordinary exit, so the embedded database is stopped on the way out.
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        if workers == 1:
            application = create_app(database_url=url, jwt_secret=secret, settings=settings)
            heap.settle()
            config = uvicorn.Config(
                application, host=host, port=port, log_config=None, access_log=False, **_WEBSOCKETS
            )
            ReadyServer(config).run()
            return
        # Each worker process builds its own app from the environment this one settled, and
        # writes its metrics where a scrape of any of them adds all of them up.
        os.environ.update(
            DATABASE_URL=url,
            PAYABLE_JWT_SECRET=secret,
            PAYABLE_PUBLIC_URL=settings.public_url,
            PAYABLE_ENV=settings.environment,  # an embedded database stays development
            PROMETHEUS_MULTIPROC_DIR=tempfile.mkdtemp(prefix="payable-metrics-"),
        )
        try:
            uvicorn.run(
                "payable.app:from_environment",
                factory=True,
                workers=workers,
                host=host,
                port=port,
                log_config=None,
                access_log=False,  # payable.access logs each request as one JSON line
                **_WEBSOCKETS,
            )
        finally:
            shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)


@app.command()
def migrate() -> None:
    """Upgrade the database to the newest schema."""
    from payable.db.migrate import upgrade

    with database_url() as url:
        upgrade(url)
    typer.echo("database is at the newest schema")


@app.command()
def doctor() -> None:
    """Check settings, database, migrations and each tenant's gateway; one line per check."""
    from payable.doctor import diagnose, load_settings

    settings, findings = load_settings()
    if settings is not None:
        url, problem = settings.database_url, None
        server = None
        if url is None:
            from payable.console import route_chatter
            from payable.db.embedded import EmbeddedUnavailable, start_embedded

            data_dir = Path(settings.data_dir).resolve()
            route_chatter(data_dir)
            try:
                server = start_embedded(data_dir)
                url = server.url
            except EmbeddedUnavailable as error:
                problem = str(error)
        try:
            findings += diagnose(settings, url, problem)
        finally:
            if server is not None:
                server.stop()
    for finding in findings:
        typer.echo(finding.line())
    problems = [f for f in findings if not f.ok]
    typer.echo(f"{len(problems)} problem(s)" if problems else "all good")
    raise typer.Exit(1 if problems else 0)


@app.command()
def token(
    tenant: str = typer.Option(..., help="Tenant slug; provisioned on first use."),
    role: Role = typer.Option(..., help="admin, operator, support, accountant or integrator."),
    sub: str = typer.Option("cli", help="Who acts: recorded on every event."),
    hours: int = typer.Option(12, help="Validity in hours."),
) -> None:
    """Print a bearer token (the last word of the output)."""
    from payable.core.tokens import issue
    from payable.secrets_store import jwt_secret

    try:
        value = issue(
            secret=jwt_secret(get_settings()),
            tenant=tenant,
            role=role,
            sub=sub,
            ttl=timedelta(hours=hours),
        )
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None
    typer.echo(f"Authorization: Bearer {value}")


@app.command("export")
def export_accounts(
    tenant: str = typer.Option(..., help="Tenant slug."),
    first: str = typer.Option(..., "--from", help="First day, YYYY-MM-DD (Asia/Yerevan)."),
    last: str = typer.Option(..., "--to", help="Last day, YYYY-MM-DD."),
    output: Path | None = typer.Option(None, help="CSV file to write; stdout when absent."),
) -> None:
    """Accounting export: verified payments and refunds of a period, as CSV."""
    from datetime import date

    from payable.core.errors import DomainError
    from payable.db.engine import Database
    from payable.reports import export
    from payable.tenants import service as tenants

    async def run(url: str) -> None:
        db = Database(url, pool_size=2)
        try:
            async with db.session() as session:
                tenant_id = await tenants.ensure(session=session, slug=tenant)
            chunks = export.rows(
                db=db,
                tenant_id=tenant_id,
                first=date.fromisoformat(first),
                last=date.fromisoformat(last),
            )
            with output.open("w") if output else contextlib.nullcontext(sys.stdout) as out:
                async for chunk in chunks:
                    out.write(chunk)
        finally:
            await db.dispose()

    with database_url() as url:
        try:
            asyncio.run(run(url))
        except (DomainError, ValueError) as error:
            raise typer.BadParameter(getattr(error, "message", str(error))) from None


@app.command()
def reconcile(
    report: Path = typer.Argument(
        ..., exists=True, dir_okay=False, readable=True, metavar="FILE", help="The report file."
    ),
    tenant: str = typer.Option(..., help="Tenant slug."),
    provider: str = typer.Option(..., help="The gateway, and so the file's format: sandbox, arca."),
    day: str = typer.Option(..., "--date", help="Business day it covers, YYYY-MM-DD (Yerevan)."),
    actor: str = typer.Option("cli", help="Who imports: recorded on the report."),
) -> None:
    """Import a gateway's daily report, then compare the day with our books."""
    from datetime import date

    from payable.core.errors import DomainError, NotFound
    from payable.db.engine import Database
    from payable.providers.registry import Providers
    from payable.reconciliation import importer, queries, service
    from payable.sandbox import plug as sandbox_plug

    async def run(url: str) -> str:
        db = Database(url, pool_size=2)
        try:
            async with db.session() as session:
                tenant_id = await queries.tenant_id(session=session, slug=tenant)
            if tenant_id is None:
                raise NotFound(f"tenant {tenant!r}")
            size = report.stat().st_size
            with typer.progressbar(length=size, label="importing", file=sys.stderr) as bar:
                imported = await importer.import_report(
                    db=db,
                    tenant_id=tenant_id,
                    actor=actor,
                    provider=provider,
                    day=date.fromisoformat(day),
                    source=report,
                    progress=lambda p: bar.update(p.bytes_read - bar.pos),
                )
                bar.update(size - bar.pos)
            sandbox_plug.plug_in()
            providers = Providers(db, get_settings())
            try:
                summary = await service.reconcile(
                    db=db,
                    tenant_id=tenant_id,
                    provider=provider,
                    day=date.fromisoformat(day),
                    gateway=providers.configured(provider),
                )
            finally:
                await providers.close()
        finally:
            await db.dispose()
        state = "already imported" if imported.already_imported else "imported"
        heading = f"report {state}: {imported.lines} lines, {imported.new_lines} new"
        return heading + "\n" + summary.describe()

    with database_url() as url:
        try:
            typer.echo(asyncio.run(run(url)))
        except (DomainError, ValueError) as error:
            raise typer.BadParameter(getattr(error, "message", str(error))) from None


sandbox = typer.Typer(help="The built-in sandbox gateway.")
app.add_typer(sandbox, name="sandbox")


@sandbox.command("report")
def sandbox_report(
    day: str = typer.Option(..., "--date", help="Business day, YYYY-MM-DD (Asia/Yerevan)."),
    tenant: str | None = typer.Option(None, help="Only this tenant's orders; all when absent."),
    output: Path | None = typer.Option(None, help="CSV file to write; stdout when absent."),
) -> None:
    """The sandbox's report of one business day, as a bank's merchant portal exports it."""
    from datetime import date

    from payable.db.engine import Database
    from payable.reconciliation import queries
    from payable.sandbox.report import write_report

    async def run(url: str) -> None:
        db = Database(url, pool_size=2)
        try:
            tenant_id = None
            if tenant is not None:
                async with db.session() as session:
                    tenant_id = await queries.tenant_id(session=session, slug=tenant)
                if tenant_id is None:
                    raise ValueError(f"no tenant {tenant!r}")
            sink = output.open("w", newline="") if output else contextlib.nullcontext(sys.stdout)
            with sink as out:
                await write_report(db, tenant_id, date.fromisoformat(day), out)
        finally:
            await db.dispose()

    with database_url() as url:
        try:
            asyncio.run(run(url))
        except ValueError as error:
            raise typer.BadParameter(str(error)) from None


@app.command("export-schema")
def export_schema(
    output: Path | None = typer.Option(None, help="File to write; stdout when absent."),
) -> None:
    """Print the GraphQL schema (SDL) exported from code."""
    from payable.graphql.schema import schema

    sdl = schema.as_str() + "\n"
    if output is None:
        typer.echo(sdl, nl=False)
    else:
        output.write_text(sdl)


@app.command("refusal-codes")
def refusal_codes() -> None:
    """Print the catalogue of refusal codes (Markdown), as the README shows it."""
    from payable.graphql.catalogue import markdown

    typer.echo(markdown(), nl=False)
