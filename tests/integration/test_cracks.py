"""The cracks report: each kind of crack found, on the CLI and on the team lead's page."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import select, update

from app.extensions import db
from app.models import OutboxMessage, Referral, SupportRequest, Task, Team, User
from app.services.cracks import find_cracks
from tests.conftest import login
from tests.integration.helpers import form_data, submit_form


def _submit(client, **changes):
    assert submit_form(client, "/demo/hulpvraag", form_data(**changes)).status_code == 302
    return db.session.scalars(select(SupportRequest).order_by(SupportRequest.id.desc())).first()


def _kinds(report):
    return sorted(crack.kind for crack in report.cracks)


def test_a_fresh_request_has_no_cracks_and_the_cli_says_so(app, client, demo):
    _submit(client)
    result = app.test_cli_runner().invoke(args=["cracks", "--tenant", "demo"])
    assert result.exit_code == 0, result.output
    assert "No cracks." in result.output


def test_every_kind_of_crack_is_found(app, client, demo):
    late = _submit(client)  # referral to Schuldhulp
    db.session.execute(update(Referral).values(due_date=dt.date.today() - dt.timedelta(days=3)))
    db.session.commit()
    unknown = _submit(client, postcode="1234 AB")  # central intake, location task
    old = dt.datetime.now() - dt.timedelta(days=10)
    db.session.execute(update(Task).where(Task.request_id == unknown.id).values(created_at=old))
    db.session.commit()
    wmo = _submit(client, postcode="9999 CA", life_areas=["huishouden"], age="82")
    wmo.created_at = dt.datetime.now() - dt.timedelta(days=50)
    db.session.commit()
    stranded = _submit(client, life_areas=["anders"])
    stranded.status = "in_progress"
    db.session.commit()
    # One coordinator's account is closed, another moved to Team Zuid.
    closed, moved = _submit(client), _submit(client)
    noor = db.session.scalar(select(User).where(User.email == "noord@demo.wijkloket.example"))
    lea = db.session.scalar(select(User).where(User.email == "lead-noord@demo.wijkloket.example"))
    closed.coordinator_id, moved.coordinator_id = noor.id, lea.id
    db.session.commit()
    assert find_cracks().counts()["coordinator_gone"] == 0  # both still in Noord
    noor.active = False
    lea.team_id = db.session.scalar(select(Team.id).where(Team.key == "zuid"))
    message = db.session.scalars(select(OutboxMessage)).first()
    message.state, message.last_error = "dead", "550 mailbox unavailable"
    db.session.commit()

    report = find_cracks()
    assert _kinds(report) == ["coordinator_gone", "coordinator_gone", "dead_letter",
                              "legal_deadline_passed", "referral_overdue",
                              "request_stranded", "task_unassigned"]
    gone = {c.reference: c.detail for c in report.cracks if c.kind == "coordinator_gone"}
    assert gone == {closed.reference: "the coordinator's account is closed",
                    moved.reference: "the coordinator is no longer in the owning team"}
    by_kind = {crack.kind: crack for crack in report.cracks}
    assert by_kind["referral_overdue"].reference == late.reference
    assert by_kind["task_unassigned"].reference == unknown.reference
    assert by_kind["legal_deadline_passed"].reference == wmo.reference
    assert by_kind["request_stranded"].reference == stranded.reference

    result = app.test_cli_runner().invoke(args=["cracks", "--json"])
    assert result.exit_code == 1
    assert json.loads(result.output)["counts"]["dead_letter"] == 1


def test_the_team_lead_sees_the_cracks_of_the_team(app, client, demo):
    late = _submit(client)
    db.session.execute(update(Referral).values(due_date=dt.date.today() - dt.timedelta(days=3)))
    db.session.commit()
    lead = app.test_client()
    login(lead, "lead-noord@demo.wijkloket.example")
    page = lead.get("/staff/cracks?lang=en").get_data(as_text=True)
    assert late.reference in page
    assert "Referral without an answer past its deadline" in page
    zuid_staff = app.test_client()
    login(zuid_staff, "zuid@demo.wijkloket.example")
    assert zuid_staff.get("/staff/cracks").status_code in (403, 404)


def test_the_task_cutoff_matches_more_than_a_working_day_for_every_day_of_a_year():
    from app.calendar import NATIONAL
    from app.services.cracks import _last_day_waited_too_long

    for offset in range(366):  # weekends, Easter, King's Day, Christmas included
        today = dt.date(2026, 1, 1) + dt.timedelta(days=offset)
        cutoff = _last_day_waited_too_long(today, NATIONAL)
        for back in range(1, 12):
            created = today - dt.timedelta(days=back)
            assert (created <= cutoff) == (today > NATIONAL.add_working_days(created, 1)), (today, created)
