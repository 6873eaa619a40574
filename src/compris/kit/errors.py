"""Errors the domain raises; the web layer maps them to HTTP answers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Self


class Translatable(str):
    """A parameter of an error message that is itself a message to translate (a network's reason)."""

    __slots__ = ()


class ComprisError(Exception):
    """``message`` is the English text (the API's answer). ``msgid`` and ``params``, when given, let the agent UI
    translate a message that carries values (``msgid % params``; :class:`Translatable` params are translated too)."""

    status_code = 400

    def __init__(self, message: str, *, msgid: str | None = None, params: Mapping[str, object] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.msgid = msgid
        self.params: dict[str, object] = dict(params or {})

    @classmethod
    def of(cls, msgid: str, **params: object) -> Self:
        """The error for a message with values, translatable as a whole: ``Invalid.of("%(name)s is empty",
        name=...)``."""
        return cls(msgid % params if params else msgid, msgid=msgid, params=params)


class NotFound(ComprisError):
    status_code = 404


class Forbidden(ComprisError):
    status_code = 403


class Invalid(ComprisError):
    status_code = 422


class Conflict(ComprisError):
    status_code = 409


class TooLarge(ComprisError):
    status_code = 413
