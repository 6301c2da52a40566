"""referral_rules.analysis: the exhaustive check that nobody falls through the cracks."""

from __future__ import annotations

import datetime as dt
import json
import random

import pytest
import yaml

from referral_rules import RULESET_DIR, evaluate, load_ruleset, load_ruleset_file
from referral_rules.analysis import FactSpace, analyse
from referral_rules.vocabulary import LIFE_AREAS

ON = dt.date(2026, 11, 24)
SHIPPED = sorted(p.stem for p in RULESET_DIR.glob("*.yaml") if not p.stem.endswith(".cases"))
REAL = [slug for slug in SHIPPED if slug != "demo"]


def _rule(rule_id: str, when: dict, **then) -> dict:
    return {"id": rule_id, "title": rule_id.capitalize(), "when": when, "then": then}


def _ruleset(*rules: dict):
    return load_ruleset(yaml.safe_dump({"name": "Test", "rules": list(rules)}))


#: Two rules that route and address everything: a baseline without gaps.
COMPLETE = (
    _rule("ok", {"life_areas": {"contains_any": list(LIFE_AREAS)}}, route="wijkteam",
          addresses=list(LIFE_AREAS)),
    _rule("leeg", {"not": {"life_areas": {"contains_any": list(LIFE_AREAS)}}}, route="wijkteam"),
)


def test_a_combination_without_a_route_is_a_gap_even_though_the_engine_falls_back():
    ruleset = _ruleset(_rule("geld", {"life_areas": {"contains": "geld"}}, route="schulden",
                             addresses=["geld"]))
    report = analyse(ruleset)
    space = FactSpace(ruleset)
    assert not report.ok
    assert report.unrouted.count == space.size // 2  # every life-area set without geld
    assert report.unrouted.examples
    for facts in report.unrouted.examples:
        assert "geld" not in facts["life_areas"]
        # The engine's _default route keeps the request owned, but it is not the ruleset's.
        assert evaluate(ruleset, facts, on=ON).routes[0].rule_ids == ("_default",)
    assert "GAP  combinations with no route" in report.to_text()


def test_a_catch_all_route_does_not_address_the_selected_life_areas():
    ruleset = _ruleset(
        _rule("geld", {"life_areas": {"contains": "geld"}}, route="schulden", addresses=["geld"]),
        _rule("rest", {"urgency": {"in": ["normaal", "spoed", "crisis"]}}, route="wijkteam"),
    )
    report = analyse(ruleset)
    assert report.unrouted.count == 0
    assert set(report.unaddressed) == set(LIFE_AREAS) - {"geld"}
    werk = report.unaddressed["werk"]
    assert all("werk" in facts["life_areas"] for facts in werk.examples)
    assert not report.ok


def test_an_area_addressed_only_for_some_ages_is_reported_with_the_missing_ages():
    everything_but_opvoeden = [area for area in LIFE_AREAS if area != "opvoeden"]
    ruleset = _ruleset(
        _rule("ok", COMPLETE[0]["when"], route="wijkteam", addresses=everything_but_opvoeden),
        COMPLETE[1],
        _rule("kind", {"life_areas": {"contains": "opvoeden"}, "age": {"lt": 18}}, route="jeugd",
              addresses=["opvoeden"]),
    )
    report = analyse(ruleset)
    assert list(report.unaddressed) == ["opvoeden"]
    assert report.unaddressed["opvoeden"].values["age"] == ("18-22", "23-66", "67+", "onbekend")
    assert "only when age is 18-22 or 23-66 or 67+ or onbekend" in report.to_text()


def test_rules_that_can_never_fire_are_reported():
    ruleset = _ruleset(
        *COMPLETE,
        _rule("negative-age", {"age": {"lt": 0}}, route="jeugd"),
        _rule("self-contradicting", {"urgency": "crisis", "not": {"urgency": "crisis"}},
              priority="crisis"),
    )
    report = analyse(ruleset)
    assert report.never_fired == ("negative-age", "self-contradicting")
    assert report.unrouted.count == 0 and not report.unaddressed
    assert not report.ok


def test_two_deadlines_for_one_route_in_one_combination_are_a_contradiction():
    ruleset = _ruleset(
        *COMPLETE,
        _rule("wonen", {"life_areas": {"contains": "wonen"}}, route="wonen", deadline_days=5),
        _rule("dakloos", {"housing": "geen_vaste_woonplek"}, route="wonen", deadline_days=2),
        _rule("crisis", {"urgency": "crisis"}, route="wijkteam", deadline_days=1),
        _rule("spoed", {"urgency": "spoed"}, route="wijkteam", deadline_days=3),
    )
    report = analyse(ruleset)
    # crisis and spoed never hold together: different deadlines, but no contradiction.
    assert [(c.domain, c.rule_ids, c.deadlines) for c in report.contradictions] == [
        ("wonen", ("wonen", "dakloos"), (5, 2))]
    found = report.contradictions[0].where
    for facts in found.examples:
        assert "wonen" in facts["life_areas"] and facts["housing"] == "geen_vaste_woonplek"
        assert evaluate(ruleset, facts, on=ON).routes[1].deadline_days == 2  # shorter holds
    assert not report.ok
    assert report.to_dict()["contradictions"][0]["deadline_days"] == [5, 2]


def test_routes_and_partners_the_tenant_does_not_know_are_unknown_references():
    ruleset = _ruleset(
        *COMPLETE,
        _rule("geld", {"life_areas": {"contains": "geld"}}, route="schulden"),
        _rule("bekend", {"known_partners": {"contains": "jens"}}, route="jeugd"),
    )
    assert analyse(ruleset).ok  # without a tenant nothing is checked
    report = analyse(ruleset, covered_domains={"jeugd"}, partner_keys={"schuldhulp"})
    assert [(r.rule_id, r.kind, r.value) for r in report.unknown_references] == [
        ("geld", "domain", "schulden"), ("bekend", "partner", "jens")]
    assert not report.ok
    assert analyse(ruleset, covered_domains={"jeugd", "schulden"}, partner_keys={"jens"}).ok


def test_a_task_kind_the_application_cannot_show_is_reported():
    ruleset = _ruleset(
        *COMPLETE,
        _rule("jong", {"age": {"lt": 18}}, task={"kind": "youth_check", "reason": "Jong"}),
        _rule("oud", {"age": {"gte": 80}}, task={"kind": "home_visit", "reason": "Oud"}),
    )
    assert analyse(ruleset).ok  # without the known kinds nothing is checked
    report = analyse(ruleset, task_kinds={"home_visit"})
    assert [(r.rule_id, r.kind, r.value) for r in report.unknown_task_kinds] == [
        ("jong", "task", "youth_check")]
    assert not report.ok
    assert "GAP  task kinds without a label: 1" in report.to_text()
    assert report.to_dict()["unknown_task_kinds"] == [
        {"rule_id": "jong", "kind": "task", "value": "youth_check"}]
    assert analyse(ruleset, task_kinds={"home_visit", "youth_check"}).ok


def test_the_fact_space_has_the_age_bands_and_cuts_at_every_age_a_rule_names():
    ruleset = _ruleset(
        _rule("a", {"age": {"gte": 65}}, route="wmo"),
        _rule("b", {"age": {"between": [17, 17]}, "children_in_household": {"gt": 2}},
              route="jeugd"),
    )
    space = FactSpace(ruleset)
    age, children = space.dimensions[0], space.dimensions[-1]
    assert age.labels == ("0-11", "12-16", "17", "18-22", "23-64", "65-66", "67+", "onbekend")
    assert children.fact == "children_in_household"
    assert children.labels == ("0-2", "3+", "onbekend")
    sizes = dict((d.fact, len(d)) for d in space.dimensions)
    assert sizes["life_areas"] == 2 ** len(LIFE_AREAS)
    assert sizes["housing"] == 5 and sizes["for_whom"] == 4 and sizes["urgency"] == 3


@pytest.mark.parametrize("slug", SHIPPED)
def test_the_analysis_agrees_with_the_engine_on_sampled_combinations(slug):
    ruleset = load_ruleset_file(RULESET_DIR / f"{slug}.yaml")
    space = FactSpace(ruleset)
    rng = random.Random(f"{slug}-seed")
    for flat in rng.sample(range(space.size), 400):
        facts = space.facts_at(flat)
        assert evaluate(ruleset, facts, on=ON).fired_rule_ids == space.fired_at(flat), facts


@pytest.mark.parametrize("slug", SHIPPED)
def test_every_shipped_ruleset_is_complete(slug):
    report = analyse(load_ruleset_file(RULESET_DIR / f"{slug}.yaml"))
    assert report.ok, report.to_text()
    assert report.combinations >= 7 * 4 * 2048 * 3 * 5
    json.dumps(report.to_dict())  # the --json output is plain JSON


def test_every_real_municipality_has_a_ruleset_with_at_least_15_example_cases():
    assert {"heerlen", "hengelo", "utrecht", "rotterdam"} <= set(REAL)
    for slug in REAL:
        cases = yaml.safe_load((RULESET_DIR / f"{slug}.cases.yaml").read_text(encoding="utf-8"))
        assert len(cases) >= 15, slug
