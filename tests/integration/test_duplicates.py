"""Possible duplicates with a merge that keeps both histories, and the household view."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, Referral, SupportRequest, Task
from tests.conftest import logged_in, post_from
from tests.integration.helpers import form_data, submit_form

NOORD_STAFF = "noord@demo.wijkloket.example"


def _submit(client, **changes) -> SupportRequest:
    assert submit_form(client, "/demo/hulpvraag", form_data(**changes)).status_code == 302
    client.delete_cookie("session")
    return db.session.scalars(select(SupportRequest).order_by(SupportRequest.id.desc())).first()


def test_a_duplicate_is_shown_and_merged_keeping_both_histories(app, client, demo):
    first = _submit(client, life_areas=["geld", "werk"])
    second = _submit(client, life_areas=["geld"], house_number="2",
                     description="Nog een vraag over geld.")
    other_person = _submit(client, contact_email="ander@example.org", house_number="3",
                           life_areas=["geld"])
    no_overlap = _submit(client, life_areas=["contact"], house_number="4")
    staff = logged_in(app, NOORD_STAFF)
    url = f"/staff/requests/{first.reference}"
    page = staff.get(f"{url}?lang=en").get_data(as_text=True)
    section = page.split("Possible duplicates")[1].split("</ul>")[0]
    assert second.reference in section  # same e-mail address, money in common
    assert other_person.reference not in section and no_overlap.reference not in section
    second_tasks = [t.id for t in second.tasks if t.state == "open"]
    second_referrals = [r.id for r in second.referrals]

    assert post_from(staff, url, f"{url}/merge", duplicate=second.reference).status_code == 302
    db.session.expire_all()
    merged = db.session.get(SupportRequest, second.id)
    assert merged.merged_into_id == first.id and merged.status == "closed"
    assert f"{first.reference}" in merged.close_note
    # Nothing is dropped: open tasks and live referrals go on in the surviving request.
    assert all(db.session.get(Task, t).request_id == first.id for t in second_tasks)
    assert all(db.session.get(Referral, r).request_id == first.id for r in second_referrals)
    # The surviving request's timeline holds the duplicate's history too.
    timeline = staff.get(f"{url}?lang=en").get_data(as_text=True).split('id="timeline"')[1]
    assert timeline.count("Request received") == 2
    assert "A duplicate was merged into this request" in timeline
    assert db.session.scalar(select(AuditEvent.action).where(
        AuditEvent.object_id == second.id, AuditEvent.action == "request.merged_into"))


def test_only_a_listed_duplicate_of_the_own_team_can_be_merged(app, client, demo):
    first = _submit(client)
    elsewhere = _submit(client, postcode="9999 CA")  # same person, Wijkteam Zuid
    staff = logged_in(app, NOORD_STAFF)
    url = f"/staff/requests/{first.reference}"
    page = staff.get(f"{url}?lang=en").get_data(as_text=True)
    assert elsewhere.reference in page  # shown, by reference and team only
    assert f'href="/staff/requests/{elsewhere.reference}"' not in page
    response = post_from(staff, url, f"{url}/merge", duplicate=elsewhere.reference)
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(SupportRequest, elsewhere.id).merged_into_id is None


def test_the_household_view_lists_other_open_requests_at_the_address(app, client, demo):
    parent = _submit(client, life_areas=["geld"])
    child = _submit(client, for_whom="kind", age="15", life_areas=["opvoeden"],
                    contact_email="ouder2@example.org", description="Zorgen om mijn zoon.")
    neighbour = _submit(client, house_number="5", contact_email="buur@example.org")
    staff = logged_in(app, NOORD_STAFF)
    page = staff.get(f"/staff/requests/{parent.reference}?lang=en").get_data(as_text=True)
    section = page.split("Other open requests at this address")[1].split("</ul>")[0]
    assert child.reference in section and neighbour.reference not in section
    assert "Zorgen om mijn zoon" not in page  # another team's content stays there
