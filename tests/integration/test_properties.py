"""Property-based tests (hypothesis) on the forms and the referral state machine.

- Whatever a resident types in the free-text fields, the form either stores it exactly or
  answers 422 with a message: never a 500, and what is stored is shown escaped.
- Whatever order of steps partners and staff try on a referral, every step is either done or
  refused with a clear 409, and the request is never left with open needs and nobody acting:
  a live referral or an open task always remains until the referral is completed or withdrawn.
- Hidden fields added to a form (status, owner, coordinator) change nothing.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from app.extensions import db
from app.lifecycle import BACK_TO_OWNER, LIVE_STATES, TRANSITIONS
from app.models import Referral, SupportRequest, Task, User
from app.services import referrals as service
from app.services.errors import Conflict
from tests.conftest import logged_in, post_from
from tests.integration.helpers import form_data, submit_form

SETTINGS = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])

free_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    min_size=0, max_size=300)


def _latest() -> SupportRequest | None:
    db.session.expire_all()
    return db.session.scalars(select(SupportRequest).order_by(SupportRequest.id.desc())).first()


@SETTINGS
@given(description=free_text, name=free_text, address=free_text)
def test_any_free_text_is_stored_exactly_or_refused_with_a_message(
        app, client, demo, description, name, address):
    before = _latest()
    response = submit_form(client, "/demo/hulpvraag", form_data(
        description=description, contact_name=name, address=address, postcode="",
        house_number=""))
    assert response.status_code in (302, 422), response.status_code
    if response.status_code == 422:
        html = response.get_data(as_text=True)
        assert 'class="error-summary"' in html
        assert _latest() == before  # nothing stored
        return
    stored = _latest()
    assert stored is not None and stored != before
    assert stored.description == description.strip()
    assert (stored.contact_name or "") == name.strip()
    staff = logged_in(app, "centraal@demo.wijkloket.example")  # no postcode: central intake
    page = staff.get(f"/staff/requests/{stored.reference}").get_data(as_text=True)
    assert "<script" not in description or "<script" not in page.split("<main")[1]


STEPS = ("accept", "decline", "start", "complete", "give_back", "withdraw")


def _step(name: str, referral_id: int) -> None:
    partner = db.session.scalar(select(User).where(
        User.email == "schuldhulp@demo.wijkloket.example"))
    staff = db.session.scalar(select(User).where(User.email == "noord@demo.wijkloket.example"))
    actions = {
        "accept": lambda: service.accept(partner, referral_id),
        "decline": lambda: service.decline(partner, referral_id, "Geen plek."),
        "start": lambda: service.start(partner, referral_id),
        "complete": lambda: service.complete(partner, referral_id, "geholpen", "Klaar."),
        "give_back": lambda: service.give_back(partner, referral_id, "Past niet."),
        "withdraw": lambda: service.withdraw(staff, referral_id, "Niet meer nodig."),
    }
    actions[name]()


TARGET = {"accept": "accepted", "decline": "declined", "start": "in_progress",
          "complete": "completed", "give_back": "returned", "withdraw": "withdrawn"}


@SETTINGS
@given(steps=st.lists(st.sampled_from(STEPS), min_size=1, max_size=6))
def test_any_order_of_steps_keeps_someone_acting_on_the_request(app, demo, steps):
    client = app.test_client()
    assert submit_form(client, "/demo/hulpvraag", form_data()).status_code == 302
    request = _latest()
    referral_id = db.session.scalar(select(Referral.id).where(
        Referral.request_id == request.id))
    for name in steps:
        before = db.session.get(Referral, referral_id).state
        allowed = TARGET[name] in TRANSITIONS[before]
        try:
            _step(name, referral_id)
        except Conflict:
            db.session.rollback()
            assert not allowed, (before, name)
        else:
            assert allowed, (before, name)
        db.session.expire_all()
        referral = db.session.get(Referral, referral_id)
        assert referral.state == (TARGET[name] if allowed else before)
        open_tasks = db.session.scalars(select(Task).where(
            Task.request_id == request.id, Task.state == "open",
            Task.referral_id == referral_id)).all()
        if referral.state in BACK_TO_OWNER:
            assert open_tasks, "handed back without a task for the owning team"
        else:
            assert referral.state in LIVE_STATES | {"completed", "withdrawn"}


@pytest.mark.parametrize(("field", "value"), [
    ("status", "closed"), ("owner_team_id", "1"), ("coordinator_id", "1"),
    ("priority", "crisis"), ("tenant_id", "999"), ("reference", "WL-2000-000001"),
])
def test_tampered_hidden_fields_change_nothing(app, client, demo, field, value):
    assert submit_form(client, "/demo/hulpvraag", form_data(**{field: value})).status_code == 302
    stored = _latest()
    assert stored.status == "new" and stored.coordinator_id is None
    assert stored.priority == "normaal" and stored.reference != "WL-2000-000001"
    assert stored.tenant_id == demo.id
    staff = logged_in(app, "noord@demo.wijkloket.example")
    url = f"/staff/requests/{stored.reference}"
    assert post_from(staff, url, f"{url}/notes", **{
        "note-body": "Notitie", field: value}).status_code == 302
    db.session.expire_all()
    again = db.session.get(SupportRequest, stored.id)
    assert (again.status, again.coordinator_id, again.owner_team_id) == (
        stored.status, stored.coordinator_id, stored.owner_team_id)
