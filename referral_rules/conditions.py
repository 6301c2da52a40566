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

from collections.abc import Callable, Mapping
from typing import Any

__all__ = [
    "COMBINATORS",
    "OPERATORS",
    "ConditionError",
    "Predicate",
    "compile_condition",
    "evaluate_condition",
    "facts_used",
]

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


Predicate = Callable[[Mapping[str, Any]], bool]
_SEQUENCE = (list, tuple)


def _getter(name: str) -> Callable[[Mapping[str, Any]], Any]:
    if name.startswith("zrm."):
        key = name[4:]

        def zrm_value(facts: Mapping[str, Any]) -> Any:
            zrm = facts.get("zrm") or {}
            return zrm.get(key) if isinstance(zrm, Mapping) else None

        return zrm_value
    return lambda facts: facts.get(name)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _compile_test(op: str, arg: Any) -> Callable[[Any], bool]:
    """A check of one operator on a present value (same meaning as ``_test``)."""
    if op == "eq":
        return lambda value: bool(value == arg)
    if op == "in":
        return lambda value: value in arg
    if op == "contains":
        return lambda value: isinstance(value, _SEQUENCE) and arg in value
    if op == "contains_any":
        items = tuple(arg)
        return lambda value: isinstance(value, _SEQUENCE) and any(i in value for i in items)
    compare: dict[str, Callable[[Any], bool]] = {
        "lt": lambda value: bool(value < arg),
        "lte": lambda value: bool(value <= arg),
        "gt": lambda value: bool(value > arg),
        "gte": lambda value: bool(value >= arg),
    }
    if op == "between":
        low, high = arg
        compare["between"] = lambda value: bool(low <= value <= high)
    if op not in compare:
        raise ConditionError(f"unknown operator {op!r}")
    check = compare[op]
    return lambda value: _is_number(value) and check(value)


def _compile_fact(name: str, spec: Any) -> Predicate:
    get = _getter(name)
    tests = list(spec.items()) if isinstance(spec, Mapping) else [("eq", spec)]
    presence = [bool(arg) for op, arg in tests if op == "present"]
    checks = [_compile_test(op, arg) for op, arg in tests if op != "present"]

    def holds(facts: Mapping[str, Any]) -> bool:
        value = get(facts)
        if any((value is not None) != wanted for wanted in presence):
            return False
        if value is None:
            return not checks
        return all(check(value) for check in checks)

    if presence:
        return holds
    if len(checks) == 1 and not name.startswith("zrm."):
        return _direct(name, *tests[0])
    if len(checks) == 1:
        only = checks[0]
        return lambda facts: (value := get(facts)) is not None and only(value)
    return lambda facts: (value := get(facts)) is not None and all(c(value) for c in checks)


def _direct(name: str, op: str, arg: Any) -> Predicate:
    """One operator on a top-level fact, in a single closure (the engine's hot path)."""
    if op == "eq":
        return lambda facts: (value := facts.get(name)) is not None and bool(value == arg)
    if op == "in":
        return lambda facts: (value := facts.get(name)) is not None and value in arg
    if op == "contains":
        return lambda facts: isinstance(value := facts.get(name), _SEQUENCE) and arg in value
    if op == "contains_any":
        items = tuple(arg)
        wanted = frozenset(items)

        def contains_any(facts: Mapping[str, Any]) -> bool:
            value = facts.get(name)
            if not isinstance(value, _SEQUENCE):
                return False
            try:
                return not wanted.isdisjoint(value)
            except TypeError:  # an unhashable item in the list: compare one by one
                return any(item in value for item in items)

        return contains_any
    check = _compile_test(op, arg)
    return lambda facts: (value := facts.get(name)) is not None and check(value)


def compile_condition(condition: Mapping[str, Any]) -> Predicate:
    """A fast predicate with the meaning of ``evaluate_condition(condition, facts) is not None``.

    The engine tests every rule with its compiled predicate and describes only the rules that
    fire. Raises ConditionError for an unknown operator.
    """
    parts: list[Predicate] = []
    for key, spec in condition.items():
        if key == "all":
            parts.append(_all([compile_condition(part) for part in spec]))
        elif key == "any":
            parts.append(_any([compile_condition(part) for part in spec]))
        elif key == "not":
            parts.append(_not(compile_condition(spec)))
        else:
            parts.append(_compile_fact(key, spec))
    return _all(parts)


def _all(parts: list[Predicate]) -> Predicate:
    if not parts:
        return lambda facts: True
    if len(parts) == 1:
        return parts[0]
    if len(parts) == 2:
        first, second = parts
        return lambda facts: first(facts) and second(facts)
    if len(parts) == 3:
        first, second, third = parts
        return lambda facts: first(facts) and second(facts) and third(facts)
    return lambda facts: all(part(facts) for part in parts)


def _any(options: list[Predicate]) -> Predicate:
    if len(options) == 1:
        return options[0]
    if len(options) == 2:
        first, second = options
        return lambda facts: first(facts) or second(facts)
    return lambda facts: any(option(facts) for option in options)


def _not(inner: Predicate) -> Predicate:
    return lambda facts: not inner(facts)
