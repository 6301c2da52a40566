"""Who works on a request: assigning a colleague, and a warm handover to another team.

A handover is asked by the owning team with a reason. Until the receiving team accepts,
both teams see the request and the owning team stays responsible; on acceptance the owner,
the open tasks and the coordination move; a refusal comes back as a task, so the request is
never between two teams with nobody responsible (DESIGN.md: nobody falls through the cracks).
"""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.i18n import _, force_locale
from app.lifecycle import REQUEST_IN_PROGRESS, REQUEST_NEW
from app.messaging.in_app import notifications
from app.models import SupportRequest, Team, User, utcnow
from app.services import audit, request_states
from app.services.errors import Conflict, InvalidInput, NotFound
from app.services.referrals import owned_request, request_for_staff, required_reason
from app.services.request_states import ensure_open
from app.services.tasks import add_task, is_open


def colleagues(user: User) -> list[User]:
    """Who in the user's team can coordinate a request."""
    return notifications.team_members(user.team_id) if user.team_id else []


def assign(user: User, request: SupportRequest, colleague_id: int) -> SupportRequest:
    """Make a colleague of the owning team the coordinator (the caller checked ownership)."""
    ensure_open(request)
    colleague = db.session.get(User, colleague_id)
    if colleague is None or colleague not in colleagues(user):
        raise InvalidInput(_("Choose a colleague from your team."), "colleague")
    previous = request.coordinator_id
    request_states.move(request, REQUEST_IN_PROGRESS, user)
    request.coordinator_id = colleague.id
    audit.record("request.assigned", tenant_id=request.tenant_id, object_type="support_request",
                 object_id=request.id, actor=user, coordinator_id=colleague.id,
                 previous_coordinator_id=previous)
    if colleague.id != user.id:
        notifications.notify([colleague], request, "assigned", by=user.name)
    db.session.commit()
    return request


def teams_to_hand_over_to(user: User) -> list[Team]:
    return list(db.session.scalars(select(Team).where(
        Team.tenant_id == user.tenant_id, Team.id != user.team_id).order_by(Team.name)))


def ask_handover(user: User, request: SupportRequest, team_id: int, reason: str) -> None:
    """The owning team asks another team to take the request over (warm handover)."""
    ensure_open(request)
    reason = required_reason(reason, _("Tell the other team why you hand it over."))
    if request.transfer_team_id is not None:
        raise Conflict(_("A handover of this request is already waiting for an answer."))
    team = db.session.get(Team, team_id)
    if team is None or team.tenant_id != user.tenant_id or team.id == request.owner_team_id:
        raise InvalidInput(_("Choose another team of this municipality."), "team")
    request.transfer_team_id = team.id
    request.transfer_reason = reason
    request.transfer_requested_at = utcnow()
    request.transfer_requested_by_id = user.id
    audit.record("request.handover_asked", tenant_id=request.tenant_id,
                 object_type="support_request", object_id=request.id, actor=user,
                 reason=reason, to_team_id=team.id)
    notifications.notify(notifications.team_members(team.id), request, "handover_asked",
                         team=request.owner_team.name)
    db.session.commit()


def incoming(user: User, reference: str) -> tuple[SupportRequest, Team]:
    """A request whose handover to the user's team waits for an answer, and that team;
    else NotFound."""
    request = request_for_staff(user, reference)
    team = request.transfer_team
    if team is None or team.id != user.team_id:
        raise NotFound(_("This request does not exist or is not for your team."))
    return request, team


def accept_handover(user: User, reference: str) -> SupportRequest:
    """The receiving team takes the request over: owner, open tasks and coordination move."""
    request, team = incoming(user, reference)
    # The receiving team moves it while the handover still waits (the machine checks that).
    request_states.move(request, REQUEST_NEW, user)
    old_team = request.owner_team
    previous_coordinator = request.coordinator
    request.owner_team_id = team.id
    request.coordinator_id = None
    for task in request.tasks:
        if is_open(task) and task.team_id == old_team.id:
            task.team_id = team.id
    audit.record("request.handover_accepted", tenant_id=request.tenant_id,
                 object_type="support_request", object_id=request.id, actor=user,
                 from_team_id=old_team.id, reason=request.transfer_reason)
    _clear(request)
    told = [previous_coordinator] if previous_coordinator else notifications.team_members(
        old_team.id)
    notifications.notify(told, request, "handover_accepted", team=team.name)
    db.session.commit()
    return request


def refuse_handover(user: User, reference: str, reason: str) -> SupportRequest:
    """The receiving team says no, with a reason; the owning team gets a task."""
    reason = required_reason(reason, _("Tell the other team why you do not take it over."))
    request, team = incoming(user, reference)
    audit.record("request.handover_refused", tenant_id=request.tenant_id,
                 object_type="support_request", object_id=request.id, actor=user,
                 reason=reason)
    _clear(request)
    with force_locale("nl"):
        text = _("%(team)s does not take the request over: %(reason)s",
                 team=team.name, reason=reason)
    add_task(request, request.owner_team_id, "handover_refused", text)
    db.session.commit()
    return request


def cancel_handover(user: User, reference: str) -> SupportRequest:
    """The owning team takes its question back before the other team answered."""
    request = owned_request(user, reference)
    if request.transfer_team_id is None:
        raise Conflict(_("No handover of this request is waiting."))
    audit.record("request.handover_cancelled", tenant_id=request.tenant_id,
                 object_type="support_request", object_id=request.id, actor=user)
    _clear(request)
    db.session.commit()
    return request


def _clear(request: SupportRequest) -> None:
    request.transfer_team_id = None
    request.transfer_reason = None
    request.transfer_requested_at = None
    request.transfer_requested_by_id = None


__all__ = ["accept_handover", "ask_handover", "assign", "cancel_handover", "colleagues",
           "incoming", "refuse_handover", "teams_to_hand_over_to"]
