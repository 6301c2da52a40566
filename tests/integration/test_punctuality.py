"""Punctuality with known dates around Koningsdag (Tuesday 27 April 2027), Bevrijdingsdag
(Wednesday 5 May 2027) and Hemelvaartsdag (Thursday 6 May 2027): referral responses in
working days on the municipality's calendar, Wmo terms as the Algemene termijnenwet ends
them, every day a Dutch day (never UTC's).

Working days after Monday 26 April 2027: 28, 29, 30 April, 3, 4 May (five: the due date of a
referral sent on the 26th with five days), 7, 10–14, 18–21 May (the fifteenth: three times
five), 24 May (the sixteenth).
"""

from __future__ import annotations

import datetime as dt

import pytest

from app.extensions import db
from app.services import punctuality
from app.services.errors import Forbidden, InvalidInput
from app.services.legal import to_utc
from app.services.punctuality import Tally
from tests import factories

SENT = to_utc(dt.datetime(2027, 4, 26, 10, 0))  # Monday, Dutch time
DUE = dt.date(2027, 5, 4)  # five working days later (Koningsdag does not count)
APRIL, MAY = (dt.date(2027, 4, 1), dt.date(2027, 4, 30)), (dt.date(2027, 5, 1),
                                                            dt.date(2027, 5, 31))


def nl(*parts: int) -> dt.datetime:
    """A Dutch wall-clock time as stored (naive UTC)."""
    return to_utc(dt.datetime(*parts))


@pytest.fixture
def world(app):
    tenant = factories.tenant()
    world = {"tenant": tenant, "noord": factories.team(tenant, name="Noord"),
             "zuid": factories.team(tenant, name="Zuid"),
             "jeugd": factories.team(tenant, name="Jeugdteam", kind="jeugdteam"),
             "schuld": factories.partner(tenant, name="Schuldhulp"),
             "welzijn": factories.partner(tenant, name="Welzijn")}
    world["lead"] = factories.user(tenant, role="team_lead", team=world["noord"])
    db.session.commit()
    return world


def _referral(world, *, owner="noord", to="schuld", domain="schulden", sent=SENT, due=DUE,
              answered=None, ended=None, state=None, reference=None):
    request = factories.support_request(world[owner], domains=(domain,), reference=reference)
    return factories.referral(
        request, domain, world[to], due=due, sent_at=sent, answered_at=answered,
        accepted_at=answered, ended_at=ended,
        state=state or ("accepted" if answered else "sent"))


def _april(world, today=dt.date(2027, 6, 1)):
    return punctuality.referral_punctuality(world["tenant"], *APRIL, today=today)


def _row(rows, name):
    return next(row.tally for row in rows if row.name == name)


def test_an_answer_counts_on_its_dutch_day_not_on_utcs(world):
    # 4 May 23:30 in the Netherlands is still 4 May; 5 May 00:30 is 4 May 22:30 in UTC.
    _referral(world, answered=nl(2027, 5, 4, 23, 30))
    _referral(world, answered=nl(2027, 5, 5, 0, 30))
    db.session.commit()
    assert _april(world).total == Tally(on_time=1, late=1)


def test_more_than_three_times_the_working_days_allowed_is_very_late(world):
    _referral(world, answered=nl(2027, 5, 21, 9, 0))  # the fifteenth working day: late
    _referral(world, answered=nl(2027, 5, 24, 9, 0))  # the sixteenth: more than 3 × 5
    db.session.commit()
    assert _april(world).total == Tally(late=2, very_late=1)


def test_the_municipalitys_own_closing_day_is_no_working_day(world):
    world["tenant"].closing_days = ["2027-05-07"]
    _referral(world, answered=nl(2027, 5, 24, 9, 0))  # now the fifteenth working day
    db.session.commit()
    assert _april(world).total == Tally(late=1)


def test_an_unanswered_referral_is_open_until_its_due_date_then_late_as_of_today(world):
    _referral(world)
    db.session.commit()
    assert _april(world, today=DUE).total == Tally(open=1)
    assert _april(world, today=dt.date(2027, 5, 5)).total == Tally(late=1)
    assert _april(world, today=dt.date(2027, 5, 24)).total == Tally(late=1, very_late=1)


def test_an_expired_referral_is_late_until_it_ended_and_an_early_withdrawal_owed_nothing(world):
    _referral(world, state="expired", ended=nl(2027, 5, 6, 3, 0))
    _referral(world, state="withdrawn", ended=nl(2027, 4, 29, 9, 0))
    _referral(world, state="withdrawn", ended=nl(2027, 6, 1, 9, 0))  # after 16 working days
    db.session.commit()
    assert _april(world, today=dt.date(2027, 7, 1)).total == Tally(late=2, very_late=1)


def test_referrals_belong_to_the_period_they_were_sent_in_by_dutch_day(world):
    _referral(world, sent=nl(2027, 4, 1, 0, 30))  # 31 March 22:30 in UTC
    _referral(world, sent=nl(2027, 3, 31, 23, 30))
    _referral(world, sent=nl(2027, 5, 1, 0, 30), due=dt.date(2027, 5, 10))
    other = factories.tenant()
    factories.referral(factories.support_request(factories.team(other)), "schulden",
                       due=DUE, sent_at=SENT)
    factories.referral(factories.support_request(world["noord"]), "schulden", world["schuld"],
                       state="proposed", due=DUE)  # never sent
    db.session.commit()
    assert _april(world, today=dt.date(2027, 4, 20)).total == Tally(open=1)
    may = punctuality.referral_punctuality(world["tenant"], *MAY, today=dt.date(2027, 4, 20))
    assert may.total == Tally(open=1)


def test_the_counts_are_per_owning_team_receiving_team_partner_and_domain(world):
    _referral(world, answered=nl(2027, 4, 28, 9, 0))
    _referral(world, owner="zuid", to="welzijn", domain="welzijn",
              answered=nl(2027, 5, 5, 9, 0))
    _referral(world, owner="zuid", to="jeugd", domain="jeugd")
    db.session.commit()
    result = _april(world)
    assert [row.name for row in result.by_partner] == ["Schuldhulp", "Welzijn"]
    assert _row(result.by_partner, "Welzijn") == Tally(late=1)
    assert [(row.name, row.tally) for row in result.by_team] == [
        ("Jeugdteam", Tally(late=1, very_late=1))]
    assert _row(result.by_owner_team, "Noord") == Tally(on_time=1)
    assert _row(result.by_owner_team, "Zuid") == Tally(late=2, very_late=1)
    assert {row.key: row.tally.counted for row in result.by_domain} == {
        "schulden": 1, "welzijn": 1, "jeugd": 1}
    assert result.total == Tally(on_time=1, late=2, very_late=1)


def test_a_period_that_ends_before_it_starts_is_refused(world):
    with pytest.raises(InvalidInput):
        punctuality.referral_punctuality(world["tenant"], dt.date(2027, 5, 1),
                                         dt.date(2027, 4, 1))


# ── Legal terms ───────────────────────────────────────────────────────────────────────

def _melding(world, created, owner="noord", domains=("wmo",), reference=None, **fields):
    return factories.support_request(world[owner], domains=domains, created_at=created,
                                     reference=reference, **fields)


def _legal(world, period=MAY, today=dt.date(2027, 9, 1)):
    return punctuality.legal_punctuality(world["tenant"], *period, today=today)


def test_the_six_weeks_end_after_the_holidays_and_count_from_the_dutch_day(world):
    # A melding on Wednesday 24 March: six weeks end on 5 May (Bevrijdingsdag), then
    # Ascension, its decreed Friday and the weekend: the term ends on Monday 10 May.
    _melding(world, nl(2027, 3, 24, 0, 30), wmo_investigation_done_on=dt.date(2027, 5, 7))
    _melding(world, nl(2027, 3, 24, 10, 0), wmo_investigation_done_on=dt.date(2027, 5, 11))
    # Another without the Wmo in its routes has no term; one of another tenant is not ours.
    _melding(world, nl(2027, 3, 24, 10, 0), domains=("schulden",))
    factories.support_request(factories.team(factories.tenant()), domains=("wmo",),
                              created_at=nl(2027, 3, 24, 10, 0))
    db.session.commit()
    result = _legal(world)
    assert result.total == Tally(on_time=1, late=1)
    assert [(row.key, row.tally) for row in result.by_term] == [
        ("wmo_investigation", Tally(on_time=1, late=1))]


def test_a_term_past_three_times_its_days_is_very_late_and_closing_stops_the_clock(world):
    _melding(world, nl(2027, 3, 24, 10, 0))  # still running on 1 September: > 3 × 47 days
    _melding(world, nl(2027, 3, 24, 10, 0), status="closed", closed_at=nl(2027, 5, 3, 12, 0))
    _melding(world, nl(2027, 3, 24, 10, 0), owner="zuid", status="closed",
             closed_at=nl(2027, 5, 12, 12, 0))
    db.session.commit()
    result = _legal(world)
    assert _row(result.by_team, "Noord") == Tally(on_time=1, late=1, very_late=1)
    assert _row(result.by_team, "Zuid") == Tally(late=1)
    assert _legal(world, today=dt.date(2027, 5, 8)).total == Tally(on_time=1, late=1, open=1)


def test_the_decision_term_of_two_weeks_ends_after_koningsdag(world):
    # An application on 13 April: two weeks end on 27 April (Koningsdag), so on the 28th.
    _melding(world, nl(2027, 4, 1, 10, 0), wmo_application_on=dt.date(2027, 4, 13),
             wmo_decision_on=dt.date(2027, 4, 28), wmo_investigation_done_on=dt.date(2027, 4, 9))
    _melding(world, nl(2027, 4, 1, 10, 0), domains=("schulden",),
             wmo_application_on=dt.date(2027, 4, 13), wmo_decision_on=dt.date(2027, 4, 29),
             wmo_investigation_done_on=dt.date(2027, 4, 9))
    db.session.commit()
    result = _legal(world, period=APRIL)
    assert [(row.key, row.tally) for row in result.by_term] == [
        ("wmo_decision", Tally(on_time=1, late=1))]


def test_the_days_waited_for_the_resident_move_a_running_term(world):
    # Seven days waited: the term ends on 12 May instead of 10 May, so on 11 May it is open.
    _melding(world, nl(2027, 3, 24, 10, 0), paused_days=7)
    db.session.commit()
    assert _legal(world, today=dt.date(2027, 5, 11)).total == Tally(open=1)
    assert _legal(world, today=dt.date(2027, 5, 13)).total == Tally(late=1)


# ── The list for the team lead ────────────────────────────────────────────────────────

def test_the_team_lead_lists_the_late_items_of_the_team_by_reference(world):
    _referral(world, answered=nl(2027, 4, 28, 9, 0), reference="WL-2027-000001")
    _referral(world, answered=nl(2027, 5, 24, 9, 0), reference="WL-2027-000002")
    _referral(world, owner="zuid", to="noord", domain="wijkteam", reference="WL-2027-000003")
    _referral(world, owner="zuid", answered=nl(2027, 5, 24, 9, 0), reference="WL-2027-000004")
    _melding(world, nl(2027, 3, 24, 10, 0), reference="WL-2027-000005",
             wmo_investigation_done_on=dt.date(2027, 5, 11))
    db.session.commit()
    items = punctuality.late_items(world["lead"], dt.date(2027, 4, 1), dt.date(2027, 5, 31),
                                   today=dt.date(2027, 6, 1))
    assert [(item.kind, item.reference, item.team, item.partner, item.domain, item.due,
             item.answered, item.days_late, item.very_late) for item in items] == [
        ("referral", "WL-2027-000002", "Noord", "Schuldhulp", "schulden", DUE,
         dt.date(2027, 5, 24), 11, True),
        ("referral", "WL-2027-000003", "Zuid", "Noord", "wijkteam", DUE, None, 17, True),
        ("wmo_investigation", "WL-2027-000005", "Noord", None, "wmo", dt.date(2027, 5, 10),
         dt.date(2027, 5, 11), 1, False),
    ]


def test_only_the_team_lead_of_the_team_or_an_administrator_opens_the_list(world):
    period = (dt.date(2027, 4, 1), dt.date(2027, 4, 30))
    staff = factories.user(world["tenant"], team=world["noord"])
    beleid = factories.user(world["tenant"], role="beleid")
    admin = factories.user(world["tenant"], role="admin")
    db.session.commit()
    for user in (staff, beleid):
        with pytest.raises(Forbidden):
            punctuality.late_items(user, *period)
    with pytest.raises(Forbidden):
        punctuality.late_items(world["lead"], *period, team_id=world["zuid"].id)
    with pytest.raises(Forbidden):
        punctuality.late_items(admin, *period)
    assert punctuality.late_items(admin, *period, team_id=world["zuid"].id) == []


@pytest.mark.parametrize("moment", [
    dt.datetime(2027, 3, 27, 22, 59), dt.datetime(2027, 3, 27, 23, 0),  # winter: UTC+1
    dt.datetime(2027, 3, 28, 0, 59), dt.datetime(2027, 3, 28, 1, 0),  # summer time begins
    dt.datetime(2027, 6, 30, 21, 59, 59, 999999), dt.datetime(2027, 6, 30, 22, 0),
    dt.datetime(2027, 10, 30, 21, 59), dt.datetime(2027, 10, 30, 22, 0),  # summer: UTC+2
    dt.datetime(2027, 10, 31, 0, 59), dt.datetime(2027, 10, 31, 1, 0),  # summer time ends
    dt.datetime(2027, 12, 31, 22, 59), dt.datetime(2027, 12, 31, 23, 0),
])
def test_the_database_tells_the_dutch_day_of_a_moment_as_python_does(app, moment):
    from sqlalchemy import DateTime, literal, select

    from app.calendar import local_date

    day = db.session.scalar(select(punctuality.dutch_day(literal(moment, DateTime))))
    assert punctuality._day(day) == local_date(moment)
