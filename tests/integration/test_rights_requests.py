"""A resident's request to correct or erase data (AVG art. 16, 17): a task for the owning
team with a legal month (art. 12(3)), in the cracks report once it has passed."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, SupportRequest, Task
from app.services.cracks import find_cracks
from tests.conftest import logged_in, post_from
from tests.integration.helpers import form_data, submit_form

STAFF = "noord@demo.wijkloket.example"
ENGLISH = {"Accept-Language": "en"}


@pytest.fixture
def request_row(client, demo) -> SupportRequest:
    assert submit_form(client, "/demo/hulpvraag", form_data()).status_code == 302
    client.delete_cookie("session")
    return db.session.scalar(select(SupportRequest))


def _record(app, request_row, **fields):
    staff = logged_in(app, STAFF)
    page = f"/staff/requests/{request_row.reference}"
    return staff, post_from(staff, page, f"{page}/rights",
                            **{f"rights-{name}": value for name, value in fields.items()})


def test_a_request_to_erase_data_is_a_task_due_a_month_later_and_a_crack_after_it(
        app, demo, request_row):
    staff, response = _record(app, request_row, kind="rights_erasure",
                              received_on="2026-01-31", note="Mijn oude adres wissen.")
    assert response.status_code == 302
    task = db.session.scalar(select(Task).where(Task.kind == "rights_erasure"))
    assert task.due_on == dt.date(2026, 2, 28)  # a month after 31 January
    assert task.team_id == request_row.owner_team_id
    event = db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "request.rights_requested"))
    assert event.details["due_on"] == "2026-02-28"
    page = staff.get(f"/staff/requests/{request_row.reference}", headers=ENGLISH)
    text = page.get_data(as_text=True)
    assert "The resident asks to erase data: answer within a month" in text
    assert "days late" in text  # 28 February 2026 has passed

    on_time = find_cracks(demo, today=dt.date(2026, 2, 28))
    assert "rights_request_overdue" not in {crack.kind for crack in on_time.cracks}
    late = find_cracks(demo, today=dt.date(2026, 3, 1))
    [crack] = [c for c in late.cracks if c.kind == "rights_request_overdue"]
    assert (crack.object_id, crack.reference) == (task.id, request_row.reference)
    task.state = "done"
    db.session.commit()
    done = find_cracks(demo, today=dt.date(2026, 3, 1))
    assert "rights_request_overdue" not in {crack.kind for crack in done.cracks}


@pytest.mark.parametrize(("fields", "message"), [
    ({"received_on": "2026-01-31", "note": "x"}, "Choose what the resident asks."),
    ({"kind": "rights_correction", "received_on": "2026-01-31", "note": ""},
     "Write down which data it is about."),
    ({"kind": "rights_correction", "received_on": "2999-01-01", "note": "x"},
     "This date is in the future."),
])
def test_a_wrong_rights_request_is_refused_with_a_message(app, demo, request_row, fields,
                                                          message):
    staff = logged_in(app, STAFF)
    page = f"/staff/requests/{request_row.reference}"
    staff.get(page)
    response = post_from(staff, page, f"{page}/rights",
                         **{f"rights-{name}": value for name, value in fields.items()})
    assert response.status_code == 422
    text = staff.post(f"{page}/rights", headers=ENGLISH, data={
        "csrf_token": _token(staff, page),
        **{f"rights-{name}": value for name, value in fields.items()}}).get_data(as_text=True)
    assert message in text
    assert db.session.scalar(select(Task).where(Task.kind.like("rights_%"))) is None


def _token(client, url):
    from tests.conftest import csrf_token
    return csrf_token(client.get(url).get_data(as_text=True))
