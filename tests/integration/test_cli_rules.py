"""``flask rules check|test|decide`` on the shipped rulesets and on broken ones."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from referral_rules import RULESET_DIR

SHIPPED = sorted(p.stem for p in RULESET_DIR.glob("*.yaml") if not p.stem.endswith(".cases"))

GAPPY = """
name: Gappy
rules:
  - id: geld
    title: Geld
    when: {life_areas: {contains: geld}}
    then: {route: schulden, addresses: [geld]}
  - id: nooit
    title: Nooit
    when: {age: {lt: 0}}
    then: {route: jeugd}
"""


def _run(app, *args: str):
    return app.test_cli_runner().invoke(args=list(args))


@pytest.fixture
def rules_dir(tmp_path: Path, monkeypatch) -> Path:
    """An empty ruleset folder (and tenant folder) in place of the shipped ones."""
    monkeypatch.setattr("referral_rules.loader.RULESET_DIR", tmp_path / "rulesets")
    monkeypatch.setattr("app.services.tenants.TENANT_DIR", tmp_path / "tenants")
    (tmp_path / "rulesets").mkdir()
    (tmp_path / "tenants").mkdir()
    return tmp_path


@pytest.mark.parametrize("slug", SHIPPED)
def test_rules_check_passes_and_rules_test_passes_for_every_shipped_ruleset(app, slug):
    result = _run(app, "rules", "check", "--tenant", slug)
    assert result.exit_code == 0, result.output
    assert "Result: complete, no gaps." in result.output
    result = _run(app, "rules", "test", "--tenant", slug)
    assert result.exit_code == 0, result.output
    assert "FAIL" not in result.output


def test_rules_check_json_reports_the_fact_space(app):
    result = _run(app, "rules", "check", "--tenant", "heerlen", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["ok"] is True
    assert report["unrouted"]["count"] == 0
    assert report["dimensions"]["life_areas"] == 2048
    assert report["combinations"] >= 860_160


def test_rules_check_with_the_demo_tenant_file_checks_its_coverage(app):
    result = _run(app, "rules", "check", "--tenant", "demo")
    assert result.exit_code == 0, result.output
    assert "OK   unknown references: 0" in result.output


def test_rules_check_exits_non_zero_and_names_every_gap(app, rules_dir):
    (rules_dir / "rulesets" / "gappy.yaml").write_text(GAPPY, encoding="utf-8")
    result = _run(app, "rules", "check", "--tenant", "gappy")
    assert result.exit_code == 1, result.output
    assert "GAP  combinations with no route: 430080" in result.output
    assert "    werk: " in result.output  # unaddressed life area
    assert "GAP  rules that never fire: 1\n    nooit" in result.output
    assert "Result: GAPS FOUND." in result.output
    result = _run(app, "rules", "check", "--tenant", "gappy", "--json")
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["ok"] is False and report["never_fired"] == ["nooit"]


def test_rules_check_refuses_a_task_kind_the_screens_have_no_label_for(app, rules_dir):
    demo = (RULESET_DIR / "demo.yaml").read_text(encoding="utf-8")
    unknown = demo + """
  - id: raadsel
    title: Een taak zonder naam
    when: {age: {gte: 100}}
    then: {task: {kind: riddle, reason: Niemand weet wat dit is}}
"""
    (rules_dir / "rulesets" / "raadsel.yaml").write_text(unknown, encoding="utf-8")
    result = _run(app, "rules", "check", "--tenant", "raadsel")
    assert result.exit_code == 1, result.output
    assert "rule raadsel: task kind 'riddle' has no label in the app" in result.output
    (rules_dir / "rulesets" / "raadsel.yaml").write_text(
        unknown.replace("kind: riddle", "kind: home_visit"), encoding="utf-8")
    result = _run(app, "rules", "check", "--tenant", "raadsel")
    assert "OK   task kinds without a label: 0" in result.output


def test_rules_check_reports_a_route_the_tenant_coverage_does_not_assign(app, rules_dir):
    demo = (RULESET_DIR / "demo.yaml").read_text(encoding="utf-8")
    (rules_dir / "rulesets" / "stad.yaml").write_text(demo, encoding="utf-8")
    (rules_dir / "tenants" / "stad.yaml").write_text(
        "slug: stad\nname: Stad\ngemeentecode: GM9998\nruleset: stad\n"
        "teams: [{key: c, name: C, kind: central_intake}]\n"
        "partners: []\n"
        "coverage:\n"
        "  - {domains: [wmo, dagbesteding, participatie, wonen, mantelzorg, jeugd, welzijn,"
        " ggz, verslaving, veiligheid], default: true, team: c}\n",
        encoding="utf-8")
    result = _run(app, "rules", "check", "--tenant", "stad")
    assert result.exit_code == 1, result.output
    assert "rule schulden: domain 'schulden' is not covered by the tenant" in result.output


def test_a_ruleset_with_a_schema_error_is_refused_with_file_line_and_rule(app, rules_dir):
    (rules_dir / "rulesets" / "kapot.yaml").write_text(
        GAPPY.replace("route: jeugd", "route: pizza"), encoding="utf-8")
    result = _run(app, "rules", "check", "--tenant", "kapot")
    assert result.exit_code == 1
    assert "kapot.yaml:11: rule nooit: unknown domain 'pizza'" in result.output


def test_rules_check_for_an_unknown_tenant_fails(app):
    result = _run(app, "rules", "check", "--tenant", "atlantis")
    assert result.exit_code == 1
    assert "cannot read" in result.output


def test_rules_test_reports_a_failing_case(app, rules_dir):
    (rules_dir / "rulesets" / "gappy.yaml").write_text(GAPPY, encoding="utf-8")
    (rules_dir / "rulesets" / "gappy.cases.yaml").write_text(
        "- name: geld\n  facts: {life_areas: [geld], urgency: normaal}\n  routes: [schulden]\n"
        "- name: verkeerd\n  facts: {life_areas: [geld], urgency: normaal}\n  routes: [wmo]\n"
        "- name: fout verwacht\n  facts: {life_areas: [geld], urgency: normaal}\n  error: age\n",
        encoding="utf-8")
    result = _run(app, "rules", "test", "--tenant", "gappy")
    assert result.exit_code == 1
    assert "ok    geld" in result.output
    assert "FAIL  verkeerd\n        routes ['schulden'], expected ['wmo']" in result.output
    assert "FAIL  fout verwacht\n        expected an error about age" in result.output
    assert "1 of 3 cases pass" in result.output


def test_rules_test_without_a_cases_file_fails(app, rules_dir):
    (rules_dir / "rulesets" / "gappy.yaml").write_text(GAPPY, encoding="utf-8")
    result = _run(app, "rules", "test", "--tenant", "gappy")
    assert result.exit_code == 1
    assert "gappy.cases.yaml" in result.output


def test_rules_decide_prints_the_decision_with_its_explanation(app, tmp_path):
    facts = tmp_path / "facts.json"
    facts.write_text(json.dumps({"for_whom": "zelf", "birth_date": "2009-05-24",
                                 "life_areas": ["werk"], "urgency": "normaal"}))
    result = _run(app, "rules", "decide", "--tenant", "heerlen", str(facts), "--on", "2026-11-24")
    assert result.exit_code == 0, result.output
    decision = json.loads(result.output)
    assert decision["age"] == 17
    assert sorted(route["domain"] for route in decision["routes"]) == ["jeugd", "wmo"]
    assert [task["kind"] for task in decision["tasks"]] == ["transition_18"]
    assert decision["ruleset"] == "Heerlen" and len(decision["ruleset_version"]) == 16
    assert any(line.startswith("wmo: ") and "[rule overgang-18]" in line
               for line in decision["explanation"])


@pytest.mark.parametrize(
    ("facts", "message"),
    [
        ({"life_areas": ["geld"], "urgency": "normaal", "age": -3}, "invalid facts: age:"),
        ({"life_areas": ["gamen"], "urgency": "normaal"}, "invalid facts: life_areas:"),
        ({"life_areas": ["geld"]}, "invalid facts: urgency: missing"),
        (["geld"], "expected a JSON object"),
    ],
)
def test_rules_decide_refuses_bad_facts_naming_the_fact(app, tmp_path, facts, message):
    path = tmp_path / "facts.json"
    path.write_text(json.dumps(facts))
    result = _run(app, "rules", "decide", "--tenant", "heerlen", str(path))
    assert result.exit_code == 1
    assert message in result.output
