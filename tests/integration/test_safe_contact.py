"""Safe contact: once a request's contact is marked as not safe, nothing reaches the
resident's own address. Two checks, each tested on its own: when a message is written and
when it is delivered; every refusal is logged and shown on the request page."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, update

from app.extensions import db
from app.models import AuditEvent, CapturedMail, OutboxMessage, SupportRequest
from app.services import safe_contact
from app.worker import process_batch
from tests.conftest import csrf_token, logged_in, post_from
from tests.integration.helpers import form_data, submit_form

STAFF = "noord@demo.wijkloket.example"
ENGLISH = {"Accept-Language": "en"}
CODE_WORD = "Zonnebloem"


def _submit(client) -> SupportRequest:
    response = submit_form(client, "/demo/hulpvraag", form_data(email_updates="y"))
    assert response.status_code == 302
    client.delete_cookie("session")
    return db.session.scalars(select(SupportRequest).order_by(SupportRequest.id.desc())).first()


def _resident_messages(request: SupportRequest, state: str | None = None) -> list[OutboxMessage]:
    query = select(OutboxMessage).where(OutboxMessage.event.like("resident.%"),
                                        OutboxMessage.recipient == request.contact_email)
    if state is not None:
        query = query.where(OutboxMessage.state == state)
    return list(db.session.scalars(query.order_by(OutboxMessage.id)))


def _refusals(when: str) -> list[AuditEvent]:
    events = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "outbox.refused").order_by(AuditEvent.id))
    return [event for event in events if event.details["when"] == when]


def _mark(app, request: SupportRequest, **fields: str):
    staff = logged_in(app, STAFF)
    page = f"/staff/requests/{request.reference}"
    return staff, post_from(staff, page, f"{page}/contact-unsafe",
                            **{f"unsafe-{name}": value for name, value in fields.items()})


def test_marking_stops_the_waiting_messages_and_the_request_page_shows_the_safe_way(
        app, client, demo):
    request = _submit(client)
    waiting = _resident_messages(request, "pending")
    assert waiting  # received and referred, written at intake
    partner_mails = db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.event.like("referral.%"), OutboxMessage.state == "pending"))
    staff, response = _mark(app, request, safe_phone="06 1234 5678",
                            safe_times="weekdays 10 to 12", code_word=CODE_WORD)
    assert response.status_code == 302
    db.session.expire_all()
    assert _resident_messages(request, "pending") == []
    assert len(_resident_messages(request, safe_contact.REFUSED)) == len(waiting)
    # The partner's notice is not the resident's: it still goes.
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.event.like("referral.%"), OutboxMessage.state == "pending")) == partner_mails
    page = staff.get(response.headers["Location"], headers=ENGLISH).get_data(as_text=True)
    assert "Contact is not safe." in page
    assert "06 1234 5678" in page and "weekdays 10 to 12" in page
    assert CODE_WORD not in page  # only that there is one
    assert "Contact marked as not safe" in page  # the timeline
    stored = db.session.get(SupportRequest, request.id)
    assert stored.contact_unsafe and stored.contact_unsafe_by == "staff"
    assert CODE_WORD.casefold() not in stored.code_word_hash.casefold()
    assert safe_contact.code_word_matches(stored, " zonnebloem ")
    assert not safe_contact.code_word_matches(stored, "Madelief")
    process_batch()
    assert db.session.scalar(select(CapturedMail.id).where(
        CapturedMail.recipient == request.contact_email)) is None


def test_a_message_written_after_the_mark_is_refused_and_logged(app, client, demo):
    request = _submit(client)
    _mark(app, request)
    before = db.session.scalar(select(func.count()).select_from(OutboxMessage))
    staff = logged_in(app, STAFF)
    page = f"/staff/requests/{request.reference}"
    assert post_from(staff, page, f"{page}/pick-up").status_code == 302  # mails "picked up"
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == before
    [refusal] = _refusals("written")
    assert refusal.object_id == request.id and refusal.details["event"] == "resident.picked_up"
    assert request.contact_email not in str(refusal.details)
    text = staff.get(page, headers=ENGLISH).get_data(as_text=True)
    assert "A message to the resident was stopped: contact is not safe" in text


def test_a_message_written_before_the_mark_is_refused_at_delivery(app, client, demo):
    """The flag set behind the outbox's back (another process, a rule): the worker still
    checks it before it sends, so the message is refused and not delivered."""
    request = _submit(client)
    waiting = _resident_messages(request, "pending")
    db.session.execute(update(SupportRequest).where(SupportRequest.id == request.id)
                       .values(contact_unsafe=True))
    db.session.commit()
    result = process_batch()
    assert result.refused == len(waiting) and result.sent >= 1  # the partner's mail went
    db.session.expire_all()
    assert {m.state for m in _resident_messages(request)} == {safe_contact.REFUSED}
    assert db.session.scalar(select(CapturedMail.id).where(
        CapturedMail.recipient == request.contact_email)) is None
    assert len(_refusals("delivered")) == len(waiting)


def test_contact_safe_again_needs_a_reason_then_messages_go_again(app, client, demo):
    request = _submit(client)
    staff, _response = _mark(app, request, code_word=CODE_WORD)
    page = f"/staff/requests/{request.reference}"
    refused = post_from(staff, page, f"{page}/contact-safe", **{"safe-reason": ""})
    assert refused.status_code == 422
    db.session.expire_all()
    assert db.session.get(SupportRequest, request.id).contact_unsafe
    done = post_from(staff, page, f"{page}/contact-safe",
                     **{"safe-reason": "She moved to a shelter with her own phone."})
    assert done.status_code == 302
    db.session.expire_all()
    stored = db.session.get(SupportRequest, request.id)
    assert not stored.contact_unsafe and stored.code_word_hash is None
    assert post_from(staff, page, f"{page}/pick-up").status_code == 302
    assert [m.event for m in _resident_messages(request, "pending")] == ["resident.picked_up"]


@pytest.mark.parametrize(("fields", "message"), [
    ({"code_word": "abc"}, "A code word has 4 to 64 characters."),
    ({"safe_phone": "0" * 40}, "Use at most 32 characters."),
])
def test_bad_input_is_refused_with_a_message_and_kept(app, client, demo, fields, message):
    request = _submit(client)
    staff = logged_in(app, STAFF)
    page = f"/staff/requests/{request.reference}"
    form = {f"unsafe-{name}": value for name, value in fields.items()}
    staff.get(page)
    response = post_from(staff, page, f"{page}/contact-unsafe", **form)
    assert response.status_code == 422
    text = staff.post(f"{page}/contact-unsafe", headers=ENGLISH, data={
        **form, "csrf_token": _token(staff, page)}).get_data(as_text=True)
    assert message in text
    assert f'value="{next(iter(fields.values()))}"' in text  # what was typed stays
    db.session.expire_all()
    assert not db.session.get(SupportRequest, request.id).contact_unsafe


def test_another_team_cannot_mark_the_contact(app, client, demo):
    request = _submit(client)
    other = logged_in(app, "zuid@demo.wijkloket.example")
    other.get("/staff/")
    response = other.post(f"/staff/requests/{request.reference}/contact-unsafe",
                          data={"csrf_token": _token(other, "/staff/")})
    assert response.status_code == 404
    db.session.expire_all()
    assert not db.session.get(SupportRequest, request.id).contact_unsafe


def _token(client, url: str) -> str:
    return csrf_token(client.get(url).get_data(as_text=True))
