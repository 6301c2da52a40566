"""In-app notifications for staff: the one place that decides who hears about what.

A notification stores a kind and plain params (a reference, an organisation's name, a task
kind), never the resident's details; the text is rendered in the reader's language.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select, update

from app.extensions import db
from app.models import Notification, SupportRequest, User, utcnow
from app.roles import TEAM_LEAD, TEAM_ROLES
from app.services import audit
from app.vocabulary import NOTIFICATION_TEXTS, TASK_KIND_LABELS, label

#: How many notifications the page shows; older ones stay in the database.
PAGE_SIZE = 100


def team_members(team_id: int, *, leads_only: bool = False) -> list[User]:
    roles = (TEAM_LEAD,) if leads_only else TEAM_ROLES
    return list(db.session.scalars(
        select(User).where(User.team_id == team_id, User.role.in_(roles), User.active.is_(True))
        .order_by(User.id)))


def who_hears(request: SupportRequest, team_id: int | None = None) -> list[User]:
    """The request's coordinator when they are in the team; otherwise the whole team."""
    team_id = team_id or request.owner_team_id
    coordinator = request.coordinator
    if coordinator is not None and coordinator.active and coordinator.team_id == team_id:
        return [coordinator]
    return team_members(team_id)


def notify(users: Iterable[User], request: SupportRequest, kind: str, **params: Any) -> None:
    """Add one notification per user to the caller's transaction."""
    assert kind in NOTIFICATION_TEXTS, kind
    params = {"reference": request.reference, **params}
    for user in users:
        db.session.add(Notification(tenant_id=request.tenant_id, user_id=user.id,
                                    request_id=request.id, kind=kind, params=params))


def text(notification: Notification) -> str:
    """The notification in the current language."""
    params = dict(notification.params)
    if "task" in params:
        params["task"] = label(TASK_KIND_LABELS, params["task"])
    return str(NOTIFICATION_TEXTS[notification.kind]) % params


def unread_count(user: User) -> int:
    return db.session.scalar(select(func.count(Notification.id)).where(
        Notification.user_id == user.id, Notification.read_at.is_(None))) or 0


def latest(user: User) -> list[Notification]:
    return list(db.session.scalars(
        select(Notification).where(Notification.user_id == user.id)
        .order_by(Notification.id.desc()).limit(PAGE_SIZE)))


def mark_read(user: User, notification_id: int | None = None) -> None:
    """Mark one of the user's notifications, or all of them, as read."""
    query = update(Notification).where(Notification.user_id == user.id,
                                       Notification.read_at.is_(None))
    if notification_id is not None:
        query = query.where(Notification.id == notification_id)
    db.session.execute(query.values(read_at=utcnow()))
    db.session.commit()


def set_digest(user: User, wanted: bool) -> bool:
    """Turn the daily e-mail digest on or off for the user."""
    user.wants_digest = wanted
    audit.record("user.digest", tenant_id=user.tenant_id, object_type="user",
                 object_id=user.id, actor=user, wanted=wanted)
    db.session.commit()
    return wanted


def mine(user: User, notification_id: int) -> Notification | None:
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.user_id != user.id:
        return None
    return notification


__all__ = ["notify", "who_hears", "team_members", "text", "unread_count", "latest",
           "mark_read", "mine", "set_digest"]
