"""``compris audit``: verify the audit log's hash chains, seal the new entries now."""

from __future__ import annotations

import typer

app = typer.Typer(no_args_is_help=True, add_completion=False)


def _targets(db: object, workspace: str | None) -> list[tuple[int | None, str]]:
    from sqlalchemy import select

    from compris.db import Database
    from compris.models import AuditEntry, Workspace

    assert isinstance(db, Database)
    with db.transaction() as session:
        query = select(Workspace.id, Workspace.slug).order_by(Workspace.id)
        if workspace:
            query = query.where(Workspace.slug == workspace)
        found: list[tuple[int | None, str]] = [(int(i), str(s)) for i, s in session.execute(query)]
        if not workspace and session.scalar(select(AuditEntry.id).where(AuditEntry.workspace_id.is_(None))
                                            .limit(1)) is not None:
            found.append((None, "(instance)"))
    if workspace and not found:
        typer.echo(f"error: no workspace {workspace!r}", err=True)
        raise typer.Exit(2)
    return found


@app.command()
def verify(workspace: str | None = typer.Option(None, help="One workspace (its slug); default: every workspace."),
           ) -> None:
    """Recompute each workspace's audit hash chain from its anchor; exit 1 if one is broken (and where)."""
    from compris.auditlog import actions
    from compris.config import get_settings
    from compris.db import Database

    db = Database(get_settings().database_url)
    broken = False
    try:
        for workspace_id, slug in _targets(db, workspace):
            with db.transaction() as session:
                result = actions.verify(session, workspace_id)
            if result.ok:
                typer.echo(f"{slug}: verified, {result.checked} entries (seq {result.anchor_seq + 1}.."
                           f"{result.verified_to})")
            else:
                broken = True
                typer.echo(f"{slug}: BROKEN at seq {result.broken_seq} ({result.reason}); sound up to seq "
                           f"{result.verified_to}")
    finally:
        db.dispose()
    if broken:
        raise typer.Exit(1)


@app.command()
def seal(workspace: str | None = typer.Option(None, help="One workspace (its slug); default: every workspace."),
         ) -> None:
    """Seal the entries not sealed yet (the worker does it every 10 s)."""
    from compris.auditlog import actions
    from compris.config import get_settings
    from compris.db import Database

    db = Database(get_settings().database_url)
    try:
        for workspace_id, slug in _targets(db, workspace):
            with db.transaction() as session:
                count = actions.seal(session, workspace_id)
            typer.echo(f"{slug}: {count} entries sealed")
    finally:
        db.dispose()
