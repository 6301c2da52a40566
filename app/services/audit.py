"""Audit events: who did or saw what, when and why. Added to the caller's transaction."""

from __future__ import annotations

from typing import Any

from app.extensions import db
from app.models import AuditEvent, User


def record(
    action: str,
    *,
    tenant_id: int | None,
    object_type: str,
    object_id: int | None,
    actor: User | None = None,
    actor_label: str | None = None,
    reason: str | None = None,
    **details: Any,
) -> AuditEvent:
    """Add an audit event to the session (the caller's commit stores it)."""
    event = AuditEvent(
        tenant_id=tenant_id,
        actor_id=actor.id if actor is not None else None,
        actor_label=actor_label or (actor.email if actor is not None else "system"),
        action=action,
        object_type=object_type,
        object_id=object_id,
        reason=reason,
        details=details,
    )
    db.session.add(event)
    return event
