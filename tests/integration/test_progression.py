"""The path to work (Heerlen's tender, task 3): staff and partners record a person's steps
from day activities on to volunteering, sheltered or paid work; the figures count who moved
on, from which step to which, and in how many days, per wijk."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, Partner, ProgressionStep, SupportRequest, Team, Tenant, User
from app.services import progression
from app.services.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.services.legal import local_today
from tests import factories
from tests.conftest import logged_in, post_from

NOORD_STAFF = "noord@demo.wijkloket.example"
NOORD_LEAD = "lead-noord@demo.wijkloket.example"
ZUID_STAFF = "zuid@demo.wijkloket.example"
WELZIJN = "welzijn@demo.wijkloket.example"
SCHULDHULP = "schuldhulp@demo.wijkloket.example"
TODAY = local_today()


def _user(email: str) -> User:
    return db.session.scalar(select(User).where(User.email == email))


def _team(key: str) -> Team:
    return db.session.scalar(select(Team).where(Team.key == key))


def _partner(key: str) -> Partner:
    return db.session.scalar(select(Partner).where(Partner.key == key))


@pytest.fixture
def person(demo) -> SupportRequest:
    """A request of Wijkteam Noord that came in 60 days ago, in wijk WK999901."""
    request = factories.support_request(
        _team("noord"), life_areas=["werk"], wijk_code="WK999901",
        created_at=dt.datetime.combine(TODAY - dt.timedelta(days=60), dt.time(12)))
    db.session.commit()
    return request


@pytest.fixture
def day_referral(person):
    """The person's day-activities referral, accepted by Stichting Welzijn."""
    referral = factories.referral(person, "dagbesteding", _partner("welzijn"), state="accepted")
    db.session.commit()
    return referral


def _steps(request: SupportRequest) -> list[tuple[str, dt.date]]:
    db.session.expire_all()
    return [(row.step, row.happened_on) for row in progression.steps_of(request)]


# --- Recording ---------------------------------------------------------------------------------

def test_staff_of_the_owning_team_record_steps_and_a_step_back_on_the_request_page(app, person):
    staff = logged_in(app, NOORD_STAFF)
    url = f"/staff/requests/{person.reference}"
    for step, days_ago in (("dagbesteding", 50), ("vrijwilligerswerk", 20),
                           ("dagbesteding", 5)):
        response = post_from(staff, url, f"{url}/progression", **{
            "progression-step": step,
            "progression-happened_on": (TODAY - dt.timedelta(days=days_ago)).isoformat()})
        assert response.status_code == 302, response.get_data(as_text=True)[:300]
        assert response.headers["Location"].endswith("#path")

    assert _steps(person) == [("dagbesteding", TODAY - dt.timedelta(days=50)),
                              ("vrijwilligerswerk", TODAY - dt.timedelta(days=20)),
                              ("dagbesteding", TODAY - dt.timedelta(days=5))]
    page = staff.get(f"{url}?lang=en").get_data(as_text=True)
    path = page[page.index('id="path"'):page.index('id="ask"')]
    assert "Volunteering" in path and path.count("Noor Wijkteam") == 3
    assert path.count(">Remove<") == 3  # the recorder may remove her own steps
    timeline = page[page.index('id="timeline"'):]
    assert "Step on the path to work recorded" in timeline
    assert "Volunteering, since" in timeline
    events = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "request.progression_recorded").order_by(AuditEvent.id)).all()
    assert [event.details["step"] for event in events] == [
        "dagbesteding", "vrijwilligerswerk", "dagbesteding"]
    assert all(event.actor_id == _user(NOORD_STAFF).id for event in events)
    assert all(row.recorded_by_partner_id is None for row in progression.steps_of(person))


@pytest.mark.parametrize(("data", "message"), [
    ({"progression-happened_on": TODAY.isoformat()}, "Choose a step."),
    ({"progression-step": "dagbesteding"}, "Enter a date."),
    ({"progression-step": "astronaut", "progression-happened_on": TODAY.isoformat()},
     "Not a valid choice"),
    ({"progression-step": "dagbesteding", "progression-happened_on": "31-02-2026"},
     "Not a valid date value."),
    ({"progression-step": "dagbesteding",
      "progression-happened_on": (TODAY + dt.timedelta(days=1)).isoformat()},
     "The date cannot be in the future."),
    ({"progression-step": "dagbesteding",
      "progression-happened_on": (TODAY - dt.timedelta(days=61)).isoformat()},
     "The date cannot be before the request came in."),
])
def test_bad_input_gets_a_translated_message_and_keeps_what_was_typed(app, person, data,
                                                                       message):
    staff = logged_in(app, NOORD_STAFF)
    url = f"/staff/requests/{person.reference}"
    response = post_from(staff, f"{url}?lang=en", f"{url}/progression", **data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page
    assert 'id="path"' in page and "<details open>" in page
    if "progression-happened_on" in data:
        assert f'value="{data["progression-happened_on"]}"' in page
    assert db.session.scalar(select(ProgressionStep.id)) is None


def test_the_same_step_again_on_a_later_date_is_refused_as_no_step(app, person):
    staff = _user(NOORD_STAFF)
    progression.record_step(staff, person, "vrijwilligerswerk", TODAY - dt.timedelta(days=9))
    with pytest.raises(InvalidInput) as refused:
        progression.record_step(staff, person, "vrijwilligerswerk", TODAY)
    assert refused.value.field == "step"
    # Before the first step it is another moment of the path, so it counts.
    progression.record_step(staff, person, "dagbesteding", TODAY - dt.timedelta(days=30))
    assert [step for step, _day in _steps(person)] == ["dagbesteding", "vrijwilligerswerk"]


def test_another_team_and_a_closed_request_take_no_steps(app, person):
    zuid = logged_in(app, ZUID_STAFF)
    response = post_from(zuid, "/staff/", f"/staff/requests/{person.reference}/progression", **{
        "progression-step": "dagbesteding", "progression-happened_on": TODAY.isoformat()})
    assert response.status_code == 404
    with pytest.raises(NotFound):
        progression.record_step(_user(ZUID_STAFF), person, "dagbesteding", TODAY)
    with pytest.raises(NotFound):  # a partner without a referral of the request
        progression.record_step(_user(WELZIJN), person, "dagbesteding", TODAY)
    person.status = "closed"
    db.session.commit()
    with pytest.raises(Conflict):
        progression.record_step(_user(NOORD_STAFF), person, "dagbesteding", TODAY)
    assert db.session.scalar(select(ProgressionStep.id)) is None


def test_a_partner_records_steps_on_its_day_activities_referral(app, person, day_referral):
    partner = logged_in(app, WELZIJN)
    url = f"/partner/referrals/{day_referral.id}"
    page = partner.get(f"{url}?lang=en").get_data(as_text=True)
    assert "Path to work" in page and "No steps recorded yet." in page
    response = post_from(partner, url, f"{url}/progression", **{
        "progression-step": "beschut_werk",
        "progression-happened_on": (TODAY - dt.timedelta(days=3)).isoformat()})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]

    row = db.session.scalar(select(ProgressionStep))
    assert (row.step, row.recorded_by_id, row.recorded_by_partner_id) == (
        "beschut_werk", _user(WELZIJN).id, _partner("welzijn").id)
    event = db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "request.progression_recorded"))
    assert event.details["referral_id"] == day_referral.id
    assert event.object_type == "support_request" and event.object_id == person.id
    # The owning team sees who recorded it, and for which organisation; only Wim may remove it.
    staff_page = logged_in(app, NOORD_STAFF).get(
        f"/staff/requests/{person.reference}?lang=en").get_data(as_text=True)
    assert "Wim Welzijn (Stichting Welzijn Demodorp)" in staff_page
    assert ">Remove<" not in staff_page
    # Also after the day activities ended the path goes on.
    day_referral.state = "completed"
    db.session.commit()
    progression.record_step(_user(WELZIJN), person, "betaald_werk", TODAY)
    assert [step for step, _day in _steps(person)] == ["beschut_werk", "betaald_werk"]


def test_a_participation_referral_to_a_team_lets_that_team_record_steps(app, person):
    referral = factories.referral(person, "participatie", _team("zuid"), state="in_progress")
    db.session.commit()
    zuid = logged_in(app, ZUID_STAFF)
    url = f"/staff/referrals/{referral.id}"
    response = post_from(zuid, url, f"{url}/progression", **{
        "progression-step": "vrijwilligerswerk",
        "progression-happened_on": TODAY.isoformat()})
    assert response.status_code == 302
    assert _steps(person) == [("vrijwilligerswerk", TODAY)]
    assert db.session.scalar(select(ProgressionStep.recorded_by_partner_id)) is None


def test_partners_are_refused_on_another_partners_referral_and_outside_day_activities_and_work(
        app, person, day_referral):
    debt = factories.referral(person, "schulden", _partner("schuldhulp"), state="accepted")
    welfare = factories.referral(person, "welzijn", _partner("welzijn"), state="accepted")
    db.session.commit()
    schuldhulp = logged_in(app, SCHULDHULP)
    # Another partner's referral does not exist for Schuldhulp.
    assert schuldhulp.get(f"/partner/referrals/{day_referral.id}").status_code == 404
    with pytest.raises(NotFound):
        progression.record_step(_user(SCHULDHULP), person, "dagbesteding", TODAY,
                                referral=day_referral)
    # Its own debt referral shows no path and takes no step.
    page = schuldhulp.get(f"/partner/referrals/{debt.id}?lang=en").get_data(as_text=True)
    assert "Path to work" not in page
    url = f"/partner/referrals/{debt.id}"
    refused = post_from(schuldhulp, url, f"{url}/progression", **{
        "progression-step": "dagbesteding", "progression-happened_on": TODAY.isoformat()})
    assert refused.status_code == 403
    with pytest.raises(Forbidden):  # without a referral: its only one is about debts
        progression.record_step(_user(SCHULDHULP), person, "dagbesteding", TODAY)
    with pytest.raises(Forbidden):  # Welzijn's welfare referral is not about work either
        progression.record_step(_user(WELZIJN), person, "dagbesteding", TODAY, referral=welfare)
    # Before accepting, and after giving it back, there is no path to record.
    day_referral.state = "sent"
    db.session.commit()
    with pytest.raises(Conflict, match="Neem de verwijzing eerst aan"):
        progression.record_step(_user(WELZIJN), person, "dagbesteding", TODAY,
                                referral=day_referral)
    day_referral.state = "returned"
    db.session.commit()
    with pytest.raises(Conflict, match="Deze verwijzing is afgelopen"):
        progression.record_step(_user(WELZIJN), person, "dagbesteding", TODAY)
    assert db.session.scalar(select(ProgressionStep.id)) is None


def test_only_the_one_who_recorded_a_step_removes_it_and_the_removal_is_audited(
        app, person, day_referral):
    staff_step = progression.record_step(_user(NOORD_STAFF), person, "dagbesteding",
                                         TODAY - dt.timedelta(days=10))
    partner_step = progression.record_step(_user(WELZIJN), person, "vrijwilligerswerk", TODAY)
    staff_id, partner_id = staff_step.id, partner_step.id
    lead = logged_in(app, NOORD_LEAD)
    url = f"/staff/requests/{person.reference}"
    assert post_from(lead, url, f"{url}/progression/{staff_id}/delete").status_code == 403
    assert post_from(lead, url, f"{url}/progression/{partner_id}/delete").status_code == 403
    other = factories.support_request(_team("noord"))
    db.session.commit()
    with pytest.raises(NotFound):  # a step of another request
        progression.remove_step(_user(NOORD_STAFF), other, staff_id)

    staff = logged_in(app, NOORD_STAFF)
    assert post_from(staff, url, f"{url}/progression/{staff_id}/delete").status_code == 302
    partner = logged_in(app, WELZIJN)
    referral_url = f"/partner/referrals/{day_referral.id}"
    assert post_from(partner, referral_url,
                     f"{referral_url}/progression/{partner_id}/delete").status_code == 302
    assert _steps(person) == []
    removed = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "request.progression_removed").order_by(AuditEvent.id)).all()
    assert [(e.actor_id, e.details["step"], e.details["happened_on"]) for e in removed] == [
        (_user(NOORD_STAFF).id, "dagbesteding", (TODAY - dt.timedelta(days=10)).isoformat()),
        (_user(WELZIJN).id, "vrijwilligerswerk", TODAY.isoformat())]
    page = staff.get(f"{url}?lang=en").get_data(as_text=True)
    assert "Step on the path to work removed" in page


# --- Figures -----------------------------------------------------------------------------------

def _person(team: Team, wijk: str | None, *steps: tuple[str, str]) -> SupportRequest:
    """A request of ``team`` with ``steps`` as (code, ISO date), recorded by a colleague."""
    request = factories.support_request(team, wijk_code=wijk,
                                        created_at=dt.datetime(2025, 1, 1, 12))
    author = db.session.scalar(select(User).where(User.team_id == team.id)) \
        or factories.user(db.session.get_one(Tenant, team.tenant_id), team=team)
    for code, day in steps:
        db.session.add(ProgressionStep(tenant_id=request.tenant_id, request_id=request.id,
                                       step=code, happened_on=dt.date.fromisoformat(day),
                                       recorded_by_id=author.id))
    db.session.flush()
    return request


@pytest.fixture
def path_data(demo):
    """Five people of the demo municipality and one elsewhere, with known paths."""
    noord = _team("noord")
    _person(noord, "WK999901", ("dagbesteding", "2026-01-05"), ("vrijwilligerswerk", "2026-02-04"),
            ("betaald_werk", "2026-03-06"))                             # on: 30 and 30 days
    _person(noord, "WK999901", ("dagbesteding", "2026-01-10"), ("vrijwilligerswerk", "2026-01-20"),
            ("dagbesteding", "2026-02-19"))                             # on 10, back after 30
    _person(noord, "WK999902", ("dagbesteding", "2025-12-01"), ("beschut_werk", "2026-02-09"))
    _person(noord, "WK999902", ("dagbesteding", "2026-02-01"))           # only a first step
    _person(noord, None, ("vrijwilligerswerk", "2026-01-15"), ("betaald_werk", "2026-04-15"))
    elders = factories.team(factories.tenant("elders"))
    _person(elders, "WK999901", ("dagbesteding", "2026-01-01"), ("betaald_werk", "2026-01-02"))
    db.session.commit()
    return demo


def test_the_figures_count_who_moved_on_from_which_step_to_which_and_in_how_long(
        app, path_data):
    figures = progression.progression_figures(path_data, dt.date(2026, 1, 1),
                                              dt.date(2026, 3, 31))
    total = figures.total
    # People with a step in Q1: all four of the wijken; the one without a wijk moved only in
    # April, but had her first step in January.
    assert total.people == 5
    # Moved on beyond their first step in Q1: the first (to paid work), the second
    # (volunteering), the third (sheltered work, her first step was in December).
    assert total.moved_on == 3
    assert total.moved_back == 1
    moves = {(t.from_step, t.to_step): (t.count, t.median_days) for t in total.transitions}
    assert moves == {
        ("dagbesteding", "vrijwilligerswerk"): (2, 20.0),   # 30 and 10 days
        ("dagbesteding", "beschut_werk"): (1, 70.0),        # from 1 December: 70 days
        ("vrijwilligerswerk", "dagbesteding"): (1, 30.0),   # a step back
        ("vrijwilligerswerk", "betaald_werk"): (1, 30.0),
    }
    assert [t.forward for t in total.transitions] == [True, True, False, True]
    assert total.median_days == 30.0   # 10, 30, 30, 30, 70
    by_wijk = {wijk.wijk_code: wijk.figures for wijk in figures.by_wijk}
    assert list(by_wijk) == ["WK999901", "WK999902", None]
    assert (by_wijk["WK999901"].people, by_wijk["WK999901"].moved_on,
            by_wijk["WK999901"].moved_back) == (2, 2, 1)
    assert (by_wijk["WK999902"].people, by_wijk["WK999902"].moved_on) == (2, 1)
    assert (by_wijk[None].people, by_wijk[None].moved_on, by_wijk[None].transitions) == (1, 0, ())


def test_the_figures_for_one_wijk_and_a_later_period(app, path_data):
    figures = progression.progression_figures(path_data, dt.date(2026, 4, 1),
                                              dt.date(2026, 6, 30))
    assert (figures.total.people, figures.total.moved_on) == (1, 1)  # the one without a wijk
    assert [(t.from_step, t.to_step, t.median_days) for t in figures.total.transitions] == [
        ("vrijwilligerswerk", "betaald_werk", 90.0)]
    one = progression.progression_figures(path_data, dt.date(2026, 1, 1), dt.date(2026, 12, 31),
                                          wijk_code="WK999902")
    assert [wijk.wijk_code for wijk in one.by_wijk] == ["WK999902"]
    assert (one.total.people, one.total.moved_on, one.total.median_days) == (2, 1, 70.0)
    empty = progression.progression_figures(path_data, dt.date(2024, 1, 1), dt.date(2024, 12, 31))
    assert (empty.total.people, empty.total.transitions, empty.total.median_days,
            empty.by_wijk) == (0, (), None, ())
    with pytest.raises(ValueError, match="ends before"):
        progression.progression_figures(path_data, dt.date(2026, 2, 1), dt.date(2026, 1, 1))
