"""The request state machine: every pair of states, every actor, reachability and finality;
and that the application changes a request's status in one place only."""

from __future__ import annotations

import itertools
import re
from collections import deque
from pathlib import Path

import pytest

from app.lifecycle import (
    OPEN_REQUEST_STATES,
    OUTSIDER,
    OWNING_TEAM,
    RECEIVING_TEAM,
    REQUEST_ACTORS,
    REQUEST_CLOSED,
    REQUEST_IN_PROGRESS,
    REQUEST_INITIAL,
    REQUEST_MOVES,
    REQUEST_NEW,
    REQUEST_STATES,
    REQUEST_TRANSITIONS,
    IllegalRequestTransition,
    check_request_transition,
)

APP = Path(__file__).resolve().parents[2] / "app"

#: The specification, written out by hand: (state, next state) → who may make the move.
MOVES = {
    ("new", "in_progress"): {"owning_team"},
    ("in_progress", "in_progress"): {"owning_team"},
    ("new", "new"): {"receiving_team"},
    ("in_progress", "new"): {"receiving_team"},
    ("new", "closed"): {"owning_team"},
    ("in_progress", "closed"): {"owning_team"},
}


def test_the_states_are_the_three_the_database_and_the_api_know():
    assert (REQUEST_NEW, REQUEST_IN_PROGRESS, REQUEST_CLOSED) == ("new", "in_progress", "closed")
    assert REQUEST_STATES == ("new", "in_progress", "closed")
    assert REQUEST_INITIAL == "new"
    assert OPEN_REQUEST_STATES == {"new", "in_progress"}


@pytest.mark.parametrize(("current", "target"), list(itertools.product(REQUEST_STATES, repeat=2)))
def test_every_pair_of_states_is_allowed_or_refused_as_specified(current, target):
    if (current, target) in MOVES:
        check_request_transition(current, target)
        assert target in REQUEST_TRANSITIONS[current]
    else:
        assert target not in REQUEST_TRANSITIONS[current]
        with pytest.raises(IllegalRequestTransition) as raised:
            check_request_transition(current, target)
        assert current in str(raised.value) and target in str(raised.value)
        assert raised.value.actor is None


@pytest.mark.parametrize(("current", "target", "actor"),
                         list(itertools.product(REQUEST_STATES, REQUEST_STATES, REQUEST_ACTORS)))
def test_every_move_is_made_only_by_the_actors_specified(current, target, actor):
    if actor in MOVES.get((current, target), set()):
        check_request_transition(current, target, actor)
    else:
        with pytest.raises(IllegalRequestTransition) as raised:
            check_request_transition(current, target, actor)
        if (current, target) in MOVES:  # a move, but not this actor's: the error says who
            assert raised.value.actor == actor and actor in str(raised.value)


def test_the_table_is_the_specification_and_names_only_known_actors():
    assert {move: set(actors) for move, actors in REQUEST_MOVES.items()} == MOVES
    assert set(REQUEST_TRANSITIONS) == set(REQUEST_STATES)
    assert {actor for actors in REQUEST_MOVES.values() for actor in actors} \
        == {OWNING_TEAM, RECEIVING_TEAM}
    assert OUTSIDER in REQUEST_ACTORS


def test_every_state_is_reachable_from_new():
    seen, todo = {REQUEST_INITIAL}, deque([REQUEST_INITIAL])
    while todo:
        for target in REQUEST_TRANSITIONS[todo.popleft()] - seen:
            seen.add(target)
            todo.append(target)
    assert seen == set(REQUEST_STATES)


def test_closed_is_final_because_nothing_reopens_a_request():
    assert REQUEST_TRANSITIONS[REQUEST_CLOSED] == frozenset()
    for target in REQUEST_STATES:
        with pytest.raises(IllegalRequestTransition):
            check_request_transition(REQUEST_CLOSED, target)
    # The open states are exactly the ones with a way on, and each of them can close.
    assert OPEN_REQUEST_STATES == {s for s, targets in REQUEST_TRANSITIONS.items() if targets}
    assert all(REQUEST_CLOSED in REQUEST_TRANSITIONS[state] for state in OPEN_REQUEST_STATES)


def test_unknown_states_are_refused():
    with pytest.raises(IllegalRequestTransition):
        check_request_transition("lost", REQUEST_CLOSED)
    with pytest.raises(IllegalRequestTransition):
        check_request_transition(REQUEST_NEW, "waiting")


def test_only_the_request_states_service_assigns_a_request_status():
    assigning = re.compile(r"\.status\s*=(?!=)|\.status,[^=\n]*=(?!=)")
    found = [(str(path.relative_to(APP)), line.strip())
             for path in sorted(APP.rglob("*.py"))
             for line in path.read_text(encoding="utf-8").splitlines()
             if assigning.search(line)]
    assert found == [("services/request_states.py", "request.status = target")]


def test_the_templates_compare_a_request_status_only_with_a_known_state():
    compared = re.compile(r"request\.status\s*(?:==|!=)\s*[\"']([^\"']*)[\"']")
    found = {value for path in (APP / "templates").rglob("*.html")
             for value in compared.findall(path.read_text(encoding="utf-8"))}
    assert found  # the request page does compare
    assert found <= set(REQUEST_STATES)
