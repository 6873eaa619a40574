"""``compris retention``: apply the workspaces' retention policies now (what the daily job does)."""

from __future__ import annotations

import typer

app = typer.Typer(no_args_is_help=True, add_completion=False)


@app.command()
def apply(
    workspace: str | None = typer.Option(None, help="One workspace (its slug); default: every workspace with a "
                                                    "policy."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Only count what would be removed."),
) -> None:
    """Remove what each workspace's retention policy says is due (in batches; safe to run again)."""
    from sqlalchemy import select

    from compris.config import get_settings
    from compris.db import Database
    from compris.kit.origin import Origin
    from compris.models import Workspace
    from compris.privacy import retention_queries
    from compris.privacy.actions import retention

    settings = get_settings()
    db = Database(settings.database_url)
    try:
        with db.transaction() as session:
            if workspace:
                query = select(Workspace.id, Workspace.slug).where(Workspace.slug == workspace)
            else:
                with_policy = retention_queries.workspaces_with_policy(session)
                query = select(Workspace.id, Workspace.slug).where(Workspace.id.in_(with_policy))
            found = [(int(i), str(s)) for i, s in session.execute(query.order_by(Workspace.id))]
        if workspace and not found:
            typer.echo(f"error: no workspace {workspace!r}", err=True)
            raise typer.Exit(2)
        for workspace_id, slug in found:
            run = retention.apply(db, workspace_id, data_dir=settings.data_dir, dry_run=dry_run,
                                  source=Origin(via="cli"))
            counts = ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in run.counts.as_dict().items())
            typer.echo(f"{slug}: {'would remove' if dry_run else 'removed'} {counts}")
    finally:
        db.dispose()
