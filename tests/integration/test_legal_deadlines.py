"""Wmo 2015 legal deadlines: six weeks for the investigation, two weeks for the decision."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from app.calendar import NATIONAL
from app.extensions import db
from app.models import AuditEvent, SupportRequest
from app.services import legal
from app.services.cracks import find_cracks
from tests.conftest import csrf_token, login, post_from
from tests.integration.helpers import form_data, submit_form


def _wmo_request(client) -> SupportRequest:
    data = form_data(postcode="9999 CA", life_areas=["huishouden"], age="82")
    assert submit_form(client, "/demo/hulpvraag", data).status_code == 302
    request = db.session.scalars(select(SupportRequest).order_by(SupportRequest.id.desc())).first()
    assert legal.routed_to_wmo(request)
    return request


def _record(staff, reference, step, day):
    return post_from(staff, f"/staff/requests/{reference}", f"/staff/requests/{reference}/wmo",
                     step=step, day=day)


def test_a_wmo_request_shows_six_weeks_with_the_days_left(app, client, demo):
    request = _wmo_request(client)
    staff = app.test_client()
    login(staff, "zuid@demo.wijkloket.example")
    page = staff.get(f"/staff/requests/{request.reference}?lang=en").get_data(as_text=True)
    assert "Wmo: investigation done (6 weeks after the request)" in page
    # Six weeks, ending as the Algemene termijnenwet says (not on a weekend or holiday).
    due = NATIONAL.legal_term_end(legal.melding_date(request), dt.timedelta(weeks=6))
    left = (due - legal.local_today()).days
    assert 42 <= left <= 46
    assert f"{left} days left" in page
    assert "Wmo: decision on the application" not in page  # no application yet


def test_the_decision_clock_starts_with_the_application_and_stops_with_the_decision(
        app, client, demo):
    request = _wmo_request(client)
    staff = app.test_client()
    login(staff, "zuid@demo.wijkloket.example")
    today = legal.local_today()
    assert _record(staff, request.reference, "investigation_done", today.isoformat()
                   ).status_code == 302
    assert _record(staff, request.reference, "application_received", today.isoformat()
                   ).status_code == 302
    db.session.expire_all()
    clocks = {d.kind: d for d in legal.deadlines(request)}
    assert clocks["wmo_investigation"].done == today
    decision_due = NATIONAL.legal_term_end(today, dt.timedelta(days=14))
    assert clocks["wmo_decision"].due == decision_due
    assert [d.kind for d in legal.running(request)] == ["wmo_decision"]
    page = staff.get(f"/staff/requests/{request.reference}?lang=en").get_data(as_text=True)
    assert f"{(decision_due - today).days} days left" in page

    # Fifteen days on, with no decision, the team lead's report lists it.
    later = decision_due + dt.timedelta(days=1)
    report = find_cracks(today=later)
    assert [(c.kind, c.reference) for c in report.cracks] == [
        ("legal_deadline_passed", request.reference)]
    assert "wmo_decision" in report.cracks[0].detail

    assert _record(staff, request.reference, "decision_taken", today.isoformat()
                   ).status_code == 302
    db.session.expire_all()
    assert legal.running(request) == []
    assert find_cracks(today=later).ok
    actions = set(db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.object_id == request.id, AuditEvent.action.like("request.wmo_%"))))
    assert actions == {"request.wmo_investigation_done", "request.wmo_application_received",
                       "request.wmo_decision_taken"}


def test_a_six_week_investigation_past_its_date_is_a_crack_until_it_is_done(app, client, demo):
    request = _wmo_request(client)
    due = NATIONAL.legal_term_end(legal.melding_date(request), dt.timedelta(weeks=6))
    assert find_cracks(today=due).ok
    later = due + dt.timedelta(days=1)
    assert [c.kind for c in find_cracks(today=later).cracks] == ["legal_deadline_passed"]
    staff = app.test_client()
    login(staff, "zuid@demo.wijkloket.example")
    assert _record(staff, request.reference, "investigation_done",
                   legal.local_today().isoformat()).status_code == 302
    db.session.expire_all()
    assert find_cracks(today=later).ok


def test_wrong_dates_are_refused_with_a_message_and_the_answers_kept(app, client, demo):
    request = _wmo_request(client)
    staff = app.test_client()
    login(staff, "zuid@demo.wijkloket.example")
    tomorrow = (legal.local_today() + dt.timedelta(days=1)).isoformat()
    response = _record(staff, request.reference, "investigation_done", tomorrow)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "De datum kan niet in de toekomst liggen." in page
    assert f'value="{tomorrow}"' in page
    response = _record(staff, request.reference, "decision_taken",
                       legal.local_today().isoformat())
    assert response.status_code == 422
    assert "Vul eerst de aanvraag in." in response.get_data(as_text=True)
    response = _record(staff, request.reference, "investigation_done", "gisteren")
    assert response.status_code == 422
    db.session.expire_all()
    assert request.wmo_investigation_done_on is None


def test_another_team_cannot_record_a_step(app, client, demo):
    request = _wmo_request(client)
    other = app.test_client()
    login(other, "noord@demo.wijkloket.example")
    page = other.get("/staff/").get_data(as_text=True)
    response = other.post(f"/staff/requests/{request.reference}/wmo",
                          data={"csrf_token": csrf_token(page), "step": "investigation_done",
                                "day": legal.local_today().isoformat()})
    assert response.status_code == 404
    db.session.expire_all()
    assert request.wmo_investigation_done_on is None


def test_the_queue_and_the_api_show_the_legal_clock(app, client, demo):
    from tests.integration.test_partner_api import _token

    request = _wmo_request(client)
    staff = app.test_client()
    login(staff, "zuid@demo.wijkloket.example")
    queue = staff.get("/staff/?lang=en").get_data(as_text=True)
    due = NATIONAL.legal_term_end(legal.melding_date(request), dt.timedelta(weeks=6))
    assert "Legal deadline" in queue
    assert f"{(due - legal.local_today()).days} days left" in queue
    token = _token(demo.id, None)
    detail = client.get(f"/api/v1/requests/{request.reference}",
                        headers={"Authorization": f"Bearer {token}"}).get_json()
    start = legal.melding_date(request)
    assert detail["legal_deadlines"] == [{
        "kind": "wmo_investigation", "started": start.isoformat(),
        "due": due.isoformat(), "done": None}]
