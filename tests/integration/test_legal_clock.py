"""The Wmo clocks are read the same way in Python (the request page, the cracks report, the
API) and in SQL (the queue's filters and its deadline sort): one definition,
app/services/legal.py, and stored columns it keeps on every change."""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from app.calendar import NATIONAL
from app.extensions import db
from app.models import SupportRequest, Team, User, utcnow
from app.services import legal, resident_questions
from app.services import queue as service
from app.services.cracks import find_cracks
from app.services.queue import QueueFilter, Scope
from tests.conftest import logged_in
from tests.integration.test_queue import NOORD_STAFF, make_request

SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])


def _team(key: str) -> Team:
    return db.session.scalar(select(Team).where(Team.key == key))


def _sql_reading(request: SupportRequest, scope: Scope) -> tuple[dt.date | None, bool, bool]:
    """The queue's legal due date, "legally overdue" and "due within 14 days", from SQL."""
    due = db.session.scalar(select(service.legal_due_key(scope.today))
                            .where(SupportRequest.id == request.id))
    matches = {}
    for kind in ("legal_overdue", "14"):
        condition = service.filter_conditions(scope, QueueFilter(deadline=kind))
        matches[kind] = db.session.scalar(
            select(SupportRequest.id).where(SupportRequest.id == request.id,
                                            *service.scope_conditions(scope), *condition)
        ) is not None
    closed = request.status == "closed"
    return (None if closed else due), matches["legal_overdue"], matches["14"]


def _python_reading(request: SupportRequest, today: dt.date
                    ) -> tuple[dt.date | None, bool, bool]:
    first = legal.next_due(request, today)
    due = first.due if first else None
    return (due, bool(legal.overdue(request, today)),
            due is not None and today <= due <= today + dt.timedelta(days=14))


clock_cases = st.fixed_dictionaries({
    "days_ago": st.integers(0, 120),
    "hour": st.integers(0, 23),
    "wmo": st.booleans(),
    "application_days_ago": st.one_of(st.none(), st.integers(0, 60)),
    "investigation_done": st.booleans(),
    "decision_done": st.booleans(),
    "paused_days": st.integers(0, 30),
    "waiting_days_ago": st.one_of(st.none(), st.integers(-2, 40)),
    "closed": st.booleans(),
    "today_shift": st.integers(-3, 3),
})


@SETTINGS
@given(case=clock_cases)
def test_the_queue_and_the_request_page_read_every_legal_clock_alike(app, demo, case):
    noord = _team("noord")
    user = db.session.scalar(select(User).where(User.email == NOORD_STAFF))
    now = utcnow()
    created = (now - dt.timedelta(days=case["days_ago"])).replace(hour=case["hour"])
    request = make_request(noord, domains=("wmo",) if case["wmo"] else ("wijkteam",))
    request.created_at = created
    melding = legal.melding_date(request)
    if case["application_days_ago"] is not None:
        request.wmo_application_on = max(legal.local_today() - dt.timedelta(
            days=case["application_days_ago"]), melding)
        if case["decision_done"]:
            request.wmo_decision_on = request.wmo_application_on + dt.timedelta(days=5)
    if case["investigation_done"]:
        request.wmo_investigation_done_on = melding + dt.timedelta(days=10)
    request.paused_days = case["paused_days"]  # earlier waits, resumed
    if case["waiting_days_ago"] is not None:  # a wait that lasts now (-2: it starts later)
        request.waiting_since = now - dt.timedelta(days=case["waiting_days_ago"])
    if case["closed"]:
        request.status, request.closed_at = "closed", now
    db.session.commit()
    today = legal.local_today() + dt.timedelta(days=case["today_shift"])
    scope = Scope(user.tenant_id, noord.id, user.id, today)
    assert _sql_reading(request, scope) == _python_reading(request, today), case


def test_a_resumed_pause_moves_the_clock_in_the_queue_as_on_the_request_page(app, demo):
    # The case: a Wmo request of 45 days ago that waited 10 days for the resident.
    noord = _team("noord")
    request = make_request(noord, domains=("wmo",), days_ago=45, paused_days=10)
    db.session.commit()
    today = legal.local_today()
    first = legal.next_due(request, today)
    assert first is not None and today < first.due <= today + dt.timedelta(days=14)
    assert not legal.overdue(request, today)
    client = logged_in(app, NOORD_STAFF)
    late = client.get("/staff/?lang=en&deadline=legal_overdue").get_data(as_text=True)
    soon = client.get("/staff/?lang=en&deadline=14").get_data(as_text=True)
    assert request.reference not in late
    assert request.reference in soon
    assert not any(crack.kind == "legal_deadline_passed" and request.reference in str(crack)
                   for crack in find_cracks(today=today).cracks)


def test_asking_and_answering_the_resident_keeps_the_stored_clock(app, demo):
    noord = _team("noord")
    user = db.session.scalar(select(User).where(User.email == NOORD_STAFF))
    request = make_request(noord, domains=("wmo",), days_ago=30, contact_email="a@example.org")
    db.session.commit()
    before = legal.next_due(request).due
    assert request.legal_due_on == before and request.legal_paused_on is None
    resident_questions.ask(user, request, "Wanneer kunnen we langskomen?")
    assert request.legal_paused_on == legal.local_today()
    request.waiting_since -= dt.timedelta(days=4)  # the resident took four days
    db.session.commit()
    assert request.legal_paused_on == legal.local_today() - dt.timedelta(days=4)
    scope = Scope(user.tenant_id, noord.id, user.id, legal.local_today())
    assert _sql_reading(request, scope)[0] == before + dt.timedelta(days=4)
    resident_questions.answer(request, "Dinsdag is goed.")
    assert request.paused_days == 4 and request.legal_paused_on is None
    after = legal.next_due(request)
    assert after is not None and request.legal_due_on == after.due
    # Six weeks and the four days waited, the end moved off a free day (Atw art. 1): not
    # always four days after the first end, which may itself have been moved.
    assert after.due == NATIONAL.legal_term_end(after.started,
                                                legal.WMO_INVESTIGATION + dt.timedelta(days=4))
    assert _sql_reading(request, scope)[0] == after.due
