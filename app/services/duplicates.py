"""Possible duplicates and the household view.

A possible duplicate is another open request of the same municipality, made within 30 days
of this one, for the same person (e-mail, phone, BSN, or name with date of birth) or the same
address (postcode and house number), with at least one life area in common. Merging keeps
both requests and their whole history: the duplicate is closed with a pointer to the request
that goes on, and its open tasks and live referrals move there, so nothing is dropped.

The household view lists the other open requests at the same address, so one family gets one
plan and one coordinator. Requests of other teams are shown by reference and team only.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select

from app.extensions import db
from app.i18n import _, force_locale
from app.lifecycle import LIVE_STATES, REQUEST_CLOSED
from app.models import SupportRequest, User, utcnow
from app.services import audit, request_states, tasks
from app.services.errors import InvalidInput

WINDOW = dt.timedelta(days=30)


def _open_others(request: SupportRequest) -> list[ColumnElement[bool]]:
    return [SupportRequest.tenant_id == request.tenant_id, SupportRequest.id != request.id,
            SupportRequest.status != REQUEST_CLOSED, SupportRequest.merged_into_id.is_(None)]


def _same_address(request: SupportRequest) -> ColumnElement[bool] | None:
    if not (request.postcode and request.house_number):
        return None
    return and_(SupportRequest.postcode == request.postcode,
                func.lower(SupportRequest.house_number) == request.house_number.lower())


def possible_duplicates(request: SupportRequest) -> list[SupportRequest]:
    same: list[ColumnElement[bool]] = []
    if request.contact_email:
        same.append(func.lower(SupportRequest.contact_email) == request.contact_email.lower())
    if request.contact_phone:
        same.append(SupportRequest.contact_phone == request.contact_phone)
    if request.bsn:
        same.append(SupportRequest.bsn == request.bsn)
    if request.contact_name and request.birth_date:
        same.append(and_(func.lower(SupportRequest.contact_name) == request.contact_name.lower(),
                         SupportRequest.birth_date == request.birth_date))
    address = _same_address(request)
    if address is not None:
        same.append(address)
    if not same:
        return []
    candidates = db.session.scalars(select(SupportRequest).where(
        *_open_others(request), or_(*same),
        SupportRequest.created_at >= request.created_at - WINDOW,
        SupportRequest.created_at <= request.created_at + WINDOW,
    ).order_by(SupportRequest.created_at).limit(20)).all()
    areas = set(request.life_areas)
    return [other for other in candidates if areas & set(other.life_areas)]


def household(request: SupportRequest) -> list[SupportRequest]:
    address = _same_address(request)
    if address is None:
        return []
    return list(db.session.scalars(select(SupportRequest).where(
        *_open_others(request), address).order_by(SupportRequest.created_at).limit(20)))


def merge(user: User, survivor: SupportRequest, duplicate_reference: str) -> SupportRequest:
    """Merge a duplicate of the user's team into ``survivor`` (the caller checked ownership
    of the survivor and its version)."""
    duplicate = next((other for other in possible_duplicates(survivor)
                      if other.reference == duplicate_reference), None)
    if duplicate is None or duplicate.owner_team_id != user.team_id:
        raise InvalidInput(_("Choose a possible duplicate of your team."), "duplicate")
    request_states.ensure_open(survivor)
    now = utcnow()
    moved_tasks = [task for task in duplicate.tasks if tasks.is_open(task)]
    for task in moved_tasks:
        task.request_id = survivor.id
    moved_referrals = [r for r in duplicate.referrals if r.state in LIVE_STATES]
    for referral in moved_referrals:
        referral.request_id = survivor.id
    with force_locale("nl"):
        note = _("Merged into %(reference)s (a duplicate).", reference=survivor.reference)
    request_states.move(duplicate, REQUEST_CLOSED, user)
    duplicate.merged_into_id = survivor.id
    duplicate.closed_at, duplicate.close_note = now, note
    details: dict[str, Any] = {"tasks": [t.id for t in moved_tasks],
                               "referrals": [r.id for r in moved_referrals]}
    audit.record("request.merged_into", tenant_id=duplicate.tenant_id,
                 object_type="support_request", object_id=duplicate.id, actor=user,
                 survivor=survivor.reference, **details)
    audit.record("request.merged", tenant_id=survivor.tenant_id, object_type="support_request",
                 object_id=survivor.id, actor=user, duplicate=duplicate.reference, **details)
    db.session.commit()
    db.session.expire(survivor)
    return duplicate


__all__ = ["household", "merge", "possible_duplicates"]
