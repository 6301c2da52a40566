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
    staff, response = _mark(app, request, safe_phone="06 12345678",
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
    assert "+31612345678" in page and "weekdays 10 to 12" in page
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


# --- The resident says so on the form, or a rule does -----------------------------------------


def _submit_with(client, **changes) -> SupportRequest:
    response = submit_form(client, "/demo/hulpvraag", form_data(**changes))
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    client.delete_cookie("session")
    return db.session.scalars(select(SupportRequest).order_by(SupportRequest.id.desc())).first()


def test_a_resident_who_says_contact_is_not_safe_gets_nothing_and_staff_see_the_safe_way(
        app, client, demo):
    request = _submit_with(client, contact_safe="no", safe_phone="06 12345678",
                           safe_times="on Tuesdays", code_word=CODE_WORD)
    assert request.contact_unsafe and request.contact_unsafe_by == "resident"
    assert request.safe_times == "on Tuesdays"
    assert _resident_messages(request) == []  # not "received", not "referred"
    assert safe_contact.code_word_matches(request, CODE_WORD)


def test_the_safe_way_alone_is_enough_to_reach_a_resident_whose_contact_is_not_safe(
        app, client, demo):
    request = _submit_with(client, contact_safe="no", contact_email="", contact_phone="",
                           contact_preferred="", safe_phone="06 12345678")
    assert request.contact_unsafe and request.contact_email is None


@pytest.mark.parametrize(("changes", "message"), [
    ({"safe_phone": "06 12345678"}, "You gave a safe way to reach you."),
    ({"contact_safe": "no", "email_updates": "y"}, "we send you no e-mails"),
    ({"contact_safe": "no", "code_word": "ab"}, "A code word has 4 to 64 characters."),
])
def test_the_form_says_what_does_not_fit_and_keeps_the_answers(client, demo, changes, message):
    response = submit_form(client, "/demo/hulpvraag?lang=en", form_data(**changes))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page
    assert db.session.scalar(select(func.count()).select_from(SupportRequest)) == 0


def test_a_rule_on_safety_at_home_marks_the_contact_unless_the_resident_says_it_is_safe(
        app, client, demo):
    marked = _submit_with(client, life_areas=["veiligheid"], email_updates="y")
    assert marked.contact_unsafe and marked.contact_unsafe_by == "rule"
    assert _resident_messages(marked) == []
    said_safe = _submit_with(client, life_areas=["veiligheid"], email_updates="y",
                             contact_safe="yes")
    assert not said_safe.contact_unsafe
    assert "resident.received" in {m.event for m in _resident_messages(said_safe)}


# --- The status page and the partner ----------------------------------------------------------


def _status_url(request: SupportRequest) -> str:
    from app.services.status_tokens import status_token
    return f"/demo/status/{request.reference}/{status_token(request)}"


def test_the_status_page_shows_only_being_handled_until_the_code_word_is_given(
        app, client, demo):
    request = _submit_with(client, contact_safe="no", code_word=CODE_WORD)
    url = _status_url(request)
    closed = client.get(url, headers=ENGLISH)
    text = closed.get_data(as_text=True)
    assert closed.status_code == 200 and "Your question is being handled." in text
    assert "Wijkteam Noord" not in text and "Schuldhulp" not in text
    # What the page would let a visitor do is refused while it is closed.
    token = csrf_token(text)
    assert client.post(f"{url}/answer", data={"csrf_token": token, "body": "x"}).status_code \
        == 403
    wrong = client.post(f"{url}/code-word", headers=ENGLISH,
                        data={"csrf_token": token, "code_word": "Madelief"})
    assert wrong.status_code == 422 and "This code word is not right." in wrong.get_data(
        as_text=True)
    right = client.post(f"{url}/code-word", data={"csrf_token": token,
                                                  "code_word": CODE_WORD.lower()})
    assert right.status_code == 302
    opened = client.get(url, headers=ENGLISH).get_data(as_text=True)
    assert "Your question is being handled." not in opened and "Reference" in opened
    actions = [event.action for event in db.session.scalars(select(AuditEvent).where(
        AuditEvent.action.like("status.%")).order_by(AuditEvent.id))]
    assert actions == ["status.closed_shown", "status.code_word_wrong",
                       "status.code_word_right"]
    staff = logged_in(app, STAFF)
    page = staff.get(f"/staff/requests/{request.reference}", headers=ENGLISH)
    assert "A wrong code word was given on the status page" in page.get_data(as_text=True)


def test_a_partner_never_gets_the_residents_own_address_when_contact_is_not_safe(
        app, client, demo):
    from app.api import new_token
    from app.models import ApiToken, Partner

    request = _submit_with(client, contact_safe="no", safe_phone="06 12345678")
    partner = db.session.scalar(select(Partner).where(Partner.key == "schuldhulp"))
    raw, hashed = new_token()
    db.session.add(ApiToken(tenant_id=demo.id, name="api", token_hash=hashed,
                            partner_id=partner.id))
    db.session.commit()
    listing = client.get("/api/v1/referrals", headers={"Authorization": f"Bearer {raw}"})
    [referral] = listing.get_json()["referrals"]
    contact = referral["request"]["contact"]
    assert contact["safe"] is False and contact["safe_phone"] == request.safe_phone
    assert contact["email"] is None and contact["phone"] is None
    assert request.contact_email not in listing.get_data(as_text=True)


def test_changing_the_subjects_to_safety_at_home_marks_the_contact(app, client, demo):
    request = _submit(client)  # about money; opted in to updates
    staff = logged_in(app, STAFF)
    page = f"/staff/requests/{request.reference}"
    response = post_from(staff, page, f"{page}/life-areas", confirm="yes",
                         **{"areas-life_areas": ["geld", "veiligheid"]})
    assert response.status_code == 302
    db.session.expire_all()
    stored = db.session.get(SupportRequest, request.id)
    assert stored.contact_unsafe and stored.contact_unsafe_by == "rule"
    assert _resident_messages(stored, "pending") == []  # "referred" to Veilig Thuis too
