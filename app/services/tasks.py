"""Tasks for a team: the one place they are made, so each is also announced in-app."""

from __future__ import annotations

from app.extensions import db
from app.models import Referral, SupportRequest, Task
from app.services import notifications


def add_task(request: SupportRequest, team_id: int, kind: str, reason: str,
             referral: Referral | None = None) -> Task:
    """Add a task (and its notifications) to the caller's transaction."""
    task = Task(tenant_id=request.tenant_id, request_id=request.id, team_id=team_id,
                referral_id=referral.id if referral else None, kind=kind, reason=reason)
    db.session.add(task)
    notifications.notify(notifications.who_hears(request, team_id), request, "task", task=kind)
    return task


__all__ = ["add_task"]
