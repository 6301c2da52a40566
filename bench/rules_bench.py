"""Benchmark: referral rule decisions per second, and the time of a full completeness check.

Run by hand (no extra dependencies):

    PYTHONPATH=. .venv/bin/python bench/rules_bench.py [--decisions 200000] [--ruleset SLUG]

Decisions: ``referral_rules.evaluate`` (fact checks, every rule, merge, explanation) on one
core over random but valid intake facts, for the ruleset with the most rules (or --ruleset).
Check: loading plus ``referral_rules.analysis.analyse`` for every shipped ruleset, as
``flask rules check`` runs it. Targets: >= 20,000 decisions/s; a full check <= 10 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import time
from typing import Any

from referral_rules import RULESET_DIR, evaluate, load_ruleset_file
from referral_rules.analysis import analyse
from referral_rules.vocabulary import FOR_WHOM, HOUSING, LIFE_AREAS, URGENCIES

ON = dt.date(2026, 11, 24)


def random_facts(rng: random.Random) -> dict[str, Any]:
    facts: dict[str, Any] = {
        "for_whom": rng.choice(FOR_WHOM),
        "life_areas": rng.sample(LIFE_AREAS, rng.choice((1, 1, 2, 2, 3, 4))),
        "urgency": rng.choices(URGENCIES, weights=(85, 12, 3))[0],
        "housing": rng.choice((*HOUSING, None)),
        "language": "nl",
    }
    if rng.random() < 0.8:
        facts["age"] = rng.randint(0, 100)
    if rng.random() < 0.2:
        facts["zrm"] = {"huishouden": rng.randint(1, 5), "financien": rng.randint(1, 5)}
    return facts


def bench_decisions(slug: str, count: int) -> None:
    ruleset = load_ruleset_file(RULESET_DIR / f"{slug}.yaml")
    rng = random.Random(42)
    facts = [random_facts(rng) for _ in range(10_000)]
    for one in facts[:1000]:  # warm up
        evaluate(ruleset, one, on=ON)
    rates = []
    for _ in range(3):
        started = time.perf_counter()
        for i in range(count):
            evaluate(ruleset, facts[i % len(facts)], on=ON)
        rates.append(count / (time.perf_counter() - started))
    print(f"decisions: ruleset {slug} ({len(ruleset.rules)} rules), {count:,} decisions x 3 runs")
    print(f"  median {statistics.median(rates):,.0f} decisions/s "
          f"(runs: {', '.join(f'{r:,.0f}' for r in rates)})")


def bench_checks() -> None:
    print("full check (load + analyse), per shipped ruleset:")
    for path in sorted(RULESET_DIR.glob("*.yaml")):
        if path.stem.endswith(".cases"):
            continue
        started = time.perf_counter()
        report = analyse(load_ruleset_file(path))
        seconds = time.perf_counter() - started
        print(f"  {path.stem:<10} {len(report.dimensions)} facts, {report.combinations:>12,} "
              f"combinations  {seconds:6.2f} s  {'ok' if report.ok else 'GAPS'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--decisions", type=int, default=200_000)
    parser.add_argument("--ruleset", default=None, help="default: the one with most rules")
    args = parser.parse_args()
    slug = args.ruleset or max(
        (p.stem for p in RULESET_DIR.glob("*.yaml") if not p.stem.endswith(".cases")),
        key=lambda s: len(load_ruleset_file(RULESET_DIR / f"{s}.yaml").rules),
    )
    bench_decisions(slug, args.decisions)
    bench_checks()


if __name__ == "__main__":
    main()
