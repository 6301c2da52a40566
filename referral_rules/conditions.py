"""The condition language of referral rules: small, safe and analysable (no ``eval``).

A condition is a mapping. Keys are fact names or the combinators ``all``, ``any`` and
``not``; every entry must hold (an implicit ``all``). A fact test is a plain value (equals)
or a mapping with one or more operators:

    urgency: crisis                          # equals
    life_areas: {contains: geld}             # the list holds this value
    life_areas: {contains_any: [geld, werk]} # the list holds one of these
    housing: {in: [huur, eigen_woning]}      # the value is one of these
    age: {lt: 18}                            # also lte, gt, gte
    age: {between: [16, 17]}                 # inclusive
    children_in_household: {present: true}   # the fact is given (or not)
    any: [{urgency: crisis}, {life_areas: {contains: veiligheid}}]
    not: {for_whom: zelf}

A missing fact never matches an operator other than ``present: false``.
Every matched test can be described in words (``describe``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["COMBINATORS", "OPERATORS", "ConditionError", "evaluate_condition", "facts_used"]

OPERATORS = ("eq", "in", "contains", "contains_any", "lt", "lte", "gt", "gte", "between",
             "present")
COMBINATORS = ("all", "any", "not")

_FACT_WORDS = {
    "age": "leeftijd",
    "for_whom": "voor wie",
    "children_in_household": "kinderen in het huishouden",
    "life_areas": "leefgebied",
    "urgency": "urgentie",
    "housing": "woonsituatie",
    "buurt_code": "buurt",
    "wijk_code": "wijk",
    "known_partners": "betrokken organisatie",
    "language": "taal",
}


class ConditionError(ValueError):
    """A condition is malformed."""


def _words(fact: str) -> str:
    if fact.startswith("zrm."):
        return f"ZRM {fact[4:]}"
    return _FACT_WORDS.get(fact, fact)


def _fact(facts: Mapping[str, Any], name: str) -> Any:
    if name.startswith("zrm."):
        zrm = facts.get("zrm") or {}
        return zrm.get(name[4:]) if isinstance(zrm, Mapping) else None
    return facts.get(name)


def _test(fact: str, value: Any, op: str, arg: Any) -> str | None:
    """Check one operator; return a description when it holds, else None."""
    word = _words(fact)
    if op == "present":
        return (f"{word} is bekend" if arg else f"{word} is niet bekend") if (
            (value is not None) == bool(arg)) else None
    if value is None:
        return None
    if op == "eq":
        return f"{word}: {arg}" if value == arg else None
    if op == "in":
        return f"{word}: {value}" if value in arg else None
    if op == "contains":
        return f"{word}: {arg}" if isinstance(value, list | tuple) and arg in value else None
    if op == "contains_any":
        if not isinstance(value, list | tuple):
            return None
        hits = [item for item in arg if item in value]
        return f"{word}: {', '.join(str(h) for h in hits)}" if hits else None
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    if op == "lt":
        return f"{word} onder {arg}" if value < arg else None
    if op == "lte":
        return f"{word} {arg} of lager" if value <= arg else None
    if op == "gt":
        return f"{word} boven {arg}" if value > arg else None
    if op == "gte":
        return f"{word} {arg} of hoger" if value >= arg else None
    if op == "between":
        low, high = arg
        return f"{word} {low} tot en met {high}" if low <= value <= high else None
    raise ConditionError(f"unknown operator {op!r}")


def evaluate_condition(condition: Mapping[str, Any], facts: Mapping[str, Any]) -> list[str] | None:
    """The descriptions of what matched when ``condition`` holds for ``facts``, else None."""
    matched: list[str] = []
    for key, spec in condition.items():
        if key == "all":
            for part in spec:
                found = evaluate_condition(part, facts)
                if found is None:
                    return None
                matched += found
        elif key == "any":
            for part in spec:
                found = evaluate_condition(part, facts)
                if found is not None:
                    matched += found
                    break
            else:
                return None
        elif key == "not":
            if evaluate_condition(spec, facts) is not None:
                return None
        else:
            value = _fact(facts, key)
            tests = spec.items() if isinstance(spec, Mapping) else [("eq", spec)]
            for op, arg in tests:
                found_one = _test(key, value, op, arg)
                if found_one is None:
                    return None
                matched.append(found_one)
    return matched


def facts_used(condition: Mapping[str, Any]) -> set[str]:
    """The fact names a condition reads (for analysis and reference checks)."""
    names: set[str] = set()
    for key, spec in condition.items():
        if key in ("all", "any"):
            for part in spec:
                names |= facts_used(part)
        elif key == "not":
            names |= facts_used(spec)
        else:
            names.add(key)
    return names
