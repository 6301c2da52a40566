"""Domain errors; one error handler turns them into responses."""

from __future__ import annotations


class DomainError(Exception):
    """A use case refused; ``str(exc)`` is safe to show (already translated)."""

    status_code = 400


class NotFound(DomainError):
    """The object does not exist for this user (also for another tenant's or team's ids)."""

    status_code = 404


class Forbidden(DomainError):
    status_code = 403


class Conflict(DomainError):
    """The action does not fit the object's current state."""

    status_code = 409
