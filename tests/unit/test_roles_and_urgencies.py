"""Roles and the urgency order are each named once; everything that lists them agrees."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from app import roles
from app.auth import HOME_BY_ROLE
from app.services import queue
from app.staff.queue import PRIORITY_CHOICES
from app.vocabulary import ROLE_LABELS
from referral_rules import evaluate, load_ruleset
from referral_rules.vocabulary import (
    MOST_PRESSING_FIRST,
    PRESSING_URGENCIES,
    URGENCIES,
    URGENCY_CRISIS,
    URGENCY_NORMAL,
    URGENCY_RANK,
    URGENCY_URGENT,
)

SCHEMA = Path(__file__).parents[2] / "referral_rules" / "ruleset.schema.json"


def test_every_role_has_a_label_and_a_home_page() -> None:
    assert tuple(ROLE_LABELS) == roles.ROLES
    assert set(HOME_BY_ROLE) == set(roles.ROLES)


def test_the_team_roles_are_roles_and_exclude_partners_and_administrators() -> None:
    assert set(roles.TEAM_ROLES) <= set(roles.ROLES)
    assert roles.PARTNER not in roles.TEAM_ROLES
    assert roles.ADMIN not in roles.TEAM_ROLES
    assert len(set(roles.ROLES)) == len(roles.ROLES)


def test_the_urgencies_run_from_normal_to_crisis() -> None:
    assert URGENCIES == (URGENCY_NORMAL, URGENCY_URGENT, URGENCY_CRISIS)
    assert [URGENCY_RANK[code] for code in URGENCIES] == [0, 1, 2]


def test_the_most_pressing_first_order_is_the_urgencies_reversed() -> None:
    assert MOST_PRESSING_FIRST == tuple(sorted(URGENCIES, key=URGENCY_RANK.__getitem__,
                                               reverse=True))
    assert MOST_PRESSING_FIRST[0] == URGENCY_CRISIS


def test_every_urgency_above_the_lowest_counts_as_pressing() -> None:
    assert PRESSING_URGENCIES == tuple(code for code in URGENCIES
                                       if URGENCY_RANK[code] > URGENCY_RANK[URGENCY_NORMAL])


def test_the_queue_filter_and_its_choices_follow_the_priority_order() -> None:
    assert queue.PRIORITIES == MOST_PRESSING_FIRST
    assert tuple(PRIORITY_CHOICES) == MOST_PRESSING_FIRST


def test_the_ruleset_schema_allows_exactly_the_urgencies_as_priority() -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    found = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("priority"), dict) and "enum" in node["priority"]:
                found.append(node["priority"]["enum"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    assert found
    assert all(tuple(enum) == URGENCIES for enum in found)


@pytest.mark.parametrize(("urgency", "rule_priority"),
                         list(itertools.product(URGENCIES, URGENCIES)))
def test_a_decision_keeps_the_more_pressing_of_the_residents_urgency_and_a_rules_priority(
        urgency: str, rule_priority: str) -> None:
    ruleset = load_ruleset("name: Test\nrules:\n  - {id: a, title: A, when: {life_areas: "
                           f"{{contains: geld}}}}, then: {{priority: {rule_priority}}}}}\n")
    decision = evaluate(ruleset, {"life_areas": ["geld"], "urgency": urgency})
    assert decision.priority == max(urgency, rule_priority, key=URGENCY_RANK.__getitem__)
