"""Evaluating a ruleset: facts in, a decision with its explanation out.

Hit policy "collect": every matching rule fires; routes to the same domain merge. When no
rule routes anywhere, the owning wijkteam handles the question itself (never no route).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from referral_rules.conditions import evaluate_condition
from referral_rules.loader import Ruleset
from referral_rules.vocabulary import (
    FOR_WHOM,
    HOUSING,
    LIFE_AREAS,
    OWNER_DOMAIN,
    URGENCIES,
    URGENCY_RANK,
)

__all__ = ["Decision", "FactError", "Reason", "Route", "TaskAction", "evaluate", "normalize_facts"]

DEFAULT_RULE_ID = "_default"
#: Facts every decision needs; a missing one is an error, never a silent default.
REQUIRED_FACTS = ("life_areas", "urgency")


class FactError(ValueError):
    """The facts are invalid (missing, unknown value, wrong type); the message names the fact."""


@dataclass(frozen=True)
class Reason:
    rule_id: str
    title: str
    basis: str
    matched: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"rule_id": self.rule_id, "title": self.title, "basis": self.basis,
                "matched": list(self.matched)}


@dataclass(frozen=True)
class Route:
    domain: str
    rule_ids: tuple[str, ...]
    reasons: tuple[Reason, ...]
    life_areas: tuple[str, ...] = ()
    deadline_days: int | None = None
    requires_consent: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "domain": self.domain,
            "rule_ids": list(self.rule_ids),
            "reasons": [reason.to_dict() for reason in self.reasons],
            "life_areas": list(self.life_areas),
            "deadline_days": self.deadline_days,
            "requires_consent": self.requires_consent,
        }


@dataclass(frozen=True)
class TaskAction:
    kind: str
    reason: str
    rule_id: str


@dataclass(frozen=True)
class Decision:
    routes: tuple[Route, ...]
    priority: str
    tasks: tuple[TaskAction, ...]
    fired_rule_ids: tuple[str, ...]
    ruleset_version: str
    age: int | None = None
    facts: Mapping[str, Any] = field(default_factory=dict)
    #: The fired rules that say the request's contact is not safe.
    contact_not_safe: tuple[str, ...] = ()

    @property
    def domains(self) -> tuple[str, ...]:
        return tuple(route.domain for route in self.routes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "routes": [route.to_dict() for route in self.routes],
            "priority": self.priority,
            "tasks": [{"kind": t.kind, "reason": t.reason, "rule_id": t.rule_id}
                      for t in self.tasks],
            "fired_rule_ids": list(self.fired_rule_ids),
            "ruleset_version": self.ruleset_version,
            "age": self.age,
            "contact_not_safe": list(self.contact_not_safe),
        }


def _age_on(birth_date: dt.date, on: dt.date) -> int:
    return on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))


def _choice(facts: Mapping[str, Any], name: str, allowed: tuple[str, ...]) -> None:
    value = facts.get(name)
    if value is not None and value not in allowed:
        raise FactError(f"{name}: unknown value {value!r}")


def normalize_facts(facts: Mapping[str, Any], on: dt.date) -> dict[str, Any]:
    """Check the facts and derive ``age`` from ``birth_date``.

    ``life_areas`` and ``urgency`` are required. Raises FactError, whose message starts with
    the name of the offending fact.
    """
    result = dict(facts)
    birth = result.get("birth_date")
    if birth is not None:
        try:
            born = birth if isinstance(birth, dt.date) else dt.date.fromisoformat(str(birth))
        except ValueError as exc:
            raise FactError(f"birth_date: not a date: {birth!r}") from exc
        if born > on:
            raise FactError("birth_date: lies in the future")
        result["birth_date"] = born.isoformat()
        result["age"] = _age_on(born, on)
    age = result.get("age")
    valid_age = isinstance(age, int) and not isinstance(age, bool) and 0 <= age <= 130
    if age is not None and not valid_age:
        raise FactError(f"age: expected a whole number from 0 to 130, got {age!r}")
    for name in REQUIRED_FACTS:
        if result.get(name) is None:
            raise FactError(f"{name}: missing (a required fact)")
    areas = result["life_areas"]
    if not isinstance(areas, list | tuple) or any(
        not isinstance(a, str) or a not in LIFE_AREAS for a in areas
    ):
        raise FactError(f"life_areas: expected a list of {', '.join(LIFE_AREAS)}")
    result["life_areas"] = list(areas)
    _choice(result, "urgency", URGENCIES)
    _choice(result, "for_whom", FOR_WHOM)
    _choice(result, "housing", HOUSING)
    children = result.get("children_in_household")
    if children is not None and (
        not isinstance(children, int) or isinstance(children, bool) or children < 0
    ):
        raise FactError("children_in_household: expected a whole number of 0 or more")
    for name in ("buurt_code", "wijk_code", "language"):
        if result.get(name) is not None and not isinstance(result[name], str):
            raise FactError(f"{name}: expected text, got {result[name]!r}")
    partners = result.get("known_partners")
    if partners is not None and (
        not isinstance(partners, list | tuple) or not all(isinstance(p, str) for p in partners)
    ):
        raise FactError("known_partners: expected a list of partner keys")
    zrm = result.get("zrm")
    if zrm is not None:
        if not isinstance(zrm, Mapping) or any(
            not isinstance(v, int) or not 1 <= v <= 5 for v in zrm.values()
        ):
            raise FactError("zrm: expected a mapping of domain to a score from 1 to 5")
    return result


def evaluate(ruleset: Ruleset, facts: Mapping[str, Any], on: dt.date | None = None) -> Decision:
    """Decide the routes for ``facts`` on date ``on`` (today by default)."""
    on = on or dt.date.today()
    facts = normalize_facts(facts, on)
    merged: dict[str, dict[str, Any]] = {}
    priority = facts["urgency"]
    tasks: list[TaskAction] = []
    fired: list[str] = []
    unsafe: list[str] = []
    for rule in ruleset.rules:
        if not rule.matches(facts):
            continue
        # Only a rule that fires is described in words (the slower, explaining evaluator).
        matched = evaluate_condition(rule.when, facts)
        if matched is None:  # pragma: no cover - compile_condition and it agree
            raise AssertionError(f"rule {rule.id}: compiled and explained conditions disagree")
        fired.append(rule.id)
        reason = Reason(rule.id, rule.title, rule.basis, tuple(matched))
        for domain in rule.routes:
            route = merged.setdefault(domain, {"rule_ids": [], "reasons": [], "life_areas": [],
                                               "deadlines": [], "consent": False})
            route["rule_ids"].append(rule.id)
            route["reasons"].append(reason)
            route["life_areas"] += [a for a in rule.addresses if a not in route["life_areas"]]
            if rule.deadline_days is not None:
                route["deadlines"].append(rule.deadline_days)
            route["consent"] = route["consent"] or bool(rule.requires_consent)
        if rule.priority and URGENCY_RANK[rule.priority] > URGENCY_RANK[priority]:
            priority = rule.priority
        if rule.task is not None:
            tasks.append(TaskAction(rule.task.kind, rule.task.reason, rule.id))
        if rule.contact_not_safe:
            unsafe.append(rule.id)
    if not merged:
        merged[OWNER_DOMAIN] = {
            "rule_ids": [DEFAULT_RULE_ID],
            "reasons": [Reason(DEFAULT_RULE_ID,
                               "Geen regel paste: het wijkteam pakt de vraag zelf op.", "", ())],
            "life_areas": [], "deadlines": [], "consent": False,
        }
    routes = tuple(
        Route(
            domain=domain,
            rule_ids=tuple(spec["rule_ids"]),
            reasons=tuple(spec["reasons"]),
            life_areas=tuple(spec["life_areas"]),
            # Two rules with different deadlines for one route: the shorter one holds
            # (the analysis reports it as a contradiction).
            deadline_days=min(spec["deadlines"]) if spec["deadlines"] else None,
            requires_consent=spec["consent"],
        )
        for domain, spec in merged.items()
    )
    return Decision(
        routes=routes,
        priority=priority,
        tasks=tuple(tasks),
        fired_rule_ids=tuple(fired),
        ruleset_version=ruleset.version,
        age=facts.get("age"),
        facts=facts,
        contact_not_safe=tuple(unsafe),
    )
