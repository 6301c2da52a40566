"""Proving a ruleset complete: exhaustive evaluation over a discretised fact space.

The fact space is the product of one dimension per fact: age bands (cut further at every age
a rule compares with, so each band behaves the same for every rule), for whom, every subset
of the life areas, urgency, housing, and any other fact a rule reads. Unknown (absent) is a
value of every optional fact.

Each rule's condition becomes a boolean array over that product, built with numpy
broadcasting from per-dimension truth tables. The truth tables are computed with the
engine's own ``evaluate_condition``, so the analysis and the engine cannot disagree on what
a test means. Over those arrays the report finds:

- combinations where no rule routes (the engine's ``_default`` fallback does not count:
  a ruleset must route everything by itself);
- combinations where a selected life area is addressed by no route (``addresses``);
- rules that never fire;
- contradictory actions: two different deadlines for one route in one combination;
- unknown references: routes to a domain, or conditions on a partner, that the tenant's
  coverage and partner list do not know (only when those are given);
- task kinds the application has no label for (only when the known kinds are given): staff
  would see a task they cannot read.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from referral_rules.conditions import evaluate_condition
from referral_rules.loader import Rule, Ruleset
from referral_rules.vocabulary import FOR_WHOM, HOUSING, LIFE_AREAS, OWNER_DOMAIN, URGENCIES

__all__ = [
    "AGE_BANDS",
    "AnalysisReport",
    "Contradiction",
    "Dimension",
    "FactSpace",
    "Finding",
    "Reference",
    "analyse",
]

Mask = npt.NDArray[np.bool_]

#: The age bands every analysis distinguishes (first and last age of each; None: no limit).
AGE_BANDS: tuple[tuple[int, int | None], ...] = (
    (0, 11), (12, 16), (17, 17), (18, 22), (23, 66), (67, None),
)
MAX_AGE = 130  # the engine refuses older ages
#: Facts compared as numbers, facts holding a list; every other fact is a single code.
_NUMERIC_FACTS = ("age", "children_in_household")
_LIST_FACTS = ("known_partners",)
_OTHER = "(ander)"  # a code no rule names
_MAX_LIST_VALUES = 8  # subsets of the partners named in rules: 2**8 at most
_EXAMPLES = 5


@dataclass(frozen=True)
class Dimension:
    """One fact of the space: its representative values and how each is shown."""

    fact: str
    values: tuple[Any, ...]  # None: the fact is absent (unknown)
    labels: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.values)


def _put(facts: dict[str, Any], fact: str, value: Any) -> None:
    if value is None:
        return
    if fact.startswith("zrm."):
        facts.setdefault("zrm", {})[fact[4:]] = value
    elif isinstance(value, tuple):
        facts[fact] = list(value)
    else:
        facts[fact] = value


def _walk_tests(condition: Mapping[str, Any]) -> Iterable[tuple[str, Any]]:
    """Every (fact, test) in a condition, through ``all``, ``any`` and ``not``."""
    for key, spec in condition.items():
        if key in ("all", "any"):
            for part in spec:
                yield from _walk_tests(part)
        elif key == "not":
            yield from _walk_tests(spec)
        else:
            yield key, spec


def _arguments(spec: Any) -> list[Any]:
    """The values a test compares with."""
    if not isinstance(spec, Mapping):
        return [spec]
    found: list[Any] = []
    for op, arg in spec.items():
        if op != "present":
            found += list(arg) if isinstance(arg, list) else [arg]
    return found


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _cuts(specs: Iterable[Any]) -> set[int]:
    """Whole numbers where a numeric test of ``specs`` can change its answer."""
    cuts: set[int] = set()
    for spec in specs:
        tests = spec.items() if isinstance(spec, Mapping) else [("eq", spec)]
        for op, arg in tests:
            if op == "between":
                cuts |= {math.ceil(arg[0]), math.floor(arg[1]) + 1}
            elif op in ("lt", "gte") and _number(arg):
                cuts.add(math.ceil(arg))
            elif op in ("lte", "gt") and _number(arg):
                cuts.add(math.floor(arg) + 1)
            elif op in ("eq", "in"):
                for value in filter(_number, arg if isinstance(arg, list) else [arg]):
                    cuts |= {math.ceil(value), math.floor(value) + 1}
    return cuts


def _numeric_dimension(fact: str, starts: set[int], low: int, high: int | None,
                       optional: bool = True) -> Dimension:
    """Intervals of whole numbers from ``low`` to ``high`` (None: open), split at ``starts``."""
    points = sorted(s for s in starts | {low} if s >= low and (high is None or s <= high))
    values: list[Any] = []
    labels: list[str] = []
    for i, start in enumerate(points):
        last = i + 1 == len(points)
        end = high if last else points[i + 1] - 1
        values.append(start)
        labels.append(f"{start}+" if last and end != start else str(start) if end == start
                      else f"{start}-{end}")
    if optional:
        values.append(None)
        labels.append("onbekend")
    return Dimension(fact, tuple(values), tuple(labels))


def _code_dimension(fact: str, codes: Iterable[Any], optional: bool = True) -> Dimension:
    values: list[Any] = list(dict.fromkeys(codes))
    labels = [str(v) for v in values]
    if optional:
        values.append(None)
        labels.append("onbekend")
    return Dimension(fact, tuple(values), tuple(labels))


def _subsets_dimension(fact: str, items: Iterable[str], optional: bool) -> Dimension:
    items = tuple(items)
    values: list[Any] = [
        tuple(item for bit, item in enumerate(items) if mask >> bit & 1)
        for mask in range(2 ** len(items))
    ]
    labels = ["[" + ", ".join(v) + "]" for v in values]
    if optional:
        values.append(None)
        labels.append("onbekend")
    return Dimension(fact, tuple(values), tuple(labels))


def _dimensions(rules: Iterable[Rule]) -> tuple[Dimension, ...]:
    specs: dict[str, list[Any]] = {}
    for rule in rules:
        for fact, spec in _walk_tests(rule.when):
            specs.setdefault(fact, []).append(spec)
    arguments = {fact: [a for spec in found for a in _arguments(spec)]
                 for fact, found in specs.items()}
    band_starts = {start for start, _ in AGE_BANDS}
    dims = [
        _numeric_dimension("age", band_starts | _cuts(specs.get("age", [])), 0, MAX_AGE),
        _code_dimension("for_whom", FOR_WHOM),
        _subsets_dimension("life_areas", LIFE_AREAS, optional=False),
        _code_dimension("urgency", URGENCIES, optional=False),
        _code_dimension("housing", HOUSING),
    ]
    core = {dim.fact for dim in dims}
    for fact in sorted(set(arguments) - core):
        used = arguments[fact]
        if fact.startswith("zrm."):
            dims.append(_code_dimension(fact, range(1, 6)))
        elif fact in _NUMERIC_FACTS:
            dims.append(_numeric_dimension(fact, _cuts(specs[fact]), 0, None))
        elif fact in _LIST_FACTS:
            named = sorted({str(v) for v in used})
            if len(named) > _MAX_LIST_VALUES:
                raise ValueError(f"{fact}: rules name more than {_MAX_LIST_VALUES} values; "
                                 "the analysis cannot enumerate them")
            dims.append(_subsets_dimension(fact, named, optional=True))
        else:
            dims.append(_code_dimension(fact, [*sorted({str(v) for v in used}), _OTHER]))
    return tuple(dims)


class FactSpace:
    """The discretised fact space of one ruleset, and its rules as boolean arrays over it."""

    def __init__(self, ruleset: Ruleset) -> None:
        self.ruleset = ruleset
        self.dimensions = _dimensions(ruleset.rules)
        self.shape = tuple(len(dim) for dim in self.dimensions)
        self.size = math.prod(self.shape)
        self._axis = {dim.fact: axis for axis, dim in enumerate(self.dimensions)}
        self._leaves: dict[tuple[str, str], Mask] = {}
        self.fires: dict[str, Mask] = {rule.id: self.mask(rule.when) for rule in ruleset.rules}

    def _leaf(self, fact: str, spec: Any) -> Mask:
        key = (fact, repr(spec))
        cached = self._leaves.get(key)
        if cached is not None:
            return cached
        axis = self._axis[fact]
        dim = self.dimensions[axis]
        table = np.zeros(len(dim), dtype=np.bool_)
        for i, value in enumerate(dim.values):
            facts: dict[str, Any] = {}
            _put(facts, fact, value)
            table[i] = evaluate_condition({fact: spec}, facts) is not None
        shape = [1] * len(self.shape)
        shape[axis] = len(dim)
        leaf = table.reshape(shape)
        self._leaves[key] = leaf
        return leaf

    def mask(self, condition: Mapping[str, Any]) -> Mask:
        """Where ``condition`` holds, as an array broadcastable to ``shape``."""
        result: Mask = np.ones([1] * len(self.shape), dtype=np.bool_)
        for key, spec in condition.items():
            if key == "all":
                for part in spec:
                    result = result & self.mask(part)
            elif key == "any":
                either: Mask = np.zeros([1] * len(self.shape), dtype=np.bool_)
                for part in spec:
                    either = either | self.mask(part)
                result = result & either
            elif key == "not":
                result = result & ~self.mask(spec)
            else:
                result = result & self._leaf(key, spec)
        return result

    def full(self, mask: Mask) -> Mask:
        return np.broadcast_to(mask, self.shape)

    def selected(self, life_area: str) -> Mask:
        """Where ``life_area`` is among the selected life areas."""
        return self._leaf("life_areas", {"contains": life_area})

    def index(self, flat: int) -> tuple[int, ...]:
        return tuple(int(i) for i in np.unravel_index(flat, self.shape))

    def facts_at(self, flat: int) -> dict[str, Any]:
        """The representative facts of one combination (by its flat index)."""
        facts: dict[str, Any] = {}
        for dim, i in zip(self.dimensions, self.index(flat), strict=True):
            _put(facts, dim.fact, dim.values[i])
        return facts

    def label_at(self, flat: int) -> str:
        return ", ".join(f"{dim.fact} {dim.labels[i]}"
                         for dim, i in zip(self.dimensions, self.index(flat), strict=True))

    def fired_at(self, flat: int) -> tuple[str, ...]:
        """The rules that fire in one combination, in ruleset order."""
        where = self.index(flat)
        return tuple(rule.id for rule in self.ruleset.rules
                     if self.full(self.fires[rule.id])[where])

    def finding(self, mask: Mask) -> Finding:
        """Count, example combinations and the values involved per fact."""
        where = self.full(mask)
        count = int(np.count_nonzero(where))
        if not count:
            return Finding(0)
        flats = np.flatnonzero(where)[:_EXAMPLES]
        values: dict[str, tuple[str, ...]] = {}
        for axis, dim in enumerate(self.dimensions):
            others = tuple(a for a in range(len(self.shape)) if a != axis)
            present: list[bool] = np.asarray(where.any(axis=others)).tolist()
            if not all(present):
                values[dim.fact] = tuple(label for label, hit in zip(dim.labels, present,
                                                                      strict=True) if hit)
        return Finding(
            count=count,
            examples=tuple(self.facts_at(int(f)) for f in flats),
            example_labels=tuple(self.label_at(int(f)) for f in flats),
            values=values,
        )


@dataclass(frozen=True)
class Finding:
    """A set of combinations: how many, a few examples, and the values they are limited to."""

    count: int
    examples: tuple[dict[str, Any], ...] = ()
    example_labels: tuple[str, ...] = ()
    values: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"count": self.count, "examples": list(self.examples),
                "only_when": {fact: list(v) for fact, v in self.values.items()}}

    def text(self, indent: str = "    ") -> list[str]:
        lines = [f"{indent}only when {fact} is {' or '.join(v)}"
                 for fact, v in self.values.items() if fact != "life_areas" or len(v) <= 8]
        lines += [f"{indent}e.g. {label}" for label in self.example_labels]
        return lines


@dataclass(frozen=True)
class Contradiction:
    """Two rules give one route different deadlines in the same combinations."""

    domain: str
    rule_ids: tuple[str, str]
    deadlines: tuple[int, int]
    where: Finding

    def to_dict(self) -> dict[str, Any]:
        return {"domain": self.domain, "rule_ids": list(self.rule_ids),
                "deadline_days": list(self.deadlines), **self.where.to_dict()}


@dataclass(frozen=True)
class Reference:
    """A rule names something the tenant does not know."""

    rule_id: str
    kind: str  # "domain", "partner" or "task"
    value: str

    def to_dict(self) -> dict[str, str]:
        return {"rule_id": self.rule_id, "kind": self.kind, "value": self.value}


@dataclass(frozen=True)
class AnalysisReport:
    """The outcome of ``analyse``; ``ok`` only when nothing at all was found."""

    ruleset: str
    version: str
    source: str
    dimensions: tuple[tuple[str, int], ...]
    combinations: int
    rules: int
    unrouted: Finding
    unaddressed: Mapping[str, Finding]
    never_fired: tuple[str, ...]
    contradictions: tuple[Contradiction, ...]
    unknown_references: tuple[Reference, ...]
    references_checked: bool
    seconds: float
    unknown_task_kinds: tuple[Reference, ...] = ()
    task_kinds_checked: bool = False

    @property
    def ok(self) -> bool:
        return not (self.unrouted.count or self.unaddressed or self.never_fired
                    or self.contradictions or self.unknown_references
                    or self.unknown_task_kinds)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "ruleset": self.ruleset,
            "version": self.version,
            "source": self.source,
            "rules": self.rules,
            "dimensions": {fact: size for fact, size in self.dimensions},
            "combinations": self.combinations,
            "unrouted": self.unrouted.to_dict(),
            "unaddressed": {area: f.to_dict() for area, f in self.unaddressed.items()},
            "never_fired": list(self.never_fired),
            "contradictions": [c.to_dict() for c in self.contradictions],
            "unknown_references": [r.to_dict() for r in self.unknown_references],
            "references_checked": self.references_checked,
            "unknown_task_kinds": [r.to_dict() for r in self.unknown_task_kinds],
            "task_kinds_checked": self.task_kinds_checked,
            "seconds": round(self.seconds, 3),
        }

    def to_text(self) -> str:
        dims = " x ".join(f"{fact} {size}" for fact, size in self.dimensions)
        lines = [
            f"Ruleset {self.ruleset} (version {self.version}, {self.rules} rules) "
            f"from {self.source}",
            f"Fact space: {dims} = {self.combinations:,} combinations, "
            f"checked in {self.seconds:.2f} s.",
        ]

        def section(title: str, count: int) -> None:
            lines.append(f"{'OK ' if not count else 'GAP'}  {title}: {count}")

        section("combinations with no route", self.unrouted.count)
        lines += self.unrouted.text()
        section("combinations with a selected life area no route addresses",
                sum(f.count for f in self.unaddressed.values()))
        for area, found in self.unaddressed.items():
            lines.append(f"    {area}: {found.count} combinations")
            lines += found.text("      ")
        section("rules that never fire", len(self.never_fired))
        lines += [f"    {rule_id}" for rule_id in self.never_fired]
        section("contradictory deadlines", len(self.contradictions))
        for c in self.contradictions:
            lines.append(f"    route {c.domain}: rule {c.rule_ids[0]} says {c.deadlines[0]} "
                         f"days, rule {c.rule_ids[1]} says {c.deadlines[1]} "
                         f"({c.where.count} combinations)")
            lines += c.where.text("      ")
        if self.references_checked:
            section("unknown references", len(self.unknown_references))
            lines += [f"    rule {r.rule_id}: {r.kind} {r.value!r} is not covered by the tenant"
                      for r in self.unknown_references]
        else:
            lines.append("--   unknown references: not checked (no tenant file)")
        if self.task_kinds_checked:
            section("task kinds without a label", len(self.unknown_task_kinds))
            lines += [f"    rule {r.rule_id}: task kind {r.value!r} has no label in the app"
                      for r in self.unknown_task_kinds]
        lines.append("Result: " + ("complete, no gaps." if self.ok else "GAPS FOUND."))
        return "\n".join(lines)


def _references(ruleset: Ruleset, covered_domains: Collection[str] | None,
                partner_keys: Collection[str] | None) -> list[Reference]:
    found: list[Reference] = []
    for rule in ruleset.rules:
        if covered_domains is not None:
            found += [Reference(rule.id, "domain", domain) for domain in rule.routes
                      if domain != OWNER_DOMAIN and domain not in covered_domains]
        if partner_keys is not None:
            named = {str(value) for fact, spec in _walk_tests(rule.when)
                     if fact == "known_partners" for value in _arguments(spec)}
            found += [Reference(rule.id, "partner", key) for key in sorted(named)
                      if key not in partner_keys]
    return found


def analyse(ruleset: Ruleset, *, covered_domains: Collection[str] | None = None,
            partner_keys: Collection[str] | None = None,
            task_kinds: Collection[str] | None = None) -> AnalysisReport:
    """Evaluate ``ruleset`` over its whole discretised fact space and report every gap.

    ``covered_domains`` (the domains the tenant's coverage assigns) and ``partner_keys`` (its
    partners), when given, are checked against the routes and the ``known_partners``
    conditions; the owning wijkteam needs no coverage. ``task_kinds`` (the kinds the
    application can show), when given, are checked against the rules' tasks. Raises
    ValueError only when a rule names too many partners to enumerate.
    """
    started = time.perf_counter()
    space = FactSpace(ruleset)
    nowhere: Mask = np.zeros([1] * len(space.shape), dtype=np.bool_)

    routed = nowhere
    addressed = dict.fromkeys(LIFE_AREAS, nowhere)
    for rule in ruleset.rules:
        if not rule.routes:
            continue
        fires = space.fires[rule.id]
        routed = routed | fires
        for area in rule.addresses:
            addressed[area] = addressed[area] | fires
    unrouted = space.finding(~routed)
    unaddressed = {}
    for area in LIFE_AREAS:
        found = space.finding(space.selected(area) & ~addressed[area])
        if found.count:
            unaddressed[area] = found

    never_fired = tuple(rule.id for rule in ruleset.rules if not space.fires[rule.id].any())

    contradictions: list[Contradiction] = []
    timed = [rule for rule in ruleset.rules if rule.deadline_days is not None and rule.routes]
    for first, second in itertools.combinations(timed, 2):
        shared = [domain for domain in first.routes if domain in second.routes]
        if first.deadline_days == second.deadline_days or not shared:
            continue
        assert first.deadline_days is not None and second.deadline_days is not None
        both = space.fires[first.id] & space.fires[second.id]
        if not both.any():
            continue
        where = space.finding(both)
        contradictions += [
            Contradiction(domain, (first.id, second.id),
                          (first.deadline_days, second.deadline_days), where)
            for domain in shared
        ]

    references = _references(ruleset, covered_domains, partner_keys)
    return AnalysisReport(
        ruleset=ruleset.name,
        version=ruleset.version,
        source=ruleset.source,
        dimensions=tuple((dim.fact, len(dim)) for dim in space.dimensions),
        combinations=space.size,
        rules=len(ruleset.rules),
        unrouted=unrouted,
        unaddressed=unaddressed,
        never_fired=never_fired,
        contradictions=tuple(contradictions),
        unknown_references=tuple(references),
        references_checked=covered_domains is not None or partner_keys is not None,
        seconds=time.perf_counter() - started,
        unknown_task_kinds=tuple(
            Reference(rule.id, "task", rule.task.kind) for rule in ruleset.rules
            if task_kinds is not None and rule.task is not None
            and rule.task.kind not in task_kinds),
        task_kinds_checked=task_kinds is not None,
    )
