"""The referral loop through the portals: accept, start, complete, give back, withdraw,
send after consent; every change an audit event; other teams and partners see nothing."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, OutboxMessage, Referral, SupportRequest, Task
from tests.conftest import csrf_token, logged_in, post_from
from tests.integration.helpers import check_page, form_data, submit_form


def _actions(referral_id):
    return db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.object_type == "referral", AuditEvent.object_id == referral_id,
        AuditEvent.action != "referral.viewed")
        .order_by(AuditEvent.id)).all()


def test_a_partner_accepts_starts_and_completes_with_an_outcome(app, referral):
    partner = logged_in(app, "schuldhulp@demo.wijkloket.example")
    url = f"/partner/referrals/{referral.id}"
    assert post_from(partner, url, f"{url}/accept").status_code == 302
    assert post_from(partner, url, f"{url}/start").status_code == 302
    page = partner.get(url).get_data(as_text=True)
    check_page(page)
    response = post_from(partner, url, f"{url}/complete", outcome="geholpen",
                         note="Budgetplan gemaakt.")
    assert response.status_code == 302
    db.session.expire_all()
    assert (referral.state, referral.outcome, referral.outcome_note) == (
        "completed", "geholpen", "Budgetplan gemaakt.")
    assert _actions(referral.id) == ["referral.created", "referral.accepted",
                                     "referral.in_progress", "referral.completed"]
    staff = logged_in(app, "noord@demo.wijkloket.example")
    detail = staff.get(f"/staff/requests/{referral.request.reference}").get_data(as_text=True)
    assert "Budgetplan gemaakt." in detail


def test_completing_needs_an_outcome_and_keeps_the_note(app, referral):
    partner = logged_in(app, "schuldhulp@demo.wijkloket.example")
    url = f"/partner/referrals/{referral.id}"
    post_from(partner, url, f"{url}/accept")
    response = post_from(partner, url, f"{url}/complete", note="Mijn notitie")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Kies hoe het afliep." in html and "Mijn notitie" in html
    db.session.expire_all()
    assert referral.state == "accepted"


def test_a_partner_gives_a_referral_back_and_the_owner_gets_a_task(app, referral):
    partner = logged_in(app, "schuldhulp@demo.wijkloket.example")
    url = f"/partner/referrals/{referral.id}"
    post_from(partner, url, f"{url}/accept")
    assert post_from(partner, url, f"{url}/give-back", reason="Past niet bij ons aanbod.") \
        .status_code == 302
    db.session.expire_all()
    assert referral.state == "returned"
    task = db.session.scalar(select(Task).where(Task.kind == "referral_returned"))
    assert task.team_id == referral.request.owner_team_id
    assert "Past niet bij ons aanbod." in task.reason
    assert db.session.scalar(select(OutboxMessage).where(
        OutboxMessage.event == "referral.returned")) is not None


def test_an_illegal_step_is_refused_with_a_clear_message(app, referral):
    partner = logged_in(app, "schuldhulp@demo.wijkloket.example")
    url = f"/partner/referrals/{referral.id}"
    response = post_from(partner, url, f"{url}/start")  # not accepted yet
    assert response.status_code == 409
    assert "Deze stap kan nu niet." in response.get_data(as_text=True)
    assert "Verstuurd, wacht op antwoord" in response.get_data(as_text=True)
    db.session.expire_all()
    assert referral.state == "sent"


def test_the_owning_team_withdraws_and_the_partner_is_told(app, referral):
    staff = logged_in(app, "noord@demo.wijkloket.example")
    detail = f"/staff/requests/{referral.request.reference}"
    action = f"/staff/referrals/{referral.id}/withdraw"
    missing = post_from(staff, detail, action)
    assert missing.status_code == 422
    assert "Geef een reden waarom u de verwijzing intrekt." in missing.get_data(as_text=True)
    response = post_from(staff, detail, action, **{f"withdraw-{referral.id}-reason": "Opgelost."})
    assert response.status_code == 302
    db.session.expire_all()
    assert (referral.state, referral.state_reason) == ("withdrawn", "Opgelost.")
    notice = db.session.scalar(select(OutboxMessage).where(
        OutboxMessage.event == "referral.withdrawn"))
    assert notice.recipient == "aanmelding@schuldhulp.example"
    assert "Opgelost." not in notice.payload["body"]  # no case details in mail


def test_another_team_cannot_withdraw_or_send(app, referral):
    zuid = logged_in(app, "zuid@demo.wijkloket.example")
    page = zuid.get("/staff/").get_data(as_text=True)
    for action in ("withdraw", "send"):
        response = zuid.post(f"/staff/referrals/{referral.id}/{action}",
                             data={"csrf_token": csrf_token(page),
                                   f"withdraw-{referral.id}-reason": "x"})
        assert response.status_code == 404
    other_partner = logged_in(app, "welzijn@demo.wijkloket.example")
    page = other_partner.get("/partner/").get_data(as_text=True)
    for action in ("start", "complete", "give-back", "accept", "decline"):
        response = other_partner.post(f"/partner/referrals/{referral.id}/{action}",
                                      data={"csrf_token": csrf_token(page), "reason": "x",
                                            "outcome": "geholpen"})
        assert response.status_code == 404, action


def test_without_consent_the_team_sends_once_the_resident_agrees(app, client, demo):
    data = form_data(consent_share="no")
    assert submit_form(client, "/demo/hulpvraag", data).status_code == 302
    referral = db.session.scalar(select(Referral))
    assert referral.state == "proposed"
    partner = logged_in(app, "schuldhulp@demo.wijkloket.example")
    assert partner.get(f"/partner/referrals/{referral.id}").status_code == 404
    staff = logged_in(app, "noord@demo.wijkloket.example")
    request = db.session.scalar(select(SupportRequest))
    response = post_from(staff, f"/staff/requests/{request.reference}",
                     f"/staff/referrals/{referral.id}/send")
    assert response.status_code == 302
    db.session.expire_all()
    assert referral.state == "sent" and request.consent_share
    task = db.session.scalar(select(Task).where(Task.kind == "consent_needed"))
    assert task.state == "done"
    assert partner.get(f"/partner/referrals/{referral.id}").status_code == 200
    assert db.session.scalar(select(OutboxMessage).where(
        OutboxMessage.event == "referral.sent")) is not None
