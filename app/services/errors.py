"""Domain errors; one error handler turns them into responses."""

from __future__ import annotations


class DomainError(Exception):
    """A use case refused; ``str(exc)`` is safe to show (already translated)."""

    status_code = 400


class InvalidInput(DomainError):
    """A value the user gave is missing or wrong; ``field`` names it."""

    status_code = 422

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


class NotFound(DomainError):
    """The object does not exist for this user (also for another tenant's or team's ids)."""

    status_code = 404


class Forbidden(DomainError):
    status_code = 403


class Conflict(DomainError):
    """The action does not fit the object's current state."""

    status_code = 409
