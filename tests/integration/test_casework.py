"""The request page as a workplace: notes, contact moments, the timeline, optimistic
locking between colleagues, and the access log of who saw what."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm.exc import StaleDataError

from app.extensions import db
from app.models import AuditEvent, ContactMoment, Note, SupportRequest
from tests.conftest import hidden_fields, logged_in, post_from

NOORD_STAFF = "noord@demo.wijkloket.example"
NOORD_LEAD = "lead-noord@demo.wijkloket.example"


def _page(client, reference):
    response = client.get(f"/staff/requests/{reference}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_notes_and_contacts_appear_in_the_timeline_and_partners_read_only_shareable_notes(
        app, referral):
    reference = referral.request.reference
    staff = logged_in(app, NOORD_STAFF)
    url = f"/staff/requests/{reference}"
    assert post_from(staff, url, f"{url}/notes", **{
        "note-body": "Mevrouw wil graag 's ochtends gebeld worden.", "note-shareable": "y"}
    ).status_code == 302
    assert post_from(staff, url, f"{url}/notes", **{
        "note-body": "Vermoeden van <b>huiselijk geweld</b>; niet delen."}).status_code == 302
    assert post_from(staff, url, f"{url}/contacts", **{
        "contact-kind": "no_answer", "contact-note": "Voicemail ingesproken."}).status_code == 302

    page = staff.get(f"{url}?lang=en").get_data(as_text=True)
    assert "Called, no answer" in page and "Voicemail ingesproken." in page
    assert "&lt;b&gt;huiselijk geweld&lt;/b&gt;" in page  # escaped, never markup
    assert page.count("Not for partners") == 1
    timeline = page[page.index('id="timeline"'):]
    assert timeline.index("Contact with the resident") < timeline.index("Request received")

    partner = logged_in(app, "schuldhulp@demo.wijkloket.example")
    shown = partner.get(f"/partner/referrals/{referral.id}").get_data(as_text=True)
    assert "Mevrouw wil graag" in shown
    assert "huiselijk geweld" not in shown
    assert db.session.query(Note).count() == 2


def test_a_note_needs_text_and_a_contact_cannot_be_in_the_future(app, referral):
    reference = referral.request.reference
    staff = logged_in(app, NOORD_STAFF)
    url = f"/staff/requests/{reference}"
    empty = post_from(staff, url, f"{url}/notes", **{"note-body": "  "})
    assert empty.status_code == 422
    assert "Schrijf een notitie." in empty.get_data(as_text=True)
    future = post_from(staff, url, f"{url}/contacts", **{
        "contact-kind": "visited", "contact-happened_at": "2099-01-01T10:00",
        "contact-note": "Bezoek gepland"})
    assert future.status_code == 422
    html = future.get_data(as_text=True)
    assert "De tijd kan niet in de toekomst liggen." in html
    assert "Bezoek gepland" in html  # what was typed is kept
    assert db.session.query(ContactMoment).count() == 0


def test_a_step_from_an_old_page_is_refused_with_what_changed(app, referral):
    reference = referral.request.reference
    url = f"/staff/requests/{reference}"
    noor = logged_in(app, NOORD_STAFF)
    lea = logged_in(app, NOORD_LEAD)
    noor_page = _page(noor, reference)
    lea_page = _page(lea, reference)  # both open the request

    assert noor.post(f"{url}/pick-up", data=hidden_fields(noor_page)).status_code == 302
    stale = lea.post(f"{url}/close", data={**hidden_fields(lea_page),
                                           "note": "Doorverwezen naar schuldhulp."})
    assert stale.status_code == 409
    html = stale.get_data(as_text=True)
    assert "Deze vraag is veranderd sinds u hem opende." in html
    assert "Opgepakt" in html and "Noor Wijkteam" in html  # the change, and who made it
    assert "Doorverwezen naar schuldhulp." in html  # Lea's text is kept
    db.session.expire_all()
    request = db.session.get(SupportRequest, referral.request_id)
    assert request.coordinator.email == NOORD_STAFF and request.status == "in_progress"

    # Having seen the change, Lea may act on the new version.
    assert lea.post(f"{url}/pick-up", data=hidden_fields(html)).status_code == 409  # taken


def test_the_database_refuses_a_write_based_on_a_version_that_changed_meanwhile(app, referral):
    request = db.session.get(SupportRequest, referral.request_id)
    version = request.version
    with db.engine.begin() as other:  # a colleague's transaction commits first
        other.execute(text("UPDATE support_request SET version = version + 1 WHERE id = :id"),
                      {"id": request.id})
    request.close_note = "overwrites nothing"
    with pytest.raises(StaleDataError):
        db.session.commit()
    db.session.rollback()
    assert db.session.get(SupportRequest, referral.request_id).version == version + 1


def test_every_view_is_logged_and_the_team_lead_can_query_the_log(app, referral):
    reference = referral.request.reference
    staff = logged_in(app, NOORD_STAFF)
    _page(staff, reference)
    partner = logged_in(app, "schuldhulp@demo.wijkloket.example")
    partner.get(f"/partner/referrals/{referral.id}")
    views = db.session.execute(select(AuditEvent.action, AuditEvent.actor_label).where(
        AuditEvent.action.like("%.viewed")).order_by(AuditEvent.id)).all()
    assert views == [("request.viewed", NOORD_STAFF),
                     ("referral.viewed", "schuldhulp@demo.wijkloket.example")]

    lead = logged_in(app, NOORD_LEAD)
    log = lead.get(f"/staff/access-log?lang=en&reference={reference}").get_data(as_text=True)
    assert "Viewed the request" in log and "Noor Wijkteam" in log
    assert "Viewed the referral" in log and "Sanne Schuldhulp" in log
    assert "Request received" in log
    zuid_lead_view = logged_in(app, "zuid@demo.wijkloket.example").get("/staff/access-log")
    assert zuid_lead_view.status_code == 403  # staff, not a team lead
    admin = logged_in(app, "admin@demo.wijkloket.example")
    assert reference in admin.get("/admin/access-log").get_data(as_text=True)
    # The log cannot be changed through the app: no route writes to it but the app itself.
    for method in ("POST", "PUT", "DELETE"):
        assert lead.open("/staff/access-log", method=method).status_code == 405


def test_a_shareable_note_is_an_update_for_the_partner_by_mail_and_webhook(app, referral):
    from app.models import OutboxMessage
    from tests.integration.helpers import webhook_partner

    webhook_partner("http://127.0.0.1:9/hooks")
    reference = referral.request.reference
    staff = logged_in(app, NOORD_STAFF)
    url = f"/staff/requests/{reference}"
    post_from(staff, url, f"{url}/notes", **{"note-body": "Alleen voor ons."})
    post_from(staff, url, f"{url}/notes", **{"note-body": "Mevrouw is vanaf maandag thuis.",
                                             "note-shareable": "y"})
    updates = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.event == "referral.updated").order_by(OutboxMessage.channel)).all()
    assert [m.channel for m in updates] == ["email", "webhook"]
    mail, hook = updates
    assert "Mevrouw is vanaf maandag thuis." not in mail.payload["body"]  # a notice only
    assert f"/partner/referrals/{referral.id}" in mail.payload["body"]
    assert hook.payload["data"]["note"] == "Mevrouw is vanaf maandag thuis."
    assert "Alleen voor ons." not in str([m.payload for m in db.session.scalars(
        select(OutboxMessage))])
