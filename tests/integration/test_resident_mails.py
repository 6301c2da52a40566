"""Residents who opted in get e-mails (received, picked up, referred, closed) in their own
language with the status link; after closure they can say whether they were helped."""

from __future__ import annotations

import re

from sqlalchemy import select

from app.extensions import db
from app.models import OutboxMessage, Referral, SupportRequest, Task
from tests.conftest import csrf_token, hidden_fields, login
from tests.integration.helpers import form_data, submit_form


def _mails(event):
    return db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.event == f"resident.{event}").order_by(OutboxMessage.id)).all()


def _submit(client, url="/demo/hulpvraag", **changes):
    response = submit_form(client, url, form_data(email_updates="y", **changes))
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return db.session.scalars(select(SupportRequest).order_by(SupportRequest.id.desc())).first()


def test_an_opted_in_resident_gets_received_and_referred_mails_with_the_link(app, client, demo):
    request = _submit(client)
    received, = _mails("received")
    assert received.recipient == "bewoner@example.org"
    assert request.reference in received.payload["subject"]
    link = re.search(r"http://wijkloket.test(/demo/status/\S+)", received.payload["body"]).group(1)
    assert app.test_client().get(link).status_code == 200
    referred, = _mails("referred")
    assert "Schuldhulp Demodorp" in referred.payload["body"]
    assert "schulden" not in referred.payload["body"].lower()  # no details of the question


def test_mails_are_in_the_residents_language(client, demo):
    _submit(client, url="/demo/hulpvraag?lang=en")
    assert _mails("received")[0].payload["subject"].startswith("We received your question")


def test_without_opting_in_no_mail_goes_to_the_resident(client, demo):
    assert submit_form(client, "/demo/hulpvraag", form_data()).status_code == 302
    assert db.session.scalar(select(OutboxMessage).where(
        OutboxMessage.event.like("resident.%"))) is None


def test_opting_in_needs_an_e_mail_address(client, demo):
    response = submit_form(client, "/demo/hulpvraag", form_data(
        email_updates="y", contact_email="", contact_phone="0612345678",
        contact_preferred="telefoon"))
    assert response.status_code == 422
    assert "Vul een e-mailadres in om e-mails over uw vraag te krijgen." in response.get_data(
        as_text=True)


def test_pick_up_close_and_feedback_no_reopens(app, client, demo):
    request = _submit(client)
    staff = app.test_client()
    login(staff, "noord@demo.wijkloket.example")
    detail = f"/staff/requests/{request.reference}"

    def post(url, **data):
        page = staff.get(detail).get_data(as_text=True)
        return staff.post(url, data={**hidden_fields(page), **data})

    assert post(f"{detail}/pick-up").status_code == 302
    assert len(_mails("picked_up")) == 1
    blocked = post(f"{detail}/close", note="Klaar.")
    assert blocked.status_code == 409  # the referral to Schuldhulp is still live
    referral = db.session.scalar(select(Referral))
    post(f"/staff/referrals/{referral.id}/withdraw",
         **{f"withdraw-{referral.id}-reason": "Niet meer nodig."})
    assert post(f"{detail}/close").status_code == 422  # a note is needed
    assert post(f"{detail}/close", note="Samen een plan gemaakt.").status_code == 302
    db.session.expire_all()
    assert request.status == "closed"
    closed, = _mails("closed")
    link = re.search(r"http://wijkloket.test(/demo/status/\S+)", closed.payload["body"]).group(1)

    resident = app.test_client()
    page = resident.get(link).get_data(as_text=True)
    assert "Heeft u de hulp gekregen die u nodig had?" in page
    response = resident.post(f"{link}/feedback", data={
        "csrf_token": csrf_token(page), "answer": "nee", "comment": "Nog steeds schulden."})
    assert response.status_code == 302
    task = db.session.scalar(select(Task).where(Task.kind == "reopen_request"))
    assert task.team_id == request.owner_team_id and "Nog steeds schulden." in task.reason
    again = resident.post(f"{link}/feedback", data={"csrf_token": csrf_token(page),
                                                    "answer": "ja"})
    assert again.status_code == 409
    assert "Bedankt voor uw antwoord." in resident.get(link).get_data(as_text=True)
