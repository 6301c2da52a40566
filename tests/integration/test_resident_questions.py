"""Asking the resident for more information: e-mail and status page, the clocks pause, a
reminder and a task when no answer comes; standard texts with checked placeholders."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from app.calendar import NATIONAL
from app.extensions import db
from app.models import Notification, OutboxMessage, SupportRequest, Task
from app.scheduler import run_due
from app.services import legal, resident_questions
from tests.conftest import logged_in, post_from
from tests.integration.helpers import form_data, submit_form

NOORD_STAFF = "noord@demo.wijkloket.example"
NOORD_LEAD = "lead-noord@demo.wijkloket.example"


def _wmo_request(client) -> SupportRequest:
    data = form_data(life_areas=["huishouden"], age="82")
    assert submit_form(client, "/demo/hulpvraag", data).status_code == 302
    client.delete_cookie("session")
    return db.session.scalars(select(SupportRequest).order_by(SupportRequest.id.desc())).first()


def _ask(staff, request, text="Woont u alleen?"):
    url = f"/staff/requests/{request.reference}"
    return post_from(staff, url, f"{url}/ask", **{"ask-body": text})


def test_a_question_goes_out_by_mail_without_its_text_and_the_clock_pauses(app, client, demo):
    request = _wmo_request(client)
    staff = logged_in(app, NOORD_STAFF)
    empty = _ask(staff, request, "")
    assert empty.status_code == 422
    assert _ask(staff, request, "Woont u alleen? Wie helpt u nu?").status_code == 302
    db.session.expire_all()
    assert request.waiting_since is not None
    mail = db.session.scalar(select(OutboxMessage).where(
        OutboxMessage.event == "resident.question"))
    assert mail.recipient == "bewoner@example.org"
    assert "Woont u alleen" not in mail.payload["body"]  # the question is on the status page
    assert "/demo/status/" in mail.payload["body"]
    page = staff.get(f"/staff/requests/{request.reference}?lang=en").get_data(as_text=True)
    assert "Waiting for the resident" in page and "Woont u alleen? Wie helpt u nu?" in page

    # Ten days of waiting move the six-week clock by ten days.
    due = legal.deadlines(request)[0].due
    ten_days_ago = request.waiting_since - dt.timedelta(days=10)
    db.session.execute(update(SupportRequest).values(waiting_since=ten_days_ago))
    db.session.commit()
    db.session.expire_all()
    assert legal.deadlines(request)[0].due == due + dt.timedelta(days=10)

    resident_questions.answer(request, "Ja, mijn dochter komt af en toe.")
    db.session.expire_all()
    assert request.waiting_since is None and request.paused_days == 10
    # Once the wait is over the term is six weeks and ten days, and the Algemene termijnenwet
    # moves its end off a weekend or holiday (art. 1).
    clock = legal.deadlines(request)[0]
    assert clock.due == NATIONAL.legal_term_end(clock.started, legal.WMO_INVESTIGATION
                                                + dt.timedelta(days=10))
    assert clock.due >= clock.started + legal.WMO_INVESTIGATION + dt.timedelta(days=10)
    assert db.session.scalar(select(Notification.kind).where(
        Notification.kind == "resident_replied")) is not None
    page = staff.get(f"/staff/requests/{request.reference}?lang=en").get_data(as_text=True)
    assert "Answer from the resident" in page and "mijn dochter komt af en toe" in page


def test_no_answer_brings_one_reminder_and_a_task(app, client, demo):
    request = _wmo_request(client)
    staff = logged_in(app, NOORD_STAFF)
    assert _ask(staff, request).status_code == 302
    db.session.expire_all()
    start = legal.local_date(request.waiting_since)  # the Dutch day, not the UTC one
    assert run_due(NATIONAL.add_working_days(start, 4)).residents_reminded == 0
    assert run_due(NATIONAL.add_working_days(start, 5)).residents_reminded == 1
    assert run_due(NATIONAL.add_working_days(start, 6)).residents_reminded == 0  # once
    assert db.session.scalar(select(Task.kind).where(Task.kind == "no_reply")) == "no_reply"
    assert len(db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.event == "resident.question_reminder")).all()) == 1


def test_a_standard_text_fills_the_question_and_bad_placeholders_are_refused(
        app, client, demo):
    request = _wmo_request(client)
    lead = logged_in(app, NOORD_LEAD)
    page = lead.get("/staff/replies?lang=en").get_data(as_text=True)
    assert "Meer informatie nodig" in page
    bad = post_from(lead, "/staff/replies", "/staff/replies", title="Test", audience="resident",
                    body="Beste {naam}, over {reference}.")
    assert bad.status_code == 422
    assert "{naam}" in bad.get_data(as_text=True)  # named, and the text is kept
    assert post_from(lead, "/staff/replies", "/staff/replies", title="Korte vraag",
                     audience="resident", body="Beste {name}, over {reference}: <b>x</b>"
                     ).status_code == 302
    from app.models import ReplyTemplate

    template = db.session.scalar(select(ReplyTemplate).where(ReplyTemplate.key == "korte_vraag"))
    staff = logged_in(app, NOORD_STAFF)
    filled = staff.get(f"/staff/requests/{request.reference}?reply={template.id}")
    html = filled.get_data(as_text=True)
    assert f"Beste Test Bewoner, over {request.reference}: &lt;b&gt;x&lt;/b&gt;" in html
    assert staff.get("/staff/replies").status_code == 403  # only team leads keep them


def test_the_resident_reads_and_answers_the_question_on_the_status_page(app, client, demo):
    import re

    from tests.conftest import csrf_token

    request = _wmo_request(client)
    staff = logged_in(app, NOORD_STAFF)
    assert _ask(staff, request, "Heeft u <script>x</script> een trap in huis?").status_code == 302
    mail = db.session.scalar(select(OutboxMessage).where(
        OutboxMessage.event == "resident.question"))
    status_path = re.search(r"http://wijkloket.test(/demo/status/\S+)",
                            mail.payload["body"]).group(1)
    resident = app.test_client()
    page = resident.get(status_path).get_data(as_text=True)
    assert "&lt;script&gt;x&lt;/script&gt; een trap in huis?" in page
    token = csrf_token(page)
    empty = resident.post(f"{status_path}/answer", data={"csrf_token": csrf_token(page),
                                                         "body": "  "})
    assert empty.status_code == 422
    assert "Schrijf uw antwoord." in empty.get_data(as_text=True)
    sent = resident.post(f"{status_path}/answer", data={"csrf_token": csrf_token(page),
                                                        "body": "Ja, een steile trap."})
    assert sent.status_code == 302
    page = resident.get(status_path).get_data(as_text=True)
    assert "Ja, een steile trap." in page and 'name="body"' not in page  # nothing open now
    assert resident.post(f"/demo/status/{request.reference}/wrong-token/answer",
                         data={"csrf_token": token, "body": "x"}).status_code == 404
