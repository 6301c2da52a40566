"""Referral rules: declarative, explainable rulesets that decide where a question goes.

A plain library: no web framework and no database. Plain values in, plain values out.
"""

from referral_rules.engine import (
    Decision,
    FactError,
    Reason,
    Route,
    TaskAction,
    evaluate,
    normalize_facts,
)
from referral_rules.loader import (
    RULESET_DIR,
    Rule,
    Ruleset,
    RulesetError,
    TaskSpec,
    load_ruleset,
    load_ruleset_file,
    ruleset_path,
)

__all__ = [
    "RULESET_DIR",
    "Decision",
    "FactError",
    "Reason",
    "Route",
    "Rule",
    "Ruleset",
    "RulesetError",
    "TaskAction",
    "TaskSpec",
    "evaluate",
    "load_ruleset",
    "load_ruleset_file",
    "normalize_facts",
    "ruleset_path",
]
