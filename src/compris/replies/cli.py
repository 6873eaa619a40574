"""``compris replies``: run the reply guard over drafts from the command line.

``compris replies check [FILE]`` reads JSON lines (``text``; optional ``channel``, ``public``,
``customer_text``, ``language`` — the customer's language —, ``max_length`` and ``length_unit``) from FILE or
standard input and writes one JSON line per draft: ``{"line": n, "findings": [{"rule", "severity", "message",
"span"}]}``. A bad line gets ``{"line": n, "error": "..."}`` and the batch goes on.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Annotated, Any, TextIO, get_args

import typer

from compris.connectors import registry
from compris.connectors.base import Visibility
from compris.replies.guard import GuardContext, GuardSettings, LengthUnit, check

app = typer.Typer(help="Reply guard: check drafts before they are sent.", no_args_is_help=True)

UNITS: tuple[LengthUnit, ...] = get_args(LengthUnit)


def context_for(record: Mapping[str, Any], ui_language: str = "en") -> tuple[str, GuardContext]:
    """The draft and its guard context from one input record; ValueError when the record is bad.

    ``channel`` names a connected network (its key or an alias: ``x``, ``twitter``, ``facebook``...): the
    limit and unit are its connector's for a reply of that visibility. ``max_length`` and ``length_unit``
    (``characters``, ``graphemes`` or ``x``) give them for a network Compris has no connector for, or override
    the connector's."""
    text = record.get("text")
    if not isinstance(text, str):
        raise ValueError("'text' must be a string")
    public = record.get("public", True)
    if not isinstance(public, bool):
        raise ValueError("'public' must be true or false")
    visibility = Visibility.PUBLIC if public else Visibility.PRIVATE
    channel = record.get("channel")
    network: str | None = None
    limit: int | None = None
    unit: LengthUnit = "characters"
    if channel is not None:
        if not isinstance(channel, str):
            raise ValueError("'channel' must be a string")
        try:
            connector = registry.find(channel)
        except registry.UnknownNetwork:
            known = ", ".join(sorted(n for c in registry.connectors().values() for n in (c.network, *c.aliases)))
            raise ValueError(f"unknown channel {channel!r} (known: {known}; or give max_length and "
                             "length_unit)") from None
        network = connector.display_name
        limit = connector.limits.max_length(visibility)
        unit = connector.limits.length_unit
    if "max_length" in record:
        given = record["max_length"]
        if given is not None and (not isinstance(given, int) or isinstance(given, bool) or given < 1):
            raise ValueError("'max_length' must be a positive whole number or null")
        limit = given
    if "length_unit" in record:
        if record["length_unit"] not in UNITS:
            raise ValueError(f"'length_unit' must be one of {', '.join(UNITS)}")
        unit = record["length_unit"]
    customer_text = record.get("customer_text")
    if customer_text is not None and not isinstance(customer_text, str):
        raise ValueError("'customer_text' must be a string")
    language = record.get("language")
    if language is not None and not isinstance(language, str):
        raise ValueError("'language' must be a string")
    ctx = GuardContext(
        public=public,
        network=network,
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
