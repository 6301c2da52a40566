"""The team queue: filters, sorting, keyset pages, counts, saved filters as tabs, and the
team lead's dashboard. Every filter is checked against a plain Python reading of the same
rule (legal.py for the legal clocks), so SQL and the request page never disagree."""

from __future__ import annotations

import datetime as dt
import re
from itertools import count

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import (
    OutboxMessage,
    Referral,
    SavedFilter,
    SupportRequest,
    Team,
    User,
    utcnow,
)
from app.services import legal
from app.services import queue as service
from app.services.queue import QueueFilter, Scope, counting
from tests import factories
from tests.conftest import csrf_token, logged_in
from tests.integration.helpers import check_page

NOORD_STAFF = "noord@demo.wijkloket.example"
NOORD_LEAD = "lead-noord@demo.wijkloket.example"
ZUID_STAFF = "zuid@demo.wijkloket.example"
_numbers = count(1)


def _today() -> dt.date:
    # Asked each time: a run that passes midnight in Amsterdam must not keep yesterday.
    return legal.local_today()


def _days(number: int) -> dt.date:
    return _today() + dt.timedelta(days=number)


def _received(days_ago: float) -> dt.datetime:
    return utcnow() - dt.timedelta(days=days_ago)


def make_request(team: Team, *, domains: tuple[str, ...] = ("wijkteam",),
                 days_ago: float = 1, **fields: object) -> SupportRequest:
    """A request owned by ``team``, routed to ``domains`` (added to the session)."""
    priority = str(fields.pop("priority", "normaal"))
    # A rule title that looks like JSON: the domain filter must read the routes, not the text.
    decision = factories.decision(domains, priority=priority,
                                  title='Titel met "domain": "jeugd" erin')
    return factories.support_request(team, domains=domains, priority=priority,
                                     created_at=_received(days_ago), decision=decision,
                                     **fields)


def make_referral(request: SupportRequest, domain: str, state: str = "sent",
                  due: dt.date | None = None, **fields: object) -> Referral:
    return factories.referral(request, domain, state=state, due=due or _days(10), **fields)


def _team(key: str) -> Team:
    return db.session.scalar(select(Team).where(Team.key == key))


def _user(email: str) -> User:
    return db.session.scalar(select(User).where(User.email == email))


@pytest.fixture
def world(demo):
    """Requests of Wijkteam Noord (and two of others) with every kind of difference."""
    noord, zuid = _team("noord"), _team("zuid")
    noor, lea = _user(NOORD_STAFF), _user(NOORD_LEAD)
    made = {
        "crisis_new": make_request(noord, priority="crisis", channel="telefoon",
                                   wijk_code="WK999901", buurt_code="BU99990101"),
        "urgent_mine": make_request(noord, priority="spoed", status="in_progress",
                                    coordinator_id=noor.id, wijk_code="WK999902",
                                    buurt_code="BU99990201", days_ago=3),
        "lea_schulden": make_request(noord, status="in_progress", coordinator_id=lea.id,
                                     domains=("wijkteam", "schulden"), days_ago=5,
                                     channel="balie", wijk_code="WK999901",
                                     buurt_code="BU99990102"),
        "closed": make_request(noord, status="closed", closed_at=utcnow(), days_ago=30,
                               coordinator_id=noor.id, domains=("wmo",)),
        # Wmo, handled by Noord itself: no referral, yet the domain and the legal clock.
        "wmo_late": make_request(noord, domains=("wmo",), days_ago=50),
        "wmo_soon": make_request(noord, domains=("wmo",), days_ago=40.5),
        "wmo_done": make_request(noord, domains=("wmo",), days_ago=50,
                                 wmo_investigation_done_on=_days(-20)),
        "decision_late": make_request(noord, domains=("wijkteam",), days_ago=30,
                                      status="in_progress", coordinator_id=noor.id,
                                      wmo_application_on=_days(-20),
                                      wmo_investigation_done_on=_days(-25)),
        "referral_late": make_request(noord, domains=("wijkteam", "ggz"), days_ago=20,
                                      channel="partner"),
        "escalated": make_request(noord, domains=("jeugd",), days_ago=25),
        "referral_soon": make_request(noord, domains=("welzijn",), days_ago=8),
        "answered": make_request(noord, domains=("schulden",), days_ago=12),
        "zuid": make_request(zuid, priority="crisis", channel="telefoon", domains=("wmo",),
                             wijk_code="WK999901", buurt_code="BU99990101", days_ago=50),
    }
    make_referral(made["lea_schulden"], "schulden", "accepted", _days(3))
    make_referral(made["referral_late"], "ggz", "sent", _days(-2))
    make_referral(made["escalated"], "jeugd", "sent", _days(-6), escalated_at=utcnow(),
                  reminded_at=utcnow())
    make_referral(made["referral_soon"], "welzijn", "sent", _days(2))
    make_referral(made["wmo_done"], "welzijn", "sent", _today())
    make_referral(made["answered"], "schulden", "declined", _days(-5))
    # A referral made by staff later, to a domain the decision had no route to.
    make_referral(made["urgent_mine"], "verslaving", "in_progress", _days(-1))
    make_referral(made["zuid"], "ggz", "sent", _days(-2), escalated_at=utcnow())
    other = factories.tenant("elders", name="Elders")
    elders_team = factories.team(other, "noord", name="Wijkteam Elders")
    made["elders"] = make_request(elders_team, priority="crisis", coordinator_id=noor.id,
                                  channel="telefoon", wijk_code="WK999901",
                                  domains=("wmo",), days_ago=50)
    db.session.commit()
    return made


def _references(html: str) -> list[str]:
    """The requests in the queue's table, in order."""
    table = re.search(r"<table.*?</table>", html, re.DOTALL)
    return re.findall(r'href="/staff/requests/(WL-[0-9-]+)"', table.group(0) if table else "")


def _queue(client, query: str = "") -> str:
    separator = "&" if query else ""
    response = client.get(f"/staff/?lang=en{separator}{query}")
    assert response.status_code == 200, response.get_data(as_text=True)[:1000]
    return response.get_data(as_text=True)


def _deadlines(request: SupportRequest) -> list[tuple[dt.date, str]]:
    """A request's deadlines as the queue defines them, read in Python."""
    if request.status == "closed":
        return []
    found = [(referral.due_date, "referral") for referral in request.referrals
             if referral.state == "sent"]
    return found + [(deadline.due, "legal") for deadline in legal.running(request)]


def _domains(request: SupportRequest) -> set[str]:
    return {route["domain"] for route in request.decision["routes"]} | {
        referral.domain for referral in request.referrals}


EXPECTATIONS = {
    "status=open": lambda r: r.status != "closed",
    "status=new": lambda r: r.status == "new",
    "status=in_progress": lambda r: r.status == "in_progress",
    "status=closed": lambda r: r.status == "closed",
    "status=all": lambda r: True,
    "priority=crisis": lambda r: r.status != "closed" and r.priority == "crisis",
    "priority=crisis&priority=spoed": lambda r: r.status != "closed"
    and r.priority in ("crisis", "spoed"),
    "status=all&domain=wmo": lambda r: "wmo" in _domains(r),
    "domain=schulden": lambda r: r.status != "closed" and "schulden" in _domains(r),
    "domain=verslaving": lambda r: r.status != "closed" and "verslaving" in _domains(r),
    "domain=jeugd": lambda r: r.status != "closed" and "jeugd" in _domains(r),
    "wijk=WK999901": lambda r: r.status != "closed" and r.wijk_code == "WK999901",
    "buurt=BU99990102": lambda r: r.status != "closed" and r.buurt_code == "BU99990102",
    "status=all&coordinator=me": lambda r: r.coordinator_id == _user(NOORD_STAFF).id,
    "coordinator=nobody": lambda r: r.status != "closed" and r.coordinator_id is None,
    "channel=telefoon": lambda r: r.status != "closed" and r.channel == "telefoon",
    "status=all&deadline=overdue": lambda r: any(due < _today() for due, _ in _deadlines(r)),
    "deadline=referral_overdue": lambda r: any(
        due < _today() for due, kind in _deadlines(r) if kind == "referral"),
    "deadline=legal_overdue": lambda r: bool(legal.overdue(r, _today())),
    "deadline=escalated": lambda r: any(
        ref.state == "sent" and ref.escalated_at is not None for ref in r.referrals),
    "deadline=3": lambda r: any(_today() <= due <= _days(3) for due, _ in _deadlines(r)),
    "deadline=0": lambda r: any(due == _today() for due, _ in _deadlines(r)),
    "deadline=14&domain=wmo": lambda r: "wmo" in _domains(r)
    and any(_today() <= due <= _days(14) for due, _ in _deadlines(r)),
    "coordinator=nobody&priority=crisis&channel=telefoon&wijk=WK999901": lambda r:
    r.status != "closed" and r.coordinator_id is None and r.priority == "crisis"
    and r.channel == "telefoon" and r.wijk_code == "WK999901",
}


def test_each_filter_finds_exactly_the_matching_requests_of_the_team(app, world):
    client = logged_in(app, NOORD_STAFF)
    noord = _team("noord")
    team_requests = [request for request in world.values() if request.owner_team_id == noord.id]
    for query, wanted in EXPECTATIONS.items():
        expected = {request.reference for request in team_requests if wanted(request)}
        html = _queue(client, query)
        assert set(_references(html)) == expected, query
        number = len(expected)
        assert f"{number} request{'s' if number != 1 else ''} found." in html, query
        assert expected or "No requests match this filter." in html, query
    # The samples cover what they should: every filter narrows, and some find several.
    assert all(0 < sum(map(wanted, team_requests)) < len(team_requests)
               for query, wanted in EXPECTATIONS.items() if query != "status=all")


def test_the_filter_form_keeps_the_choices_and_every_page_is_well_formed(app, world):
    client = logged_in(app, NOORD_STAFF)
    lea = _user(NOORD_LEAD)
    html = _queue(client, f"status=all&priority=spoed&priority=crisis&domain=schulden"
                          f"&wijk=WK999901&buurt=BU99990102&coordinator={lea.id}"
                          f"&deadline=5&channel=balie&sort=oldest")
    check_page(html)
    for selected in ('<option value="all" selected>', '<option value="schulden" selected>',
                     '<option value="WK999901" selected>',
                     '<option value="BU99990102" selected>',
                     f'<option value="{lea.id}" selected>', '<option value="5" selected>',
                     "Deadline within 5 days", '<option value="balie" selected>',
                     '<option value="oldest" selected>'):
        assert selected in html, selected
    assert re.search(r'value="crisis" checked', html) and re.search(r'value="spoed" checked',
                                                                   html)
    assert not re.search(r'value="normaal" checked', html)
    assert "<fieldset" in html and "<legend>" in html


def test_sorting_orders_by_priority_receipt_or_deadline(app, world):
    client = logged_in(app, NOORD_STAFF)
    noord = _team("noord")
    open_requests = [r for r in world.values()
                     if r.owner_team_id == noord.id and r.status != "closed"]
    rank = {"crisis": 0, "spoed": 1, "normaal": 2}
    expected = {
        "": sorted(open_requests, key=lambda r: (rank[r.priority], r.created_at, r.id)),
        "sort=oldest": sorted(open_requests, key=lambda r: (r.created_at, r.id)),
        "sort=newest": sorted(open_requests, key=lambda r: (r.created_at, r.id), reverse=True),
        "sort=deadline": sorted(open_requests, key=lambda r: (
            min((due for due, _ in _deadlines(r)), default=service.NO_DEADLINE),
            rank[r.priority], r.created_at, r.id)),
    }
    for query, ordered in expected.items():
        assert _references(_queue(client, query)) == [r.reference for r in ordered], query
    html = _queue(client, "sort=newest")
    assert 'aria-sort="descending"' in html and "sort=oldest" in html


@pytest.mark.parametrize("created", [
    dt.datetime(2026, 3, 28, 23, 30),  # winter time: 00:30 on the 29th in the Netherlands
    dt.datetime(2026, 3, 29, 0, 59),  # still winter time: 01:59 on the 29th
    dt.datetime(2026, 3, 29, 1, 0),  # summer time from here: 03:00 on the 29th
    dt.datetime(2026, 6, 30, 21, 59),  # summer: 23:59 on the 30th
    dt.datetime(2026, 6, 30, 22, 0),  # summer: 00:00 on July 1st
    dt.datetime(2026, 10, 24, 22, 30),  # summer: 00:30 on the 25th
    dt.datetime(2026, 10, 25, 0, 30),  # summer until 01:00 UTC: 02:30 on the 25th
    dt.datetime(2026, 12, 31, 23, 0),  # winter: 00:00 on January 1st
])
def test_the_deadline_in_sql_is_the_legal_deadline_in_dutch_time(app, demo, created):
    noord = _team("noord")
    request = make_request(noord, domains=("wmo",))
    request.created_at = created
    db.session.commit()
    scope = Scope.of(_user(NOORD_STAFF))
    waiting = service.waiting_due(scope)
    key = db.session.scalar(select(service.deadline_key(waiting, scope.today))
                            .select_from(SupportRequest)
                            .outerjoin(waiting, waiting.c.request_id == SupportRequest.id)
                            .where(SupportRequest.id == request.id))
    assert key == legal.next_due(request).due


def test_keyset_pages_hold_every_request_exactly_once_also_with_equal_times(app, demo):
    noord = _team("noord")
    same_moment = utcnow() - dt.timedelta(days=3)
    made = []
    for number in range(37):
        request = make_request(noord, priority=("crisis", "spoed", "normaal")[number % 3],
                               domains=("wmo",) if number % 4 == 0 else ("wijkteam",),
                               days_ago=40 + number % 5)
        if number % 2:
            request.created_at = same_moment  # ties on the time of receipt
        if number % 7 == 0:
            make_referral(request, "ggz", "sent", _days(number % 4))
        made.append(request.id)
    db.session.commit()
    scope = Scope.of(_user(NOORD_STAFF))
    for sort in service.SORTS:
        qfilter = QueueFilter(sort=sort)
        whole = [r.id for r in service.page(scope, qfilter, size=100).requests]
        assert sorted(whole) == sorted(made)
        pages, cursor = [], None
        while True:
            found = service.page(scope, qfilter, cursor, size=5)
            pages.append([r.id for r in found.requests])
            if found.next_cursor is None:
                break
            cursor = service.decode_cursor(found.next_cursor, sort)
        assert [i for page in pages for i in page] == whole, sort
        assert all(len(page) == 5 for page in pages[:-1])
        # And back again with "previous", page by page.
        back, cursor = [], service.decode_cursor(found.previous_cursor, sort)
        while cursor is not None:
            found = service.page(scope, qfilter, cursor, size=5)
            back.insert(0, [r.id for r in found.requests])
            cursor = (service.decode_cursor(found.previous_cursor, sort)
                      if found.previous_cursor else None)
        assert back == pages[:-1], sort


def test_next_and_previous_links_walk_the_queue_without_offset(app, demo):
    noord = _team("noord")
    for number in range(120):
        make_request(noord, days_ago=number / 10)
    db.session.commit()
    client = logged_in(app, NOORD_STAFF)
    html = _queue(client, "sort=newest")
    assert "120 requests found." in html
    seen = _references(html)
    pages = [seen]
    while 'rel="next"' in html:
        link = re.search(r'<a href="([^"]+)" rel="next">', html).group(1).replace("&amp;", "&")
        assert "offset" not in link and "cursor=" in link
        html = client.get(link).get_data(as_text=True)
        pages.append(_references(html))
    assert [len(page) for page in pages] == [50, 50, 20]
    everything = [reference for page in pages for reference in page]
    assert len(set(everything)) == 120
    link = re.search(r'<a href="([^"]+)" rel="prev">', html).group(1).replace("&amp;", "&")
    assert _references(client.get(link).get_data(as_text=True)) == pages[1]


@pytest.mark.parametrize("query", [
    "status=bogus", "priority=x&priority=crisis", "coordinator=999999", "coordinator=abc",
    "wijk=WK000000", "buurt=<script>", "deadline=abc", "deadline=999", "deadline=-1",
    "sort=sideways", "domain=onbekend", "channel=duif", "cursor=garbage",
    "cursor=W10", "cursor=WyJuZXdlc3QiLCJhIixbIjIwMjYtMDEtMDEiLDFdXQ",
    "sort=priority&cursor=WyJuZXdlc3QiLCJhIixbIjIwMjYtMDEtMDFUMDA6MDA6MDAiLDFdXQ",
    "status=open&status=" + "x" * 500,
])
def test_a_parameter_that_makes_no_sense_is_ignored_with_a_message(app, world, query):
    client = logged_in(app, NOORD_STAFF)
    html = _queue(client, query)
    assert '<div class="notice" role="status">' in html
    assert "is not a choice" in html or "no longer valid" in html
    assert "<script>" not in html.split("<main", 1)[1]


def test_another_colleague_in_the_same_team_is_a_choice_but_one_of_another_team_is_not(
        app, world):
    client = logged_in(app, NOORD_STAFF)
    zuid = _user(ZUID_STAFF)
    html = _queue(client, f"coordinator={zuid.id}")
    assert "is not a choice" in html
    choices = re.search(r'<select id="filter-coordinator".*?</select>', html, re.DOTALL).group(0)
    assert f'<option value="{zuid.id}"' not in choices
    assert f'<option value="{_user(NOORD_LEAD).id}">Lea Teamleider' in choices


def test_requests_of_another_team_or_municipality_never_appear(app, world):
    client = logged_in(app, NOORD_STAFF)
    strangers = {world["zuid"].reference, world["elders"].reference}
    for query in [*EXPECTATIONS, "status=all&sort=deadline", "status=all&sort=newest"]:
        assert not strangers & set(_references(_queue(client, query))), query
    zuid = logged_in(app, ZUID_STAFF)
    assert _references(_queue(zuid, "status=all")) == [world["zuid"].reference]


def _save(client, name: str, **params: object):
    html = _queue(client)
    return client.post("/staff/filters?lang=en", data={"csrf_token": csrf_token(html),
                                                       "name": name, **params})


def test_a_saved_filter_becomes_a_tab_with_its_count_for_its_owner_only(app, world):
    client = logged_in(app, NOORD_STAFF)
    response = _save(client, "  Mijn crisis   in Noord ", priority="crisis",
                     wijk="WK999901", sort="newest", bogus="x")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/staff/?")
    saved = db.session.scalar(select(SavedFilter))
    assert saved.name == "Mijn crisis in Noord"
    assert saved.params == {"priority": ["crisis"], "wijk": "WK999901", "sort": "newest"}
    html = _queue(client)
    assert re.search(r"Mijn crisis in Noord\s*<span class=\"badge\">1</span>", html)
    assert re.search(r"All open requests</strong>\s*<span class=\"badge\">11</span>", html)
    tab = _queue(client, "priority=crisis&wijk=WK999901")
    assert re.search(r'aria-current="page"><strong>Mijn crisis in Noord', tab)
    assert _references(tab) == [world["crisis_new"].reference]
    # Another staff member of the same team does not see it.
    lea = logged_in(app, NOORD_LEAD)
    assert "Mijn crisis in Noord" not in _queue(lea)


def test_a_saved_filter_needs_a_short_new_name_and_at_most_twenty_fit(app, world):
    client = logged_in(app, NOORD_STAFF)
    for name, message in [("", "Give the filter a name."),
                          ("x" * 81, "Use at most 80 characters.")]:
        response = _save(client, name, status="all")
        assert response.status_code == 422
        html = response.get_data(as_text=True)
        assert message in html
        assert 'class="error-summary"' in html
        assert '<input type="hidden" name="status" value="all">' in html  # kept
    assert _save(client, "x" * 80).status_code == 302
    response = _save(client, "X" * 80)
    assert response.status_code == 422
    assert "You already have a filter with this name." in response.get_data(as_text=True)
    for number in range(19):
        assert _save(client, f"Filter {number}", channel="web").status_code == 302
    response = _save(client, "One too many")
    assert response.status_code == 422
    assert "You can save at most 20 filters. Delete one first." in response.get_data(
        as_text=True)
    assert db.session.query(SavedFilter).count() == 20
    assert "the most you can" in _queue(client)


def test_only_the_owner_deletes_a_saved_filter(app, world):
    client = logged_in(app, NOORD_STAFF)
    assert _save(client, "Telefoon", channel="telefoon").status_code == 302
    saved = db.session.scalar(select(SavedFilter))
    lea = logged_in(app, NOORD_LEAD)
    token = csrf_token(_queue(lea))
    assert lea.post(f"/staff/filters/{saved.id}/delete",
                    data={"csrf_token": token}).status_code == 404
    assert lea.post("/staff/filters/999999/delete",
                    data={"csrf_token": token}).status_code == 404
    assert client.post(f"/staff/filters/{saved.id}/delete").status_code == 400  # no CSRF
    assert db.session.query(SavedFilter).count() == 1
    response = client.post(f"/staff/filters/{saved.id}/delete?lang=en",
                           data={"csrf_token": csrf_token(_queue(client))},
                           follow_redirects=True)
    assert response.status_code == 200
    assert "The filter “Telefoon” is deleted." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.query(SavedFilter).count() == 0


def test_a_saved_filter_with_a_colleague_who_left_still_opens_with_a_message(app, world):
    client = logged_in(app, NOORD_STAFF)
    lea = _user(NOORD_LEAD)
    assert _save(client, "Van Lea", coordinator=str(lea.id)).status_code == 302
    lea.active = False
    db.session.commit()
    html = _queue(client)
    assert re.search(r"Van Lea\s*<span class=\"badge\">11</span>", html)  # no longer narrows


def test_the_dashboard_counts_what_waits_and_links_to_the_same_requests(app, world):
    staff = logged_in(app, NOORD_STAFF)
    assert staff.get("/staff/dashboard").status_code == 403
    assert "/staff/dashboard" not in _queue(staff)
    for state in ("dead", "dead", "sent"):
        db.session.add(OutboxMessage(tenant_id=world["crisis_new"].tenant_id, channel="email",
                                     recipient="x@example.org", event="referral.sent",
                                     payload={}, idempotency_key=f"k-{next(_numbers)}",
                                     state=state))
    db.session.commit()
    lead = logged_in(app, NOORD_LEAD)
    response = lead.get("/staff/dashboard?lang=en")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    check_page(html)
    assert '<a href="/staff/dashboard">Dashboard</a>' in html

    def number(label: str) -> tuple[str, int]:
        match = re.search(re.escape(label) + r'</th>\s*<td>(?:<a href="([^"]+)">)?(\d+)', html)
        assert match, label
        return (match.group(1) or "").replace("&amp;", "&"), int(match.group(2))

    expected = {
        "Open requests without a coordinator": 8,
        "Requests with a referral that got no answer in time": 2,
        "Requests with a referral escalated to you": 1,
        "Requests past a legal deadline": 2,
    }
    for label, wanted in expected.items():
        link, found = number(label)
        assert found == wanted, label
        page = lead.get(link).get_data(as_text=True)
        assert len(_references(page)) == wanted, label
    assert number("Messages of your municipality that could not be delivered")[1] == 2
    noor, lea = _user(NOORD_STAFF), _user(NOORD_LEAD)
    assert number("Noor Wijkteam") == (f"/staff/?coordinator={noor.id}", 2)
    assert number("Lea Teamleider") == (f"/staff/?coordinator={lea.id}", 1)
    assert number("Nobody yet")[1] == 8
    urgent = re.search(r'Noor Wijkteam</th>\s*<td>.*?</td>\s*<td><a href="([^"]+)">(\d+)', html)
    assert urgent.group(2) == "1"
    assert _references(lead.get(urgent.group(1).replace("&amp;", "&")).get_data(
        as_text=True)) == [world["urgent_mine"].reference]


def test_the_request_counts_stop_at_a_limit_and_say_so(app, demo, monkeypatch):
    noord = _team("noord")
    for _ in range(6):
        make_request(noord, domains=("wmo",), days_ago=50)
    db.session.commit()
    scope = Scope.of(_user(NOORD_STAFF))
    plain, costly = QueueFilter(), QueueFilter(domain="wmo")
    assert service.counts(scope, [plain, costly]) == [service.Count(6, False)] * 2
    monkeypatch.setattr(counting, "COUNT_LIMIT", 5)
    monkeypatch.setattr(counting, "COUNT_LIMIT_COSTLY", 4)
    assert service.counts(scope, [plain, costly]) == [service.Count(5, True),
                                                      service.Count(4, True)]
    client = logged_in(app, NOORD_STAFF)
    html = _queue(client, "domain=wmo")
    assert "More than 4 requests found." in html
    assert re.search(r"All open requests</strong>\s*<span class=\"badge\">5\+</span>",
                     _queue(client))
