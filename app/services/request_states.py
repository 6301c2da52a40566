"""A request's status in the services: the one "this request is closed" guard, and the one
way to change the status (through the request state machine in app/lifecycle.py).

A service that refuses to act on a closed request calls :func:`ensure_open`; a service that
changes the status calls :func:`move` with the staff member who makes the change, before it
moves owner or handover (the machine decides who may move from the request as it stands).
"""

from __future__ import annotations

from app.i18n import _
from app.lifecycle import (
    OPEN_REQUEST_STATES,
    OUTSIDER,
    OWNING_TEAM,
    RECEIVING_TEAM,
    check_request_transition,
)
from app.models import SupportRequest, User
from app.roles import TEAM_ROLES
from app.services.errors import Conflict


def is_open(request: SupportRequest) -> bool:
    """Whether the owning team still has work on ``request`` (it is not closed)."""
    return request.status in OPEN_REQUEST_STATES


def ensure_open(request: SupportRequest) -> None:
    """Raise :class:`Conflict` ("This request is closed.") unless ``request`` is open."""
    if not is_open(request):
        raise Conflict(_("This request is closed."))


def actor_of(user: User, request: SupportRequest) -> str:
    """Who ``user`` is for ``request`` in the state machine: a member of the owning team, of
    the team a waiting handover is addressed to, or an outsider."""
    if user.role not in TEAM_ROLES or user.team_id is None or user.tenant_id != request.tenant_id:
        return OUTSIDER
    if user.team_id == request.owner_team_id:
        return OWNING_TEAM
    if user.team_id == request.transfer_team_id:
        return RECEIVING_TEAM
    return OUTSIDER


def move(request: SupportRequest, target: str, user: User) -> str:
    """Give ``request`` the status ``target``, made by ``user``; returns the status before.

    Raises :class:`Conflict` when the request is closed (nothing leaves ``closed``), and
    :class:`app.lifecycle.IllegalRequestTransition` for any other move the machine refuses:
    the services check who acts before they get here, so that is a bug, not a user error.
    """
    ensure_open(request)
    previous = request.status
    check_request_transition(previous, target, actor_of(user, request))
    request.status = target
    return previous


__all__ = ["actor_of", "ensure_open", "is_open", "move"]
