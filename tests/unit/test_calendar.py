"""The legal calendar (app/calendar.py) on known dates: the Algemene termijnenwet's holidays,
its art. 1 and art. 2, working days and a municipality's own closing days."""

from __future__ import annotations

import datetime as dt

import holidays
import pytest

from app.calendar import (
    NATIONAL,
    Calendar,
    atw_holidays,
    decreed_days,
    is_atw_free,
    kings_day,
    parse_closing_days,
)

D = dt.date
SIX_WEEKS = dt.timedelta(weeks=6)
TWO_WEEKS = dt.timedelta(weeks=2)


def test_bevrijdingsdag_is_a_holiday_every_year_not_only_in_lustrum_years():
    assert D(2027, 5, 5) not in holidays.country_holidays("NL", years=2027)  # the package
    for year in range(2024, 2032):
        assert D(year, 5, 5) in atw_holidays(year)
    assert D(2027, 5, 5).weekday() == 2  # a Wednesday, the day before Ascension
    assert atw_holidays(2027)[D(2027, 5, 6)] == "Hemelvaartsdag"


def test_good_friday_easter_and_pentecost_2027():
    named = atw_holidays(2027)
    assert named[D(2027, 3, 26)] == "Goede Vrijdag"  # art. 3 lid 2
    assert named[D(2027, 3, 29)] == "Tweede Paasdag"
    assert named[D(2027, 5, 17)] == "Tweede Pinksterdag"
    assert D(2027, 3, 28) not in named  # Easter Sunday is a Sunday anyway


@pytest.mark.parametrize(("year", "day"), [(2025, D(2025, 4, 26)), (2014, D(2014, 4, 26)),
                                           (2026, D(2026, 4, 27)), (2027, D(2027, 4, 27))])
def test_kings_day_on_a_sunday_is_celebrated_on_the_26th(year, day):
    assert kings_day(year) == day
    assert day in atw_holidays(year)


def test_every_dutch_public_holiday_of_the_holidays_package_is_a_day_without_a_term_end():
    for year in range(2020, 2036):
        for day in holidays.country_holidays("NL", years=year):
            assert is_atw_free(day), day


@pytest.mark.parametrize(("day", "end"), [
    (D(2027, 5, 5), D(2027, 5, 10)),  # Bevrijdingsdag, Ascension, the Friday after, weekend
    (D(2027, 3, 26), D(2027, 3, 30)),  # Good Friday, weekend, Easter Monday
    (D(2027, 5, 15), D(2027, 5, 18)),  # Saturday before Pentecost, Whit Monday
    (D(2027, 12, 25), D(2027, 12, 27)),  # Christmas on a Saturday and Sunday
    (D(2021, 12, 24), D(2021, 12, 24)),  # the Friday before a Christmas weekend counts
    (D(2025, 4, 26), D(2025, 4, 28)),  # Koningsdag on Saturday 26 April
    (D(2026, 11, 25), D(2026, 11, 25)),  # a plain Wednesday
])
def test_a_term_that_ends_on_a_free_day_moves_to_the_next_day_that_is_none_art_1(day, end):
    start = day - SIX_WEEKS
    assert NATIONAL.legal_term_end(start, SIX_WEEKS) == end


def test_a_wmo_melding_six_weeks_before_bevrijdingsdag_2027_ends_on_monday_10_may():
    assert NATIONAL.legal_term_end(D(2027, 3, 24), SIX_WEEKS) == D(2027, 5, 10)


def test_a_term_of_three_days_or_more_holds_at_least_two_days_that_are_not_free_art_2():
    # Tuesday 4 May 2027 + 3 days: 5, 6, 7 May are free and 8, 9 a weekend; art. 1 gives
    # Monday 10 May, holding one such day; art. 2 adds Tuesday 11 May.
    assert NATIONAL.legal_term_end(D(2027, 5, 4), dt.timedelta(days=3)) == D(2027, 5, 11)
    # Thursday 23 December 2027 + 3 days: Friday 24 and Monday 27 are two such days.
    assert NATIONAL.legal_term_end(D(2027, 12, 23), dt.timedelta(days=3)) == D(2027, 12, 27)
    # A term of two days is not extended by art. 2, only by art. 1.
    assert NATIONAL.legal_term_end(D(2027, 5, 4), dt.timedelta(days=2)) == D(2027, 5, 10)


def test_decreed_days_include_the_friday_after_ascension_and_bridge_days():
    assert D(2027, 5, 7) in decreed_days(2027)
    assert D(2026, 5, 15) in decreed_days(2026)  # Ascension 14 May 2026
    assert D(2026, 1, 2) in decreed_days(2026)  # New Year on a Thursday
    assert D(2020, 5, 4) in decreed_days(2020)  # Bevrijdingsdag on a Tuesday
    assert not set(decreed_days(2027)) & set(atw_holidays(2027))


def test_working_days_skip_weekends_and_holidays_but_decreed_days_only_move_legal_terms():
    assert NATIONAL.is_working_day(D(2027, 5, 4))
    assert not NATIONAL.is_working_day(D(2027, 5, 5))
    assert NATIONAL.is_working_day(D(2027, 5, 7))  # offices decide: a closing day if closed
    assert NATIONAL.add_working_days(D(2027, 5, 4), 1) == D(2027, 5, 7)
    assert NATIONAL.add_working_days(D(2027, 12, 23), 2) == D(2027, 12, 27)
    assert NATIONAL.working_days_between(D(2027, 5, 4), D(2027, 5, 10)) == 2


def test_a_municipalitys_closing_days_count_for_working_days_not_for_legal_terms():
    heerlen = Calendar.with_closing_days(parse_closing_days(["2027-05-07", "2027-12-24"]))
    assert not heerlen.is_working_day(D(2027, 5, 7))
    assert heerlen.add_working_days(D(2027, 5, 4), 1) == D(2027, 5, 10)
    assert heerlen.add_working_days(D(2027, 12, 23), 1) == D(2027, 12, 27)
    assert heerlen.legal_term_end(D(2027, 11, 12), SIX_WEEKS) == D(2027, 12, 24)


@pytest.mark.parametrize("value", ["2027-05-07", [20270507], ["7 mei"], [dt.datetime(2027, 5, 7)]])
def test_closing_days_that_are_not_a_list_of_dates_are_refused(value):
    with pytest.raises(ValueError, match="closing_days"):
        parse_closing_days(value)


def test_closing_days_may_be_yaml_dates_or_text_and_come_back_sorted_once():
    assert parse_closing_days([D(2027, 5, 7), "2027-01-02", "2027-05-07"]) == [
        D(2027, 1, 2), D(2027, 5, 7)]
    assert parse_closing_days(None) == []


def test_the_two_week_decision_term_after_an_application_on_good_friday_eve():
    # Application Thursday 11 March 2027: two weeks end Thursday 25 March, a working day.
    assert NATIONAL.legal_term_end(D(2027, 3, 11), TWO_WEEKS) == D(2027, 3, 25)
    # Application Friday 12 March: the 26th is Good Friday, then weekend and Easter Monday.
    assert NATIONAL.legal_term_end(D(2027, 3, 12), TWO_WEEKS) == D(2027, 3, 30)
