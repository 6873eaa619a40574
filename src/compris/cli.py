"""The ``compris`` command."""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from pathlib import Path

import typer

from compris.config import ConfigError, Settings, get_settings
from compris.kit import memory

#: how often ``compris worker`` checks that its threads are alive
WATCH_SECONDS = 5.0

app = typer.Typer(help="Compris: social customer care.", no_args_is_help=True, add_completion=False)


def _settings() -> Settings:
    settings = get_settings()
    return settings


def _setup_logging(level: str = "INFO") -> None:
    """Text lines, or JSON lines with the request or job id (``COMPRIS_LOG_FORMAT=json``)."""
    from compris.kit import logs

    logs.setup(level, get_settings().log_format)


@app.command()
def migrate() -> None:
    """Create or upgrade the database schema."""
    from compris import migrate as m
    from compris.db import Database

    settings = _settings()
    if settings.is_sqlite:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings.database_url)
    m.upgrade(db.engine)
    db.dispose()
    typer.echo("database is up to date")


@app.command()
def serve(
    host: str = typer.Option(None, help="Interface to listen on (default COMPRIS_HOST)."),
    port: int = typer.Option(None, help="Port (default COMPRIS_PORT)."),
    workers: int = typer.Option(None, help="Worker threads in this process (default COMPRIS_WORKERS)."),
    demo: bool = typer.Option(False, help="Migrate, load the demo data and mount the sandbox network."),
) -> None:
    """Serve the web UI, the API and the webhooks (with in-process workers)."""
    import uvicorn

    if demo:
        os.environ["COMPRIS_DEMO"] = "1"
        if "COMPRIS_BASE_URL" not in os.environ and (host or port):
            # the sandbox network posts its webhooks to base_url: keep it on the address we listen on
            os.environ["COMPRIS_BASE_URL"] = f"http://{host or '127.0.0.1'}:{port or 8000}"
        get_settings.cache_clear()
    settings = _settings()
    _setup_logging()
    try:
        settings.check_secret()
        settings.check_password_hash_cost()
    except ConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    host = host or settings.host
    port = port or settings.port
    if demo:
        migrate()
        from compris.demo import ensure_demo

        login = ensure_demo(settings)
        typer.echo("")
        typer.echo(f"  Compris is running at http://{host}:{port}/")
        typer.echo(f"  Sign in as {login[0]} with password {login[1]}")
        typer.echo(f"  The sandbox network (simulated customers) is at http://{host}:{port}/sandbox-network/")
        typer.echo("")
    from compris.web.app import create_app

    application = create_app(settings, workers=workers, settle=True)
    # log_config=None: uvicorn's own loggers go through ours (text or JSON); the access lines are ours
    # (compris.access, with the request id), not uvicorn's
    uvicorn.run(application, host=host, port=port, log_level="info", proxy_headers=True, log_config=None,
                access_log=False)


@app.command()
def worker(
    threads: int = typer.Option(2, help="Worker threads in this process."),
    metrics_port: int = typer.Option(0, help="Serve this process's Prometheus metrics on this port (0: none)."),
    metrics_host: str = typer.Option("127.0.0.1", help="Interface of the metrics port."),
) -> None:
    """Run job workers only (for PostgreSQL deployments with separate worker processes)."""
    from compris.runtime import Runtime

    settings = _settings()
    _setup_logging()
    runtime = Runtime.create(settings)
    if metrics_port:
        from compris.monitoring.serve import serve_metrics

        serve_metrics(runtime.db, host=metrics_host, port=metrics_port, token=settings.metrics_token)
        typer.echo(f"metrics at http://{metrics_host}:{metrics_port}/metrics")
    runtime.start_listener()
    runtime.start_workers(threads)
    memory.settle()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    typer.echo(f"{threads} worker thread(s) running; Ctrl-C to stop")
    dead: list[str] = []
    while not stop.wait(WATCH_SECONDS) and not dead:
        # workers wait out database and network errors by themselves; a thread that still ended is a bug: exit
        # with an error rather than stay up doing nothing, so that the service manager starts the process again
        dead = [t.name for t in [*runtime.workers, runtime.scheduler] if t is not None and not t.is_alive()]
    runtime.stop()
    if dead:
        logging.getLogger("compris.worker").error("worker thread(s) ended: %s; exiting", ", ".join(dead))
        raise typer.Exit(1)


@app.command()
def demo() -> None:
    """Load the demo workspace, users and stories (idempotent)."""
    os.environ["COMPRIS_DEMO"] = "1"
    get_settings.cache_clear()
    migrate()
    from compris.demo import ensure_demo

    email, password = ensure_demo(_settings())
    typer.echo(f"demo ready: sign in as {email} / {password}")


@app.command("create-user")
def create_user(
    email: str,
    name: str = typer.Option(..., help="Full name."),
    workspace: str = typer.Option(..., help="Workspace slug (created if missing)."),
    role: str = typer.Option("agent", help="admin, supervisor or agent."),
    language: str = typer.Option("en", help="en or fr."),
) -> None:
    """Create a user (asks for the password)."""
    from sqlalchemy import select

    from compris.accounts import actions as accounts
    from compris.db import Database
    from compris.kit.errors import ComprisError
    from compris.models import Workspace

    password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    db = Database(_settings().database_url)
    try:
        with db.transaction() as session:
            ws = session.scalar(select(Workspace).where(Workspace.slug == workspace))
            if ws is None:
                ws = accounts.create_workspace(session, slug=workspace, name=workspace)
            accounts.create_user(
                session, workspace=ws, email=email, name=name, password=password, role=role, language=language
            )
    except ComprisError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"user {email} created in {workspace}")


@app.command("set-password")
def set_password(email: str) -> None:
    """Set a user's password (asks for it): every session of theirs ends at once."""
    from sqlalchemy import select

    from compris.accounts import actions as accounts
    from compris.db import Database
    from compris.kit.errors import ComprisError
    from compris.models import User

    password = typer.prompt("New password", hide_input=True, confirmation_prompt=True)
    db = Database(_settings().database_url)
    try:
        with db.transaction() as session:
            user = session.scalar(select(User).where(User.email == email.strip().lower()))
            if user is None:
                typer.echo(f"error: no user {email}", err=True)
                raise typer.Exit(2)
            accounts.set_password(session, user=user, password=password)
    except ComprisError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"password of {email} changed; their sessions ended")


@app.command("create-token")
def create_token(
    email: str,
    name: str = typer.Option("cli", help="A name to recognise the token by."),
    scopes: str = typer.Option("", help="read, write or admin (each implies those below it; default: the broadest "
                               "the user's role allows)."),
    expires_in_days: int = typer.Option(0, help="It stops working after this many days (default: never)."),
) -> None:
    """Create a personal API token for a user (printed once)."""
    from sqlalchemy import select

    from compris.accounts import actions as accounts
    from compris.db import Database
    from compris.kit.errors import ComprisError
    from compris.models import User

    db = Database(_settings().database_url)
    try:
        with db.transaction() as session:
            user = session.scalar(select(User).where(User.email == email.strip().lower()))
            if user is None:
                typer.echo("error: no such user", err=True)
                raise typer.Exit(2)
            _, raw = accounts.create_token(session, user, name,
                                           scopes=scopes.replace(",", " ").split() if scopes.strip() else None,
                                           expires_in_days=expires_in_days or None)
    except ComprisError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(2) from None
    typer.echo(raw)


@app.command("grant-instance-admin")
def grant_instance_admin(
    email: str,
    revoke: bool = typer.Option(False, "--revoke", help="Take the flag away instead."),
) -> None:
    """Let a user create workspaces (Instance → Workspaces), or no longer (--revoke)."""
    from sqlalchemy import select

    from compris.db import Database
    from compris.instance.actions import set_instance_admin
    from compris.models import User

    db = Database(_settings().database_url)
    with db.transaction() as session:
        user = session.scalar(select(User).where(User.email == email.strip().lower()))
        if user is None:
            typer.echo(f"error: no user {email}", err=True)
            raise typer.Exit(2)
        changed = set_instance_admin(session, user, not revoke)
    state = "no longer an instance admin" if revoke else "an instance admin"
    typer.echo(f"{email} is {state}" + ("" if changed else " (unchanged)"))


@app.command()
def sandbox(
    compris_url: str = typer.Option("http://127.0.0.1:8000", help="Where Compris listens."),
    host: str = typer.Option("127.0.0.1", help="Interface of the stand-alone sandbox network."),
    port: int = typer.Option(8001, help="Port of the stand-alone sandbox network."),
    data: Path = typer.Option(Path("var/sandbox-network.db"), help="Its SQLite file."),
    brands: Path | None = typer.Option(None, help="JSON file of brands to register (docs/channels/sandbox.md)."),
) -> None:
    """Run the sandbox network on its own (a stand-in for the social platforms)."""
    from compris.sandbox_network.app import run_standalone

    run_standalone(compris_url=compris_url, port=port, path=data, host=host, brands_file=brands)


#: long-running commands: their actions come from the web, the jobs and the platforms, not the command line
SERVERS = frozenset({"serve", "worker", "sandbox"})


@app.callback()
def _origin(ctx: typer.Context) -> None:
    """The audit log notes the actions of a command as done from the command line."""
    if ctx.invoked_subcommand not in SERVERS:
        from compris import bus
        from compris.kit import origin

        bus.load_listeners()  # the audit log notes settings' values from the first write
        ctx.with_resource(origin.acting(origin.Origin(via="cli", ref=f"cli:{ctx.invoked_subcommand}"[:64])))


def _mount_subcommands() -> None:
    from compris.analytics.cli import app as analytics_app
    from compris.auditlog.cli import app as audit_app
    from compris.privacy.cli import app as retention_app
    from compris.replies.cli import app as replies_app
    from compris.triage.cli import app as triage_app

    app.add_typer(triage_app, name="triage", help="Triage messages (classify, train).")
    app.add_typer(replies_app, name="replies", help="Check reply drafts with the reply guard.")
    app.add_typer(analytics_app, name="analytics", help="Analytics: rebuild the rollups from the raw data.")
    app.add_typer(retention_app, name="retention", help="Retention: apply the workspaces' policies now.")
    app.add_typer(audit_app, name="audit", help="The audit log: verify its hash chains, seal new entries.")


_mount_subcommands()


def main() -> None:
    try:
        app()
    except ConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)
