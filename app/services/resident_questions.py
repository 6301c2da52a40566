"""Asking the resident for more information, and the resident's answer.

The question goes out by e-mail (only a notice and the status link: the text itself is on the
status page) and is shown on the status page with a reply form. While the team waits, the
request shows "waiting for the resident" and its legal clocks pause (app.services.legal).
When no answer comes within ``RESIDENT_REPLY_DAYS`` working days, the resident gets one
reminder and the owning team a task, so the request never waits silently.
"""

from __future__ import annotations

import datetime as dt

from flask import current_app
from sqlalchemy import select

from app.extensions import db
from app.i18n import _, force_locale
from app.lifecycle import REQUEST_CLOSED
from app.limits import MESSAGE_MAX
from app.messaging.in_app import notifications
from app.messaging.outgoing import notices
from app.models import ResidentMessage, SupportRequest, Tenant, User, utcnow
from app.services import audit, legal, request_states
from app.services.calendars import calendar_for
from app.services.errors import InvalidInput
from app.services.tasks import add_task


def _text(body: str | None, missing: str) -> str:
    body = (body or "").strip()
    if not body:
        raise InvalidInput(missing, "body")
    if len(body) > MESSAGE_MAX:
        raise InvalidInput(_("Use at most %(max)d characters.", max=MESSAGE_MAX), "body")
    return body


def ask(user: User, request: SupportRequest, body: str) -> ResidentMessage:
    """The owning team asks the resident something (the caller checked ownership)."""
    body = _text(body, _("Write your question."))
    request_states.ensure_open(request)
    message = ResidentMessage(tenant_id=request.tenant_id, request_id=request.id,
                              direction="to_resident", body=body, author_id=user.id)
    db.session.add(message)
    db.session.flush()
    if request.waiting_since is None:
        request.waiting_since = utcnow()
    request.waiting_reminded_at = None
    audit.record("request.resident_asked", tenant_id=request.tenant_id,
                 object_type="support_request", object_id=request.id, actor=user,
                 message_id=message.id)
    tenant = db.session.get(Tenant, request.tenant_id)
    assert tenant is not None
    notices.to_resident(tenant, request, "question", key=f"message-{message.id}-question",
                        asked=True)
    db.session.commit()
    return message


def waiting_days(request: SupportRequest, today: dt.date) -> int:
    """Whole Dutch days the current wait has lasted (0 when not waiting): the pause the
    legal clocks count (app/services/legal.py)."""
    return legal.days_waited(legal.pause_began(request), today)


def answer(request: SupportRequest, body: str) -> ResidentMessage:
    """The resident answers on the status page; the clocks run again."""
    body = _text(body, _("Write your answer."))
    request_states.ensure_open(request)
    message = ResidentMessage(tenant_id=request.tenant_id, request_id=request.id,
                              direction="from_resident", body=body)
    db.session.add(message)
    db.session.flush()
    if request.waiting_since is not None:
        request.paused_days += waiting_days(request, legal.local_today())
        request.waiting_since = None
        request.waiting_reminded_at = None
    audit.record("request.resident_replied", tenant_id=request.tenant_id,
                 object_type="support_request", object_id=request.id,
                 actor_label="resident via status page", message_id=message.id)
    notifications.notify(notifications.who_hears(request), request, "resident_replied")
    db.session.commit()
    return message


def thread(request: SupportRequest) -> list[ResidentMessage]:
    return list(db.session.scalars(select(ResidentMessage).where(
        ResidentMessage.request_id == request.id).order_by(ResidentMessage.id)))


def remind_waiting(today: dt.date) -> int:
    """One reminder to the resident and a task for the team after the reply period."""
    days = current_app.config["RESIDENT_REPLY_DAYS"]
    waiting = db.session.scalars(select(SupportRequest).where(
        SupportRequest.waiting_since.is_not(None), SupportRequest.waiting_reminded_at.is_(None),
        SupportRequest.status != REQUEST_CLOSED).order_by(SupportRequest.id).limit(500)).all()
    done = 0
    for request in waiting:
        began = legal.pause_began(request)
        assert began is not None and request.waiting_since is not None
        tenant = db.session.get(Tenant, request.tenant_id)
        assert tenant is not None
        if today < calendar_for(tenant).add_working_days(began, days):
            continue
        request.waiting_reminded_at = utcnow()
        stamp = request.waiting_since.strftime("%Y%m%d%H%M%S")
        notices.to_resident(tenant, request, "question_reminder",
                            key=f"request-{request.id}-question-reminder-{stamp}", asked=True)
        with force_locale("nl"):
            add_task(request, request.owner_team_id, "no_reply",
                     _("The resident did not answer the question within %(days)d working days. "
                       "Call them, or decide without the answer.", days=days))
        audit.record("request.resident_reminded", tenant_id=request.tenant_id,
                     object_type="support_request", object_id=request.id,
                     actor_label="scheduler")
        db.session.commit()
        done += 1
    return done


__all__ = ["answer", "ask", "remind_waiting", "thread", "waiting_days"]
