"""The referral state machine, every pair of states; and working days."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from app.calendar import NATIONAL
from app.lifecycle import (
    BACK_TO_OWNER,
    LIVE_STATES,
    REFERRAL_STATES,
    TRANSITIONS,
    IllegalTransition,
    check_transition,
)

ALLOWED = {
    ("proposed", "sent"), ("proposed", "withdrawn"),
    ("sent", "accepted"), ("sent", "declined"), ("sent", "expired"), ("sent", "withdrawn"),
    ("accepted", "in_progress"), ("accepted", "completed"), ("accepted", "returned"),
    ("accepted", "withdrawn"),
    ("in_progress", "completed"), ("in_progress", "returned"), ("in_progress", "withdrawn"),
}


@pytest.mark.parametrize(("current", "target"), list(itertools.product(REFERRAL_STATES, repeat=2)))
def test_every_pair_of_states_is_allowed_or_refused_as_specified(current, target):
    if (current, target) in ALLOWED:
        check_transition(current, target)
    else:
        with pytest.raises(IllegalTransition) as raised:
            check_transition(current, target)
        assert current in str(raised.value) and target in str(raised.value)


def test_the_state_sets_are_consistent():
    assert set(TRANSITIONS) == set(REFERRAL_STATES)
    final = {state for state, targets in TRANSITIONS.items() if not targets}
    assert BACK_TO_OWNER <= final
    assert LIVE_STATES == set(REFERRAL_STATES) - final
    assert all(check_transition(s, "withdrawn") is None for s in LIVE_STATES)


def test_unknown_states_are_refused():
    with pytest.raises(IllegalTransition):
        check_transition("lost", "sent")


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (dt.date(2026, 11, 24), 0, dt.date(2026, 11, 24)),
        (dt.date(2026, 11, 24), 3, dt.date(2026, 11, 27)),  # Tue → Fri
        (dt.date(2026, 11, 27), 1, dt.date(2026, 11, 30)),  # Fri → Mon
        (dt.date(2026, 12, 24), 1, dt.date(2026, 12, 28)),  # Christmas and Boxing Day
        (dt.date(2026, 4, 24), 1, dt.date(2026, 4, 28)),  # King's Day is Monday 27 April
    ],
)
def test_working_days_skip_weekends_and_dutch_holidays(start, days, expected):
    assert NATIONAL.add_working_days(start, days) == expected


def test_working_days():
    assert not NATIONAL.is_working_day(dt.date(2026, 1, 1))
    assert NATIONAL.is_working_day(dt.date(2026, 1, 2))
    with pytest.raises(ValueError, match="negative"):
        NATIONAL.add_working_days(dt.date(2026, 1, 2), -1)
