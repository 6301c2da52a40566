"""Benchmark: the municipality's figures and the public statistics on 1,000,000 requests.

Run by hand on the PostgreSQL data of ``bench/queue_bench.py`` (fill it first, or pass
``--fill``, which DROPS the database's public schema and fills it the same way):

    PYTHONPATH=. .venv/bin/python bench/queue_bench.py --samples 5   # fills wl_queue_bench
    PYTHONPATH=. .venv/bin/python bench/figures_bench.py [--samples 30] [--fill] \
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/wl_queue_bench]

Set-up (idempotent): the queue bench fills requests and referrals but not the moments the
figures read, so this gives them the values the services would have written: a referral
that left ``proposed`` was sent when it was made, answered one to ten days later, accepted
when its state says so and ended when it was last changed; a request that was picked up had
its first contact within three days; a third of the closed requests have the resident's
answer (ja, deels, nee); the areas, points in the queue bench, become squares (a wijk)
and grids of squares inside them (its buurten) for the map. One ``beleid`` account is
added to the biggest municipality.

Measured through the Flask test client, each URL warmed up and fetched --samples times: the
figures page for the last twelve months, without and with two filters (a wijk and a life
area) and with one partner (the one with the most referrals), logged in as ``beleid``; the
public statistics page and its JSON for the last quarter that is over, each with the
per-process cache switched off (every call computes and protects the figures) and as
configured (the cache an hour). Target: p95 <= 300 ms each.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.queue_bench import DEFAULT_URL, fill, p95, reset_schema, timed  # noqa: E402

TARGET_P95 = 0.300  # seconds
BELEID_EMAIL = "beleid@bench.example"

PREPARE = [
    ("referrals sent", """
        UPDATE referral SET sent_at = created_at
        WHERE sent_at IS NULL AND state <> 'proposed'"""),
    ("referrals answered", """
        UPDATE referral SET answered_at = sent_at + (1 + id % 10) * interval '1 day'
        WHERE answered_at IS NULL AND state IN
              ('accepted', 'in_progress', 'completed', 'declined', 'returned')"""),
    ("referrals accepted", """
        UPDATE referral SET accepted_at = answered_at
        WHERE accepted_at IS NULL AND state IN
              ('accepted', 'in_progress', 'completed', 'returned')"""),
    ("referrals ended", """
        UPDATE referral SET ended_at = greatest(updated_at, coalesce(answered_at, created_at))
        WHERE ended_at IS NULL AND state IN
              ('completed', 'declined', 'returned', 'expired', 'withdrawn')"""),
    ("first contacts", """
        UPDATE support_request SET first_contact_at = created_at + (id % 72) * interval '1 hour'
        WHERE first_contact_at IS NULL AND status <> 'new'"""),
    ("feedback", """
        UPDATE support_request
        SET feedback = (ARRAY['ja', 'ja', 'deels', 'nee'])[1 + id % 4],
            feedback_at = closed_at + interval '2 days'
        WHERE feedback IS NULL AND closed_at IS NOT NULL AND id % 3 = 0"""),
    ("beleid account", f"""
        INSERT INTO user_account (tenant_id, email, name, role, password_hash, totp_secret,
                                  mfa_enabled_at, active, failed_logins)
        SELECT u.tenant_id, '{BELEID_EMAIL}', 'Beleid Bench', 'beleid', u.password_hash,
               u.totp_secret, u.mfa_enabled_at, true, 0
        FROM user_account u
        WHERE u.role = 'staff' AND u.tenant_id = (
                SELECT tenant_id FROM support_request GROUP BY tenant_id
                ORDER BY count(*) DESC LIMIT 1)
          AND NOT EXISTS (SELECT 1 FROM user_account WHERE email = '{BELEID_EMAIL}')
        ORDER BY u.id LIMIT 1"""),
]


def prepare(conninfo: str) -> None:
    import psycopg

    with psycopg.connect(conninfo) as conn:
        for name, statement in PREPARE:
            count = conn.execute(statement).rowcount
            conn.commit()
            print(f"  {name:<20} {count:>10,} rows", flush=True)
    with psycopg.connect(conninfo) as conn:
        print(f"  {'area shapes':<20} {give_areas_shapes(conn):>10,} rows", flush=True)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE referral")
        conn.execute("VACUUM ANALYZE support_request")


def give_areas_shapes(conn: Any) -> int:
    """The queue bench stores every area as a point; the figures page draws them on its
    map, so give each wijk a square of its own in Limburg and its buurten a grid inside it
    (only areas that are still points: idempotent)."""
    import json
    import math
    from collections import defaultdict

    rows = conn.execute("""
        SELECT id, tenant_id, kind, code, parent_code FROM area
        WHERE kind IN ('wijk', 'buurt') AND geometry->>'type' = 'Point'
        ORDER BY tenant_id, code""").fetchall()
    corner: dict[tuple[int, str], tuple[float, float]] = {}
    size = 0.02
    buurten: dict[tuple[int, str], list[int]] = defaultdict(list)
    squares: dict[int, tuple[float, float, float]] = {}
    index: dict[int, int] = defaultdict(int)
    for area_id, tenant, kind, code, parent in rows:
        if kind == "wijk":
            i = index[tenant]
            index[tenant] += 1
            corner[tenant, code] = (5.8 + size * (i % 5), 50.8 + size * (i // 5))
            squares[area_id] = (*corner[tenant, code], size)
        else:
            buurten[tenant, parent].append(area_id)
    for key, ids in buurten.items():
        if key not in corner:
            continue
        x, y = corner[key]
        per_row = math.ceil(math.sqrt(len(ids)))
        step = size / per_row
        for j, area_id in enumerate(ids):
            squares[area_id] = (x + step * (j % per_row), y + step * (j // per_row), step)
    for area_id, (x, y, d) in squares.items():
        ring = [[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]]
        conn.execute("UPDATE area SET geometry = %s::json WHERE id = %s",
                     (json.dumps({"type": "Polygon", "coordinates": [ring]}), area_id))
    conn.commit()
    return len(squares)


def last_quarter(today: dt.date) -> str:
    quarter = (today.month - 1) // 3  # the running quarter's index, 0..3
    return f"{today.year - 1}-Q4" if quarter == 0 else f"{today.year}-Q{quarter}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--fill", action="store_true",
                        help="reset the schema and fill it as queue_bench does first")
    parser.add_argument("--measure-only", action="store_true",
                        help="skip the preparation and the rewrite of the figure rows (an "
                             "earlier run of this version set the database up)")
    args = parser.parse_args()
    url = urlsplit(args.database_url.replace("+psycopg", ""))
    if url.scheme != "postgresql":
        sys.exit("figures_bench measures PostgreSQL: give a postgresql URL")
    if url.path.lstrip("/") in {"test", "postgres", ""}:
        sys.exit(f"refusing to touch database {url.path!r}: use one of its own")

    from sqlalchemy import func, select

    from app.calendar import today as local_today
    from app.extensions import db
    from app.models import Area, Referral, SupportRequest, Tenant, User
    from tests.conftest import IsolatedClient, make_app

    print(f"load average at start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    conninfo = args.database_url.replace("+psycopg", "")
    cold = make_app(args.database_url, PUBLIC_STATISTICS_CACHE_SECONDS=0)
    cold.test_client_class = IsolatedClient
    if args.fill:
        reset_schema(cold)
        fill(conninfo, args.requests)
    with cold.app_context():
        from flask_migrate import upgrade

        started = time.perf_counter()
        upgrade()  # as a deployment does: the migrations fill what they add
        print(f"migrations up to date in {time.perf_counter() - started:.1f} s")
    if not args.measure_only:
        _prepare_and_rebuild(cold, conninfo)
    warm = make_app(args.database_url)
    warm.test_client_class = IsolatedClient

    today = local_today()
    year = {"start": (today - dt.timedelta(days=365)).isoformat(),
            "end": (today - dt.timedelta(days=1)).isoformat()}
    with cold.app_context():
        beleid = db.session.scalar(select(User).where(User.email == BELEID_EMAIL))
        assert beleid is not None
        tenant = db.session.get(Tenant, beleid.tenant_id)
        assert tenant is not None
        in_year = db.session.scalar(select(func.count(SupportRequest.id)).where(
            SupportRequest.tenant_id == tenant.id,
            SupportRequest.created_at >= dt.datetime.fromisoformat(year["start"])))
        wijk = db.session.scalar(select(Area.code).where(
            Area.tenant_id == tenant.id, Area.kind == "wijk").order_by(Area.code).limit(1))
        # The partner with the most referrals of the municipality: the slowest to filter on.
        partner = db.session.scalar(
            select(Referral.target_partner_id).where(Referral.tenant_id == tenant.id,
                                                     Referral.target_partner_id.is_not(None))
            .group_by(Referral.target_partner_id)
            .order_by(func.count().desc(), Referral.target_partner_id).limit(1))
        total = db.session.scalar(select(func.count(SupportRequest.id)))
        slug = tenant.slug
        db.session.remove()
    print(f"{total:,} requests; {tenant.name}: {in_year:,} received in the last twelve months")

    quarter = last_quarter(today)
    rows: list[tuple[str, list[float]]] = []
    for label, app in (("cache off", cold), ("cache on", warm)):
        with app.app_context():
            rows += measure(app, label, slug, quarter, year, wijk, partner, args.samples)

    print(f"\n{args.samples} samples each, through the Flask test client (ms):")
    print(f"  {'page':<52} {'p50':>7} {'p95':>7} {'max':>7}  p95/target")
    for name, values in rows:
        print(f"  {name:<52} {statistics.median(values) * 1000:7.1f} "
              f"{p95(values) * 1000:7.1f} {max(values) * 1000:7.1f}  "
              f"{p95(values) / TARGET_P95:.2f}")
    print(f"\nload average at the end: {os.getloadavg()[0]:.2f}")


def _prepare_and_rebuild(cold: Any, conninfo: str) -> None:
    """Give the filled data the moments the figures read, write every figure row again from
    its definition (the fill and the preparation wrote with SQL of their own, past the
    session that keeps them) and vacuum the figure tables."""
    import psycopg

    from app.extensions import db
    from app.services import request_figures

    print("preparing the moments the figures read")
    prepare(conninfo)
    with cold.app_context():
        started = time.perf_counter()
        requests, referrals, partners = request_figures.rebuild(db.session)
        db.session.commit()
        print(f"  figure rows        {requests:>10,} requests, {referrals:,} referrals, "
              f"{partners:,} partner rows {time.perf_counter() - started:6.1f} s")
    with psycopg.connect(conninfo, autocommit=True) as conn:
        for table in ("request_figure", "referral_figure", "partner_request_figure"):
            conn.execute(f"VACUUM ANALYZE {table}")


def measure(app: Any, label: str, slug: str, quarter: str, year: dict[str, str],
            wijk: str | None, partner: int | None,
            samples: int) -> list[tuple[str, list[float]]]:
    from tests.conftest import login

    rows: list[tuple[str, list[float]]] = []
    client = app.test_client()
    if label == "cache off":
        login(client, BELEID_EMAIL)
        rows.append(("figures, last 12 months", timed(
            client, "/beleid/?" + urlencode(year), samples,
            check=lambda html: _assert_figures(html))))
        rows.append(("figures, last 12 months, wijk + life area", timed(
            client, "/beleid/?" + urlencode({**year, "wijk": wijk, "life_area": "geld"}),
            samples, check=lambda html: _assert_figures(html))))
        rows.append(("figures, last 12 months, one partner", timed(
            client, "/beleid/?" + urlencode({**year, "partner": partner}), samples,
            check=lambda html: _assert_figures(html))))
    rows.append((f"public statistics page {quarter}, {label}", timed(
        client, f"/{slug}/cijfers?period={quarter}", samples)))
    rows.append((f"public statistics JSON {quarter}, {label}", timed(
        client, "/api/v1/public/statistics?" + urlencode({"tenant": slug,
                                                          "period": quarter}),
        samples)))
    return rows


def _assert_figures(html: str) -> None:
    assert "<svg" in html and "<table" in html, "the figures page shows no figures"


if __name__ == "__main__":
    main()
