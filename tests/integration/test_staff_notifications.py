"""Staff hear in the app what needs them, and get a daily e-mail of their team's overdue items."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select, update

from app.extensions import db
from app.messaging.outgoing.digest import send_digests
from app.models import Notification, OutboxMessage, Referral, ScheduledRun, User
from tests.conftest import logged_in, post_from
from tests.integration.helpers import form_data, submit_form

NOORD_STAFF = "noord@demo.wijkloket.example"
NOORD_LEAD = "lead-noord@demo.wijkloket.example"
ZUID_STAFF = "zuid@demo.wijkloket.example"


def _inbox(email):
    user = db.session.scalar(select(User).where(User.email == email))
    return db.session.scalars(select(Notification).where(Notification.user_id == user.id)
                              .order_by(Notification.id)).all()


def test_a_declined_referral_tells_the_whole_team_until_someone_coordinates(app, referral):
    partner = logged_in(app, "schuldhulp@demo.wijkloket.example")
    url = f"/partner/referrals/{referral.id}"
    assert post_from(partner, url, f"{url}/decline", reason="Wachtlijst.").status_code == 302
    for email in (NOORD_STAFF, NOORD_LEAD):
        assert [(n.kind, n.params["task"]) for n in _inbox(email)] == [
            ("task", "referral_declined")]
    assert _inbox(ZUID_STAFF) == []

    staff = logged_in(app, NOORD_STAFF)
    page = staff.get("/staff/?lang=en").get_data(as_text=True)
    assert re.search(r"Notifications\s*<span class=\"badge\">1 new</span>", page)
    page = staff.get("/staff/notifications?lang=en").get_data(as_text=True)
    reference = referral.request.reference
    assert f"{reference}: A referral was declined: find another route" in page
    # Opening it leads to the request and marks it as read.
    notification = _inbox(NOORD_STAFF)[0]
    opened = staff.get(f"/staff/notifications/{notification.id}")
    assert opened.status_code == 302
    assert opened.headers["Location"].endswith(f"/staff/requests/{reference}")
    db.session.expire_all()
    assert _inbox(NOORD_STAFF)[0].read_at is not None
    assert _inbox(NOORD_LEAD)[0].read_at is None  # each reads their own


def test_with_a_coordinator_only_the_coordinator_hears_about_the_answer(app, referral):
    staff = logged_in(app, NOORD_STAFF)
    reference = referral.request.reference
    assert post_from(staff, f"/staff/requests/{reference}",
                 f"/staff/requests/{reference}/pick-up").status_code == 302
    partner = logged_in(app, "schuldhulp@demo.wijkloket.example")
    url = f"/partner/referrals/{referral.id}"
    assert post_from(partner, url, f"{url}/accept").status_code == 302
    assert [n.kind for n in _inbox(NOORD_STAFF)] == ["referral_accepted"]
    assert _inbox(NOORD_LEAD) == []
    page = staff.get("/staff/notifications?lang=en").get_data(as_text=True)
    assert f"{reference}: Schuldhulp Demodorp accepted the referral" in page


def test_someone_else_s_notification_is_not_found_and_mark_all_read(app, referral):
    partner = logged_in(app, "schuldhulp@demo.wijkloket.example")
    url = f"/partner/referrals/{referral.id}"
    post_from(partner, url, f"{url}/decline", reason="Wachtlijst.")
    lead_note = _inbox(NOORD_LEAD)[0]
    zuid = logged_in(app, ZUID_STAFF)
    assert zuid.get(f"/staff/notifications/{lead_note.id}").status_code == 404
    staff = logged_in(app, NOORD_STAFF)
    assert post_from(staff, "/staff/notifications", "/staff/notifications/read").status_code == 302
    db.session.expire_all()
    assert all(n.read_at for n in _inbox(NOORD_STAFF))
    assert _inbox(NOORD_LEAD)[0].read_at is None


def test_an_urgent_request_is_announced_to_the_team(app, client, demo):
    assert submit_form(client, "/demo/hulpvraag", form_data(urgency="spoed")).status_code == 302
    assert [n.kind for n in _inbox(NOORD_STAFF)] == ["new_urgent"]
    assert [n.kind for n in _inbox(NOORD_LEAD)] == ["new_urgent"]


def _at(day: dt.date, hour: int) -> dt.datetime:
    """A moment in Dutch winter time (UTC+1), as UTC."""
    return dt.datetime(day.year, day.month, day.day, hour - 1, 0, tzinfo=dt.UTC)


WEDNESDAY = dt.date(2026, 11, 25)


def _digests():
    return db.session.scalars(select(OutboxMessage).where(OutboxMessage.event == "staff.digest")
                              .order_by(OutboxMessage.recipient)).all()


def test_the_daily_digest_lists_the_team_s_overdue_items_once_on_working_days(
        app, referral):
    db.session.execute(update(Referral).values(due_date=WEDNESDAY - dt.timedelta(days=5)))
    db.session.commit()
    assert send_digests(_at(WEDNESDAY, 6)) == 0  # before 07:00
    assert send_digests(_at(dt.date(2026, 11, 28), 9)) == 0  # Saturday

    assert send_digests(_at(WEDNESDAY, 8)) == 2
    mails = _digests()
    assert [m.recipient for m in mails] == [NOORD_LEAD, NOORD_STAFF]  # not Zuid: nothing late
    body = mails[0].payload["body"]
    assert referral.request.reference in body
    assert "Verwijzing zonder antwoord na de termijn" in body
    assert "http://wijkloket.test/staff/requests/" in body
    assert "Wachtlijst" not in body and referral.request.description not in body
    assert mails[0].payload["subject"] == "Wijkteam Noord: 1 ding wacht te lang"

    assert send_digests(_at(WEDNESDAY, 15)) == 0  # once a day
    assert db.session.get(ScheduledRun, f"digest:{referral.tenant_id}:2026-11-25")
    assert send_digests(_at(WEDNESDAY + dt.timedelta(days=1), 8)) == 2  # and again tomorrow


def test_staff_can_turn_the_digest_off(app, referral):
    db.session.execute(update(Referral).values(due_date=WEDNESDAY - dt.timedelta(days=5)))
    db.session.commit()
    staff = logged_in(app, NOORD_STAFF)
    assert post_from(staff, "/staff/notifications", "/staff/notifications/digest").status_code == 302
    assert send_digests(_at(WEDNESDAY, 8)) == 1
    assert [m.recipient for m in _digests()] == [NOORD_LEAD]
    assert post_from(staff, "/staff/notifications", "/staff/notifications/digest",
                 digest="on").status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(User.wants_digest).where(User.email == NOORD_STAFF))
