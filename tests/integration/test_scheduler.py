"""Deadlines: a reminder on the due date, an alert to the team lead a working day later,
expiry after the grace period — each once — and the worker runs it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from app.calendar import NATIONAL
from app.extensions import db
from app.models import AuditEvent, OutboxMessage, Referral, Task
from app.scheduler import run_due
from tests.integration.helpers import form_data, submit_form

DUE = dt.date(2026, 11, 24)  # a Tuesday


def _referral(client):
    assert submit_form(client, "/demo/hulpvraag", form_data()).status_code == 302
    referral = db.session.scalar(select(Referral))
    referral.due_date = DUE
    db.session.commit()
    return referral


def _events(event):
    return db.session.scalars(select(OutboxMessage).where(OutboxMessage.event == event)).all()


def test_reminder_then_alert_then_expiry_each_once(app, client, demo):
    referral = _referral(client)
    assert run_due(DUE - dt.timedelta(days=1)).reminded == 0

    first = run_due(DUE)
    assert (first.reminded, first.escalated, first.expired) == (1, 0, 0)
    assert [m.recipient for m in _events("referral.reminder")] == ["aanmelding@schuldhulp.example"]
    assert run_due(DUE).reminded == 0  # once

    next_day = NATIONAL.add_working_days(DUE, 1)
    assert run_due(next_day).escalated == 1
    alert = _events("referral.overdue")
    assert [m.recipient for m in alert] == ["lead-noord@demo.wijkloket.example"]
    assert run_due(next_day).escalated == 0

    grace = app.config["REFERRAL_EXPIRY_GRACE_DAYS"]
    assert run_due(NATIONAL.add_working_days(DUE, grace) - dt.timedelta(days=1)).expired == 0
    assert run_due(NATIONAL.add_working_days(DUE, grace)).expired == 1
    db.session.expire_all()
    assert referral.state == "expired"
    task = db.session.scalar(select(Task).where(Task.kind == "referral_expired"))
    assert task.team_id == referral.request.owner_team_id
    assert "niet op tijd" in task.reason
    assert len(_events("referral.expired")) == 1  # the owning team is told
    actions = db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.object_id == referral.id, AuditEvent.object_type == "referral")).all()
    assert {"referral.reminded", "referral.escalated", "referral.expired"} <= set(actions)
    assert run_due(NATIONAL.add_working_days(DUE, grace + 5)).expired == 0


def test_an_answered_referral_gets_no_reminder(app, client, demo):
    referral = _referral(client)
    referral.state = "accepted"
    db.session.commit()
    assert run_due(NATIONAL.add_working_days(DUE, 10)).reminded == 0
    assert _events("referral.reminder") == []


def test_the_worker_runs_the_scheduler(app, client, demo):
    referral = _referral(client)
    referral.due_date = dt.date.today() - dt.timedelta(days=30)
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(Referral.state)) == "expired"
    pending = db.session.scalar(select(func.count(OutboxMessage.id)).where(
        OutboxMessage.state != "sent"))
    assert pending == 0  # the expiry notice went out in the same run
