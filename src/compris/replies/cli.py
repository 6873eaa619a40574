"""``compris replies``: run the reply guard over drafts from the command line.

``compris replies check [FILE]`` reads JSON lines (``text``; optional ``channel``, ``public``,
``customer_text``, ``language`` — the customer's language) from FILE or standard input and writes one JSON
line per draft: ``{"line": n, "findings": [{"rule", "severity", "message", "span"}]}``. A bad line gets
``{"line": n, "error": "..."}`` and the batch goes on.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Annotated, Any, TextIO

import typer

from compris.replies.guard import GuardContext, GuardSettings, LengthUnit, check

app = typer.Typer(help="Reply guard: check drafts before they are sent.", no_args_is_help=True)

#: Per-network length limits: (limit or None, unit).
CHANNEL_LIMITS: Mapping[str, tuple[int | None, LengthUnit]] = {
    "x": (280, "x"),
    "twitter": (280, "x"),
    "bluesky": (300, "graphemes"),
    "mastodon": (500, "characters"),
    "instagram": (2200, "characters"),
    "facebook": (8000, "characters"),
    "whatsapp": (4096, "characters"),
    "sms": (160, "characters"),
    "email": (None, "characters"),
    "sandbox": (1000, "characters"),
}


def context_for(record: Mapping[str, Any], ui_language: str = "en") -> tuple[str, GuardContext]:
    """The draft and its guard context from one input record; ValueError when the record is bad."""
    text = record.get("text")
    if not isinstance(text, str):
        raise ValueError("'text' must be a string")
    channel = record.get("channel")
    limit: int | None = None
    unit: LengthUnit = "characters"
    if channel is not None:
        if not isinstance(channel, str) or channel.lower() not in CHANNEL_LIMITS:
            raise ValueError(f"unknown channel {channel!r} (known: {', '.join(CHANNEL_LIMITS)})")
        limit, unit = CHANNEL_LIMITS[channel.lower()]
    public = record.get("public", True)
    if not isinstance(public, bool):
        raise ValueError("'public' must be true or false")
    customer_text = record.get("customer_text")
    if customer_text is not None and not isinstance(customer_text, str):
        raise ValueError("'customer_text' must be a string")
    language = record.get("language")
    if language is not None and not isinstance(language, str):
        raise ValueError("'language' must be a string")
    ctx = GuardContext(
        public=public,
        network=channel.lower() if isinstance(channel, str) else None,
        max_length=limit,
        length_unit=unit,
        customer_text=customer_text,
        customer_language=language,
        ui_language=ui_language,
    )
    return text, ctx


def check_lines(
    lines: Iterable[str], settings: GuardSettings | None = None, ui_language: str = "en"
) -> Iterator[dict[str, Any]]:
    """One result per non-blank input line, numbered from 1 as in the input."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            if not isinstance(record, dict):
                raise ValueError("each line must be a JSON object")
            text, ctx = context_for(record, ui_language)
            findings = check(text, ctx, settings)
        except (ValueError, TypeError) as exc:  # json.JSONDecodeError is a ValueError
            yield {"line": number, "error": str(exc)}
            continue
        yield {"line": number, "findings": [f.to_dict(with_fix=False) for f in findings]}


@app.callback()
def main() -> None:
    """Reply guard commands."""


@app.command("check")
def check_command(
    file: Annotated[Path | None, typer.Argument(help="JSON-lines file of drafts (default: standard input).")] = None,
    ui_language: Annotated[str, typer.Option("--ui-language", help="Language of the messages: en or fr.")] = "en",
    settings_file: Annotated[
        Path | None, typer.Option("--settings", help="JSON file of workspace guard settings.")
    ] = None,
) -> None:
    """Check drafts read as JSON lines; write one JSON line of findings per draft."""
    settings: GuardSettings | None = None
    if settings_file is not None:
        try:
            settings = GuardSettings.from_mapping(json.loads(settings_file.read_text("utf-8")))
        except (OSError, ValueError) as exc:
            typer.echo(f"bad settings file: {exc}", err=True)
            raise typer.Exit(2) from exc
    if file is not None:
        try:
            with file.open(encoding="utf-8") as handle:
                _run(handle, settings, ui_language)
        except OSError as exc:
            typer.echo(f"cannot read {file}: {exc}", err=True)
            raise typer.Exit(2) from exc
    else:
        _run(sys.stdin, settings, ui_language)


def _run(stream: TextIO, settings: GuardSettings | None, ui_language: str) -> None:
    for result in check_lines(stream, settings, ui_language):
        sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":  # pragma: no cover
    app()
