"""Acting on referrals and requests: accept, decline, pick up.

Authorization is decided here, next to the state change, so no view can forget it.
Another partner's or team's ids answer NotFound, never revealing that they exist.
"""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.i18n import _, force_locale
from app.lifecycle import BACK_TO_OWNER, IllegalTransition, check_transition
from app.models import Referral, SupportRequest, Task, Tenant, User, utcnow
from app.services import audit, notices
from app.services.errors import Conflict, DomainError, NotFound

DECLINE_REASON_MAX = 2000


def referral_for(user: User, referral_id: int) -> Referral:
    """The referral if it was sent to the user's organisation or team; else NotFound."""
    referral = db.session.get(Referral, referral_id)
    if referral is None or referral.tenant_id != user.tenant_id or not _receives(user, referral):
        raise NotFound(_("This referral does not exist or is not yours."))
    return referral


def _receives(user: User, referral: Referral) -> bool:
    if referral.state == "proposed":
        return False  # nothing is shared before the resident consents
    if user.role == "partner":
        return user.partner_id is not None and referral.target_partner_id == user.partner_id
    if user.role in {"staff", "team_lead"}:
        return user.team_id is not None and referral.target_team_id == user.team_id
    return False


def _move(referral: Referral, target: str, actor: User, reason: str | None = None) -> None:
    try:
        check_transition(referral.state, target)
    except IllegalTransition as exc:
        raise Conflict(
            _("This referral is already %(state)s; it cannot be changed like this.",
              state=referral.state)
        ) from exc
    previous = referral.state
    referral.state = target
    audit.record(
        f"referral.{target}",
        tenant_id=referral.tenant_id,
        object_type="referral",
        object_id=referral.id,
        actor=actor,
        reason=reason,
        previous_state=previous,
    )


def accept(user: User, referral_id: int) -> Referral:
    """The receiving organisation takes the referral on."""
    referral = referral_for(user, referral_id)
    _move(referral, "accepted", user)
    db.session.commit()
    return referral


def decline(user: User, referral_id: int, reason: str) -> Referral:
    """The receiving organisation declines; the owning team gets a task with the reason."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give a reason for declining."))
    if len(reason) > DECLINE_REASON_MAX:
        raise DomainError(_("Use at most %(max)d characters.", max=DECLINE_REASON_MAX))
    referral = referral_for(user, referral_id)
    _move(referral, "declined", user, reason)
    referral.decline_reason = reason
    _back_to_owner(referral, reason)
    db.session.commit()
    return referral


def _back_to_owner(referral: Referral, reason: str) -> None:
    """A declined, expired or returned referral becomes a task for the owning team."""
    assert referral.state in BACK_TO_OWNER
    request = referral.request
    tenant = db.session.get(Tenant, referral.tenant_id)
    assert tenant is not None
    with force_locale("nl"):
        text = _("%(target)s declined the referral: %(reason)s",
                 target=referral.target_name, reason=reason)
    db.session.add(
        Task(
            tenant_id=referral.tenant_id,
            request_id=request.id,
            team_id=request.owner_team_id,
            referral_id=referral.id,
            kind="referral_declined",
            reason=text,
        )
    )
    notices.referral_returned_to_owner(tenant, request, referral, request.owner_team)


def request_for_staff(user: User, reference: str) -> SupportRequest:
    """A request the staff member's team owns (or received a referral for); else NotFound."""
    request = db.session.scalar(
        select(SupportRequest).where(
            SupportRequest.reference == reference, SupportRequest.tenant_id == user.tenant_id
        )
    )
    if request is None or user.team_id is None:
        raise NotFound(_("This request does not exist or is not for your team."))
    if request.owner_team_id != user.team_id and not any(
        r.target_team_id == user.team_id for r in request.referrals
    ):
        raise NotFound(_("This request does not exist or is not for your team."))
    return request


def pick_up(user: User, reference: str) -> SupportRequest:
    """The staff member becomes the request's coordinator."""
    request = request_for_staff(user, reference)
    if request.owner_team_id != user.team_id:
        raise NotFound(_("This request does not exist or is not for your team."))
    if request.status == "closed":
        raise Conflict(_("This request is closed."))
    if request.coordinator_id is not None:
        raise Conflict(_("This request already has a coordinator."))
    request.coordinator_id = user.id
    request.status = "in_progress"
    audit.record(
        "request.picked_up",
        tenant_id=request.tenant_id,
        object_type="support_request",
        object_id=request.id,
        actor=user,
    )
    db.session.commit()
    return request


def complete_task(user: User, task_id: int) -> Task:
    """Mark a task of the user's team as done."""
    task = db.session.get(Task, task_id)
    if task is None or task.tenant_id != user.tenant_id or task.team_id != user.team_id:
        raise NotFound(_("This task does not exist or is not for your team."))
    if task.state == "done":
        raise Conflict(_("This task is already done."))
    task.state = "done"
    task.done_at = utcnow()
    task.done_by_id = user.id
    audit.record("task.done", tenant_id=task.tenant_id, object_type="task",
                 object_id=task.id, actor=user)
    db.session.commit()
    return task
