"""Tasks for a team: the one place they are made, so each is also announced in-app, and the
one place they are completed (a task is ``open``, then ``done`` for good: app/lifecycle.py)."""

from __future__ import annotations

import datetime as dt

from app.extensions import db
from app.lifecycle import TASK_DONE, TASK_OPEN
from app.messaging.in_app import notifications
from app.models import Referral, SupportRequest, Task, User, utcnow


def add_task(request: SupportRequest, team_id: int, kind: str, reason: str,
             referral: Referral | None = None, *, due_on: dt.date | None = None) -> Task:
    """Add a task (and its notifications) to the caller's transaction; ``due_on``: its own
    legal deadline, if it has one."""
    task = Task(tenant_id=request.tenant_id, request_id=request.id, team_id=team_id,
                referral_id=referral.id if referral else None, kind=kind, reason=reason,
                due_on=due_on)
    db.session.add(task)
    notifications.notify(notifications.who_hears(request, team_id), request, "task", task=kind)
    return task


def is_open(task: Task) -> bool:
    """Whether someone of the team still has to do ``task``."""
    return task.state == TASK_OPEN


def complete(task: Task, user: User | None, at: dt.datetime | None = None) -> bool:
    """Mark ``task`` done by ``user`` (None: the system, when what it asked for happened by
    itself) at ``at`` (naive UTC; now when not given), in the caller's transaction. Returns
    False, and changes nothing, when it was done already."""
    if not is_open(task):
        return False
    task.state, task.done_at = TASK_DONE, at or utcnow()
    task.done_by_id = user.id if user is not None else None
    return True


__all__ = ["add_task", "complete", "is_open"]
