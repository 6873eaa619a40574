"""``compris analytics``: rebuild the rollups from the raw data."""

from __future__ import annotations

from datetime import date

import typer

app = typer.Typer(no_args_is_help=True, add_completion=False)


@app.command()
def rebuild(
    since: str | None = typer.Option(None, help="Only the cases changed since this day (YYYY-MM-DD, in each "
                                                "workspace's time zone); default: everything, from scratch."),
    workspace: str | None = typer.Option(None, help="One workspace (its slug); default: every workspace."),
) -> None:
    """Recompute the analytics rollups from cases, messages and their timelines (same figures as kept live)."""
    from sqlalchemy import select

    from compris.analytics.rollups import rebuild_all
    from compris.config import get_settings
    from compris.db import Database
    from compris.models import Workspace

    try:
        day = date.fromisoformat(since) if since else None
    except ValueError:
        typer.echo(f"error: --since takes a date as YYYY-MM-DD, not {since!r}", err=True)
        raise typer.Exit(2) from None
    db = Database(get_settings().database_url)
    try:
        with db.transaction() as session:
            query = select(Workspace.id, Workspace.slug).order_by(Workspace.id)
            if workspace:
                query = query.where(Workspace.slug == workspace)
            found = [(int(i), str(s)) for i, s in session.execute(query)]
        if workspace and not found:
            typer.echo(f"error: no workspace {workspace!r}", err=True)
            raise typer.Exit(2)
        for workspace_id, slug in found:
            count = rebuild_all(db, workspace_id, day)
            typer.echo(f"{slug}: {count} case(s) recomputed")
    finally:
        db.dispose()
