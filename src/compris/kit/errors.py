"""Errors the domain raises; the web layer maps them to HTTP answers."""

from __future__ import annotations


class ComprisError(Exception):
    status_code = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


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
