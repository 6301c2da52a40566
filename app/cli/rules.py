"""``flask rules …``: check, test and try a municipality's referral ruleset.

The commands read the ruleset file (and the tenant file, when there is one) directly, so they
run without a database, as in CI. ``--tenant SLUG`` names the ruleset
``referral_rules/rulesets/<SLUG>.yaml``, or the one the tenant file ``tenants/<SLUG>.yaml``
names under ``ruleset``.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any, TextIO

import click
import yaml
from flask.cli import AppGroup

from app.vocabulary import TASK_KIND_LABELS
from referral_rules import (
    Decision,
    FactError,
    Ruleset,
    RulesetError,
    evaluate,
    load_ruleset_file,
    ruleset_path,
)
from referral_rules.analysis import analyse

rules_cli = AppGroup("rules", help="Referral rulesets: completeness check, example cases, decide.")

_tenant_option = click.option("--tenant", "slug", required=True,
                              help="Tenant slug; its ruleset is checked.")


def _tenant_file(slug: str) -> dict[str, Any] | None:
    """The tenant file ``tenants/<slug>.yaml`` as data, or None when there is none."""
    from app.services.tenants import TENANT_DIR, TenantConfigError, read_tenant_file

    path = TENANT_DIR / f"{slug}.yaml"
    if not path.exists():
        return None
    try:
        return read_tenant_file(path)
    except TenantConfigError as exc:
        raise click.ClickException(str(exc)) from exc


def _ruleset_slug(slug: str, tenant: dict[str, Any] | None) -> str:
    return str(tenant.get("ruleset") or slug) if tenant else slug


def _load(slug: str) -> tuple[Ruleset, Path]:
    try:
        path = ruleset_path(slug)
        return load_ruleset_file(path), path
    except RulesetError as exc:
        raise click.ClickException(str(exc)) from exc


def _covered_domains(tenant: dict[str, Any]) -> set[str]:
    domains: set[str] = set()
    for entry in tenant.get("coverage") or []:
        domains.update(entry.get("domains") or [entry.get("domain")])
    return domains


@rules_cli.command("check")
@_tenant_option
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def rules_check(slug: str, as_json: bool) -> None:
    """Validate the ruleset and prove that every situation has a route.

    Exits with status 1 on any gap: a combination of facts without a route, a selected
    life area no route addresses, a rule that never fires, two deadlines for one route, a
    task kind the screens have no label for, or (with a tenant file) a route to a domain the
    tenant's coverage does not assign.
    """
    tenant = _tenant_file(slug)
    ruleset, _ = _load(_ruleset_slug(slug, tenant))
    report = analyse(
        ruleset,
        covered_domains=_covered_domains(tenant) if tenant else None,
        partner_keys={p["key"] for p in tenant.get("partners") or []} if tenant else None,
        task_kinds=TASK_KIND_LABELS.keys(),
    )
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False, default=str))
    else:
        click.echo(report.to_text())
    if not report.ok:
        click.get_current_context().exit(1)


def _check_case(ruleset: Ruleset, case: dict[str, Any], today: dt.date) -> list[str]:
    """What differs from the case's expectations (empty when it passes)."""
    on = dt.date.fromisoformat(str(case["on"])) if "on" in case else today
    try:
        decision = evaluate(ruleset, case.get("facts") or {}, on=on)
    except FactError as exc:
        if "error" in case and str(exc).startswith(f"{case['error']}:"):
            return []
        return [f"error: {exc}"]
    if "error" in case:
        return [f"expected an error about {case['error']}, got routes {list(decision.domains)}"]
    problems = []
    if sorted(decision.domains) != sorted(case.get("routes", [])):
        problems.append(f"routes {sorted(decision.domains)}, expected {sorted(case['routes'])}")
    if "priority" in case and decision.priority != case["priority"]:
        problems.append(f"priority {decision.priority}, expected {case['priority']}")
    tasks = sorted(t.kind for t in decision.tasks)
    if tasks != sorted(case.get("tasks", [])):
        problems.append(f"tasks {tasks}, expected {sorted(case.get('tasks', []))}")
    routes = {route.domain: route for route in decision.routes}
    for domain, days in (case.get("deadlines") or {}).items():
        got = routes[domain].deadline_days if domain in routes else None
        if got != days:
            problems.append(f"deadline of {domain} {got}, expected {days}")
    for domain in case.get("consent") or []:
        if domain not in routes or not routes[domain].requires_consent:
            problems.append(f"route {domain} should require consent")
    for area in case.get("addressed") or []:
        if not any(area in route.life_areas for route in decision.routes):
            problems.append(f"life area {area} is addressed by no route")
    return problems


@rules_cli.command("test")
@_tenant_option
def rules_test(slug: str) -> None:
    """Run the ruleset's example cases (``<ruleset>.cases.yaml``); exit 1 on a failure.

    A case has ``name``, ``facts`` and ``routes`` (any order); optionally ``priority``,
    ``tasks`` (task kinds; none when left out), ``deadlines`` (domain: working days),
    ``consent`` (domains that need consent), ``addressed`` (life areas), ``on`` (decision
    date) or ``error`` (the fact an invalid case must be refused for).
    """
    ruleset, path = _load(_ruleset_slug(slug, _tenant_file(slug)))
    cases_path = path.with_suffix(".cases.yaml")
    try:
        cases = yaml.safe_load(cases_path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise click.ClickException(f"{cases_path}: {exc}") from exc
    if not isinstance(cases, list) or not cases:
        raise click.ClickException(f"{cases_path}: expected a list of cases")
    today = dt.date.today()
    failed = 0
    for number, case in enumerate(cases, start=1):
        name = case.get("name", f"case {number}")
        problems = _check_case(ruleset, case, today)
        failed += bool(problems)
        click.echo(f"{'FAIL' if problems else 'ok  '}  {name}")
        for problem in problems:
            click.echo(f"        {problem}")
    click.echo(f"{len(cases) - failed} of {len(cases)} cases pass ({ruleset.name}, "
               f"version {ruleset.version}).")
    if failed:
        click.get_current_context().exit(1)


def _explanation(decision: Decision) -> list[str]:
    lines = []
    for route in decision.routes:
        for reason in route.reasons:
            because = f" (because {'; '.join(reason.matched)})" if reason.matched else ""
            lines.append(f"{route.domain}: {reason.title}{because} [rule {reason.rule_id}]")
    lines += [f"task {task.kind}: {task.reason} [rule {task.rule_id}]" for task in decision.tasks]
    return lines


@rules_cli.command("decide")
@_tenant_option
@click.argument("facts_file", metavar="FACTS.json", type=click.File("r", encoding="utf-8"))
@click.option("--on", "on", default=None, help="Decision date (YYYY-MM-DD); default today.")
def rules_decide(slug: str, facts_file: TextIO, on: str | None) -> None:
    """Print the decision for the facts in FACTS.json ('-': standard input) as JSON."""
    ruleset, _ = _load(_ruleset_slug(slug, _tenant_file(slug)))
    try:
        facts = json.load(facts_file)
    except json.JSONDecodeError as exc:
        raise click.ClickException(f"{facts_file.name}: not valid JSON: {exc}") from exc
    if not isinstance(facts, dict):
        raise click.ClickException(f"{facts_file.name}: expected a JSON object of facts")
    try:
        day = dt.date.fromisoformat(on) if on else dt.date.today()
    except ValueError as exc:
        raise click.BadParameter("expected YYYY-MM-DD", param_hint="--on") from exc
    try:
        decision = evaluate(ruleset, facts, on=day)
    except FactError as exc:
        raise click.ClickException(f"invalid facts: {exc}") from exc
    result = {"ruleset": ruleset.name, "on": day.isoformat(), **decision.to_dict(),
              "explanation": _explanation(decision)}
    click.echo(json.dumps(result, indent=2, ensure_ascii=False))
