"""Domain exceptions: services raise them, views turn them into messages and status codes."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A refusal the user can understand; `message` is already translated (lazy string)."""

    status_code = 400

    def __init__(self, message: Any, **details: Any) -> None:
        super().__init__(str(message))
        # A lazy string: rendered in the reader's language where it is shown.
        self.message: Any = message
        self.details = details


class ValidationFailed(DomainError):
    status_code = 400


class NotFound(DomainError):
    status_code = 404


class Forbidden(DomainError):
    status_code = 403


class Conflict(DomainError):
    status_code = 409
