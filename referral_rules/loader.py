"""Loading and validating rulesets (YAML, checked against the shipped JSON Schema).

A bad file is refused as a whole with an error that names the file, the line and the rule.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from referral_rules.conditions import Predicate, compile_condition
from referral_rules.vocabulary import DOMAINS, FOR_WHOM, HOUSING, LIFE_AREAS, URGENCIES

__all__ = [
    "RULESET_DIR",
    "Rule",
    "Ruleset",
    "RulesetError",
    "TaskSpec",
    "load_ruleset",
    "load_ruleset_file",
    "ruleset_path",
]

RULESET_DIR = Path(__file__).parent / "rulesets"
_SCHEMA_PATH = Path(__file__).parent / "ruleset.schema.json"
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
#: Facts whose values come from a vocabulary, so conditions on them can be checked.
_VOCABULARY_FACTS: dict[str, tuple[str, ...]] = {
    "life_areas": LIFE_AREAS,
    "for_whom": FOR_WHOM,
    "urgency": URGENCIES,
    "housing": HOUSING,
}


class RulesetError(ValueError):
    """A ruleset file is invalid; the message names file, line and rule."""


@dataclass(frozen=True)
class TaskSpec:
    kind: str
    reason: str


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    basis: str
    when: Mapping[str, Any]
    routes: tuple[str, ...] = ()
    addresses: tuple[str, ...] = ()
    priority: str | None = None
    deadline_days: int | None = None
    requires_consent: bool | None = None
    task: TaskSpec | None = None
    #: The request's contact is not safe (nothing is sent to the resident) when this fires.
    contact_not_safe: bool = False
    #: ``when`` compiled once (the engine's hot path); same meaning as evaluate_condition.
    matches: Predicate = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "matches", compile_condition(self.when))


@dataclass(frozen=True)
class Ruleset:
    name: str
    version: str  # content hash of the file, so a decision can be replayed
    rules: tuple[Rule, ...]
    default_deadline_days: int | None = None
    source: str = "<string>"

    def rule(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)


@cache
def _validator() -> jsonschema.protocols.Validator:
    schema = json.loads(_SCHEMA_PATH.read_text(encoding="utf-8"))
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    validator: jsonschema.protocols.Validator = validator_class(schema)
    return validator


def ruleset_path(slug: str) -> Path:
    """The file of the ruleset ``slug`` shipped in ``referral_rules/rulesets/``."""
    if not _SLUG.match(slug):
        raise RulesetError(f"invalid ruleset name {slug!r}")
    return RULESET_DIR / f"{slug}.yaml"


def load_ruleset_file(path: Path) -> Ruleset:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RulesetError(f"{path}: cannot read: {exc.strerror}") from exc
    return load_ruleset(text, source=str(path))


def _line_of(node: yaml.Node | None, path: list[Any]) -> int | None:
    """The 1-based line of the YAML node at ``path`` (keys and indexes), as deep as it goes."""
    if node is None:
        return None
    line = node.start_mark.line + 1
    for step in path:
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            child = next((v for k, v in node.value if k.value == step), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(
                node.value):
            child = node.value[step]
        if child is None:
            break
        node, line = child, child.start_mark.line + 1
    return line


def load_ruleset(text: str, source: str = "<string>") -> Ruleset:
    """Parse, validate and build a ruleset; raise RulesetError on any problem."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark is not None else source
        raise RulesetError(f"{where}: not valid YAML: {getattr(exc, 'problem', exc)}") from exc

    def fail(path: list[Any], message: str) -> RulesetError:
        line = _line_of(root, path)
        where = f"{source}:{line}" if line else source
        rule_id = None
        if len(path) >= 2 and path[0] == "rules" and isinstance(path[1], int):
            rules = data.get("rules") if isinstance(data, dict) else None
            item = rules[path[1]] if isinstance(rules, list) and path[1] < len(rules) else None
            rule_id = item.get("id") if isinstance(item, dict) else None
        prefix = f"{where}: rule {rule_id}: " if rule_id else f"{where}: "
        return RulesetError(prefix + message)

    errors = sorted(_validator().iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        best = jsonschema.exceptions.best_match(errors)
        assert best is not None
        raise fail(list(best.absolute_path), best.message)

    rules: list[Rule] = []
    seen: set[str] = set()
    for index, item in enumerate(data["rules"]):
        here = ["rules", index]
        if item["id"] in seen:
            raise fail([*here, "id"], f"duplicate rule id {item['id']!r}")
        seen.add(item["id"])
        _check_condition(item["when"], [*here, "when"], fail)
        then = item["then"]
        routes = then.get("route", [])
        routes = (routes,) if isinstance(routes, str) else tuple(routes)
        for domain in routes:
            if domain not in DOMAINS:
                raise fail([*here, "then", "route"], f"unknown domain {domain!r}")
        addresses = tuple(then.get("addresses", ()))
        for area in addresses:
            if area not in LIFE_AREAS:
                raise fail([*here, "then", "addresses"], f"unknown life area {area!r}")
        if addresses and not routes:
            raise fail([*here, "then", "addresses"], "'addresses' needs a 'route'")
        task = then.get("task")
        rules.append(
            Rule(
                id=item["id"],
                title=item["title"],
                basis=item.get("basis", ""),
                when=item["when"],
                routes=routes,
                addresses=addresses,
                priority=then.get("priority"),
                deadline_days=then.get("deadline_days"),
                requires_consent=then.get("requires_consent"),
                task=TaskSpec(task["kind"], task["reason"]) if task else None,
                contact_not_safe=bool(then.get("contact_not_safe", False)),
            )
        )
    version = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    return Ruleset(
        name=data["name"],
        version=version,
        rules=tuple(rules),
        default_deadline_days=data.get("default_deadline_days"),
        source=source,
    )


def _check_condition(condition: Mapping[str, Any], path: list[Any], fail: Any) -> None:
    """Values compared with vocabulary facts must come from the vocabulary."""
    for key, spec in condition.items():
        if key in ("all", "any"):
            for i, part in enumerate(spec):
                _check_condition(part, [*path, key, i], fail)
            continue
        if key == "not":
            _check_condition(spec, [*path, key], fail)
            continue
        allowed = _VOCABULARY_FACTS.get(key)
        if allowed is None:
            continue
        tests = spec.items() if isinstance(spec, Mapping) else [("eq", spec)]
        for op, arg in tests:
            if op == "present":
                continue
            values = arg if isinstance(arg, list) else [arg]
            for value in values:
                if value not in allowed:
                    raise fail([*path, key], f"unknown value {value!r} for {key}")
