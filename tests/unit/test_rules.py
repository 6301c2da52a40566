"""referral_rules: the condition language, loading with clear errors, and evaluation."""

from __future__ import annotations

import datetime as dt
import textwrap

import pytest
import yaml

from referral_rules import (
    FactError,
    RulesetError,
    evaluate,
    load_ruleset,
    load_ruleset_file,
    ruleset_path,
)
from referral_rules.conditions import compile_condition, evaluate_condition, facts_used

ON = dt.date(2026, 11, 24)


def _ruleset(rules: str, **extra: str):
    head = "name: Test\n" + "".join(f"{k}: {v}\n" for k, v in extra.items())
    return load_ruleset(head + "rules:\n" + textwrap.indent(textwrap.dedent(rules), "  "))


@pytest.mark.parametrize(
    ("condition", "facts", "holds"),
    [
        ({"urgency": "crisis"}, {"urgency": "crisis"}, True),
        ({"urgency": "crisis"}, {"urgency": "spoed"}, False),
        ({"life_areas": {"contains": "geld"}}, {"life_areas": ["werk", "geld"]}, True),
        ({"life_areas": {"contains_any": ["wonen", "geld"]}}, {"life_areas": ["werk"]}, False),
        ({"age": {"lt": 18}}, {"age": 17}, True),
        ({"age": {"lt": 18}}, {}, False),  # a missing fact never matches
        ({"age": {"present": False}}, {}, True),
        ({"age": {"between": [16, 17]}}, {"age": 18}, False),
        ({"age": {"gte": 18, "lte": 23}}, {"age": 23}, True),
        ({"housing": {"in": ["huur", "eigen_woning"]}}, {"housing": "huur"}, True),
        ({"any": [{"urgency": "crisis"}, {"age": {"lt": 12}}]}, {"age": 8, "urgency": "x"}, True),
        ({"not": {"for_whom": "zelf"}}, {"for_whom": "zelf"}, False),
        ({"zrm.financien": {"lte": 2}}, {"zrm": {"financien": 1}}, True),
        ({"zrm.financien": {"lte": 2}}, {"zrm": "veel"}, False),
        ({"age": {"present": True}}, {"age": 0}, True),
        ({"age": {"present": False, "lt": 5}}, {}, False),
        ({"age": {"gte": 18}}, {"age": True}, False),  # a boolean is not a number
        ({"age": {"gte": 18}}, {"age": "20"}, False),
        ({"life_areas": {"contains_any": ["geld"]}}, {"life_areas": "geld"}, False),
        ({"known_partners": {"contains_any": ["jens"]}}, {"known_partners": [["x"], "jens"]}, True),
        ({"known_partners": {"contains_any": ["jens"]}}, {"known_partners": [["x"]]}, False),
        ({"all": [{"urgency": "crisis"}, {"age": 3}, {"for_whom": "kind"}]},
         {"urgency": "crisis", "age": 3, "for_whom": "kind"}, True),
        ({"any": [{"age": 1}, {"age": 2}, {"age": 3}]}, {"age": 4}, False),
        ({}, {}, True),
    ],
)
def test_conditions(condition, facts, holds):
    assert (evaluate_condition(condition, facts) is not None) is holds
    # The engine's compiled form means exactly the same.
    assert compile_condition(condition)(facts) is holds


def test_matched_conditions_are_described_in_words():
    matched = evaluate_condition({"age": {"lt": 18}, "life_areas": {"contains": "geld"}},
                                 {"age": 16, "life_areas": ["geld"]})
    assert matched == ["leeftijd onder 18", "leefgebied: geld"]
    assert facts_used({"any": [{"age": 1}, {"not": {"urgency": "crisis"}}]}) == {"age", "urgency"}


def test_all_matching_rules_fire_and_routes_to_one_domain_merge():
    ruleset = _ruleset("""
        - {id: a, title: A, when: {life_areas: {contains: wonen}}, then: {route: wonen, addresses: [wonen], deadline_days: 5}}
        - {id: b, title: B, when: {housing: geen_vaste_woonplek}, then: {route: wonen, deadline_days: 2, priority: spoed}}
        - {id: c, title: C, when: {life_areas: {contains: geld}}, then: {route: schulden, requires_consent: true}}
    """)
    decision = evaluate(ruleset, {"life_areas": ["wonen", "geld"], "urgency": "normaal",
                                  "housing": "geen_vaste_woonplek"}, on=ON)
    assert decision.fired_rule_ids == ("a", "b", "c")
    wonen, schulden = decision.routes
    assert (wonen.domain, wonen.rule_ids, wonen.deadline_days) == ("wonen", ("a", "b"), 2)
    assert wonen.life_areas == ("wonen",)
    assert schulden.requires_consent and not wonen.requires_consent
    assert decision.priority == "spoed"
    assert decision.ruleset_version == ruleset.version
    assert decision.to_dict()["routes"][0]["reasons"][1] == {
        "rule_id": "b", "title": "B", "basis": "", "matched": ["woonsituatie: geen_vaste_woonplek"]}


def test_a_rule_can_say_the_contact_is_not_safe():
    ruleset = _ruleset("""
        - {id: thuis, title: T, when: {life_areas: {contains: veiligheid}}, then: {route: veiligheid, contact_not_safe: true}}
        - {id: geld, title: G, when: {life_areas: {contains: geld}}, then: {route: schulden, contact_not_safe: false}}
    """)
    both = evaluate(ruleset, {"life_areas": ["veiligheid", "geld"], "urgency": "normaal"}, on=ON)
    assert both.contact_not_safe == ("thuis",)
    assert both.to_dict()["contact_not_safe"] == ["thuis"]
    money = evaluate(ruleset, {"life_areas": ["geld"], "urgency": "normaal"}, on=ON)
    assert money.contact_not_safe == ()
    with pytest.raises(RulesetError, match="rule a"):
        _ruleset("- {id: a, title: A, when: {urgency: crisis}, then: {route: wmo, "
                 "contact_not_safe: ja}}")


def test_without_any_route_the_owning_wijkteam_handles_it():
    ruleset = _ruleset("- {id: a, title: A, when: {urgency: crisis}, then: {priority: crisis}}")
    decision = evaluate(ruleset, {"life_areas": ["anders"], "urgency": "normaal"}, on=ON)
    assert decision.domains == ("wijkteam",)
    assert decision.routes[0].rule_ids == ("_default",)


def test_age_is_derived_from_the_birth_date_on_the_decision_date():
    ruleset = _ruleset("- {id: minor, title: M, when: {age: {lt: 18}}, then: {route: jeugd}}")
    facts = {"life_areas": ["opvoeden"], "urgency": "normaal", "birth_date": "2008-11-25"}
    assert evaluate(ruleset, facts, on=ON).domains == ("jeugd",)
    assert evaluate(ruleset, facts, on=ON).age == 17
    assert evaluate(ruleset, facts, on=dt.date(2026, 11, 25)).domains == ("wijkteam",)


@pytest.mark.parametrize(
    ("facts", "fact"),
    [
        ({"life_areas": ["gamen"]}, "life_areas"),
        ({"life_areas": "geld"}, "life_areas"),
        ({"life_areas": [["geld"]]}, "life_areas"),
        ({"urgency": "heel erg"}, "urgency"),
        ({"age": -3}, "age"),
        ({"age": 140}, "age"),
        ({"age": "tien"}, "age"),
        ({"age": True}, "age"),
        ({"birth_date": "2030-01-01"}, "birth_date"),
        ({"birth_date": "gisteren"}, "birth_date"),
        ({"for_whom": ["zelf"]}, "for_whom"),
        ({"housing": "kasteel"}, "housing"),
        ({"children_in_household": -1}, "children_in_household"),
        ({"children_in_household": True}, "children_in_household"),
        ({"zrm": {"financien": 9}}, "zrm"),
        ({"buurt_code": 917}, "buurt_code"),
        ({"known_partners": "jens"}, "known_partners"),
        ({"life_areas": None}, "life_areas"),
        ({"urgency": None}, "urgency"),
    ],
)
def test_invalid_or_missing_facts_are_refused_with_an_error_naming_the_fact(facts, fact):
    ruleset = _ruleset("- {id: a, title: A, when: {urgency: crisis}, then: {priority: crisis}}")
    valid = {"life_areas": ["geld"], "urgency": "normaal"}
    with pytest.raises(FactError, match=f"^{fact}: "):
        evaluate(ruleset, {**valid, **facts}, on=ON)


@pytest.mark.parametrize("missing", ["life_areas", "urgency"])
def test_a_missing_required_fact_is_an_error_not_a_default_route(missing):
    ruleset = _ruleset("- {id: a, title: A, when: {urgency: crisis}, then: {priority: crisis}}")
    facts = {"life_areas": ["geld"], "urgency": "normaal"}
    del facts[missing]
    with pytest.raises(FactError, match=f"^{missing}: missing"):
        evaluate(ruleset, facts, on=ON)


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ("- {id: a, title: A, when: {urgency: crisis}, then: {route: pizza}}",
         ":3: rule a: unknown domain 'pizza'"),
        ("- {id: a, title: A, when: {life_areas: {contains: gamen}}, then: {route: wmo}}",
         ":3: rule a: unknown value 'gamen' for life_areas"),
        ("- {id: a, title: A, when: {shoe_size: 44}, then: {route: wmo}}", ":3: rule a:"),
        ("- {id: a, title: A, when: {urgency: crisis}, then: {route: wmo}}\n"
         "- {id: a, title: B, when: {urgency: spoed}, then: {route: wmo}}",
         ":4: rule a: duplicate rule id 'a'"),
        ("- {id: a, title: A, when: {urgency: crisis}}", ":3: rule a: 'then' is a required"),
    ],
)
def test_a_bad_ruleset_is_refused_with_line_and_rule(rules, message):
    with pytest.raises(RulesetError) as raised:
        _ruleset(rules)
    assert message in str(raised.value)


def test_invalid_yaml_names_the_line():
    with pytest.raises(RulesetError, match=r"<string>:3: not valid YAML"):
        load_ruleset("name: x\nrules:\n  - {id: a, title: [}\n")


def test_the_version_is_a_content_hash():
    one = _ruleset("- {id: a, title: A, when: {urgency: crisis}, then: {route: wmo}}")
    same = _ruleset("- {id: a, title: A, when: {urgency: crisis}, then: {route: wmo}}")
    other = _ruleset("- {id: a, title: A, when: {urgency: spoed}, then: {route: wmo}}")
    assert one.version == same.version != other.version


def test_unknown_ruleset_names_are_refused():
    with pytest.raises(RulesetError):
        ruleset_path("../etc/passwd")
    with pytest.raises(RulesetError, match="cannot read"):
        load_ruleset_file(ruleset_path("does-not-exist"))


def test_the_demo_ruleset_passes_its_own_example_cases():
    ruleset = load_ruleset_file(ruleset_path("demo"))
    cases = yaml.safe_load(ruleset_path("demo").with_suffix(".cases.yaml").read_text())
    assert cases
    for case in cases:
        decision = evaluate(ruleset, case["facts"], on=ON)
        assert sorted(decision.domains) == sorted(case["routes"]), case["name"]
        if "priority" in case:
            assert decision.priority == case["priority"], case["name"]
        assert [t.kind for t in decision.tasks] == case.get("tasks", []), case["name"]
