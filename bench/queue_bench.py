"""Benchmark: the team queue and the request page on 1,000,000 requests (PostgreSQL).

Run by hand, against a PostgreSQL database of its own (the bench DROPS its public schema):

    psql -h 127.0.0.1 -U postgres -c 'create database wl_queue_bench'
    PYTHONPATH=. .venv/bin/python bench/queue_bench.py [--requests 1000000] [--samples 50] \
        [--reuse] [--explain] \
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/wl_queue_bench]

Set-up (skipped with --reuse): the schema is created by the migrations (with the queue
indexes), then filled in SQL (generate_series, INSERT … SELECT): 4 tenants with 10 teams
each (one central intake), 11 accounts per team, 10 wijken with 8 buurten per tenant, and
the requests spread unevenly over the teams (the central intake team is the biggest, with
about a quarter of its municipality's requests), received over three years at addresses of
their own (3% share one with another request: a household). About 10% are open (most of
the recent ones); 2% crisis, 13% urgent; decisions with one to three routes as the rules
write them; about 1.2 referrals per request in the states their request's status makes
likely (some overdue and escalated), about 0.6 tasks, and the audit events intake writes
(submitted, referral created, picked up, closed). Then VACUUM ANALYZE.

Measured through the Flask test client, logged in (password and second factor) as a staff
member of the biggest team, each URL warmed up and then fetched --samples times, in turn:
the queue's first page; the first and a deep page (the 25th, reached by following "next")
with two filters; the same with the two filters that cost most (domain, deadline); the
request page (a different request each time; every view writes its access-log event), and
the team lead's dashboard. Target: p95 <= 100 ms for the queue and the request page.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/wl_queue_bench"
TARGET_P95 = 0.100  # seconds
TENANTS = 4
TEAMS_PER_TENANT = 10
USERS_PER_TEAM = 11  # 10 staff, 1 team lead (the last)
WIJKEN = 10
BUURTEN = 8
DEEP_PAGE = 25


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


# --- Filling ------------------------------------------------------------------------------

ROUTE = """
CREATE FUNCTION pg_temp.route(domain text, area text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT '{"domain": "' || domain || '", "rule_ids": ["' || domain || '-basis"], '
      || '"reasons": [{"rule_id": "' || domain || '-basis", "title": "Vraag over '
      || area || ' gaat naar ' || domain || '", "basis": "Gemeentelijke verordening '
      || 'sociaal domein, artikel 4", "matched": ["life_areas bevat ' || area || '"]}], '
      || '"life_areas": ["' || area || '"], "deadline_days": null, "requires_consent": false}'
$$;
"""

FILL = [
    ("tenants", """
INSERT INTO tenant (id, slug, name, gemeentecode, ruleset, created_at)
SELECT t, 'bench' || t, 'Benchgemeente ' || t, 'GM' || (9000 + t), 'demo', now()
FROM generate_series(1, {tenants}) t
"""),
    ("teams", """
INSERT INTO team (id, tenant_id, key, name, kind, email, is_central_intake)
SELECT n, (n - 1) / {teams} + 1, 'team' || n,
       CASE WHEN (n - 1) % {teams} = 0 THEN 'Centrale toegang ' ELSE 'Wijkteam ' END || n,
       CASE WHEN (n - 1) % {teams} = 0 THEN 'central_intake' ELSE 'wijkteam' END,
       'team' || n || '@bench.example', (n - 1) % {teams} = 0
FROM generate_series(1, {tenants} * {teams}) n
"""),
    ("partners", """
INSERT INTO partner (tenant_id, key, name, email)
SELECT t, p, 'Partner ' || p || ' ' || t, p || t || '@bench.example'
FROM generate_series(1, {tenants}) t, unnest(ARRAY['schuldhulp', 'ggz', 'veilig', 'welzijn']) p
"""),
    ("areas", """
INSERT INTO area (tenant_id, code, name, kind, parent_code, year, geometry)
SELECT t, 'WK' || (9000 + t) || lpad(w::text, 2, '0'), 'Wijk ' || w || ' van ' || t, 'wijk',
       'GM' || (9000 + t), 2026, '{{"type": "Point", "coordinates": [5.9, 50.9]}}'::json
FROM generate_series(1, {tenants}) t, generate_series(1, {wijken}) w
UNION ALL
SELECT t, 'BU' || (9000 + t) || lpad(w::text, 2, '0') || lpad(b::text, 2, '0'),
       'Buurt ' || w || '.' || b || ' van ' || t, 'buurt',
       'WK' || (9000 + t) || lpad(w::text, 2, '0'),
       2026, '{{"type": "Point", "coordinates": [5.9, 50.9]}}'::json
FROM generate_series(1, {tenants}) t, generate_series(1, {wijken}) w,
     generate_series(1, {buurten}) b
"""),
    ("accounts", """
INSERT INTO user_account (id, tenant_id, email, name, password_hash, role, team_id, active,
                          wants_digest, totp_secret, mfa_enabled_at, recovery_codes,
                          failed_logins)
SELECT u, (team - 1) / {teams} + 1, 'u' || u || '@bench.example', 'Medewerker ' || u,
       %(password_hash)s,
       CASE WHEN mod(u - 1, {users}) = {users} - 1 THEN 'team_lead' ELSE 'staff' END,
       team, true, false, %(totp)s, now(), '[]', 0
FROM (SELECT u, (u - 1) / {users} + 1 AS team
      FROM generate_series(1, {tenants} * {teams} * {users}) u) s
"""),
    ("requests", """
INSERT INTO support_request (
    id, tenant_id, reference, status_salt, channel, language, for_whom, no_fixed_address,
    life_areas, description, urgency, priority, consent_share, email_updates, owner_team_id,
    coordinator_id, status, closed_at, close_note, decision, ruleset_version, created_at,
    updated_at, version, paused_days, postcode, house_number, contact_name, contact_email,
    buurt_code, wijk_code, map_year, location_precision, wmo_investigation_done_on,
    wmo_application_on, wmo_decision_on)
SELECT id, tenant, 'WL-B' || lpad(id::text, 8, '0'), md5(id::text)::varchar(16), channel,
       'nl', 'zelf',
       wijk IS NULL, ('["' || area || '"]')::json,
       'Beschrijving van de hulpvraag nummer ' || id || ', zoals de bewoner die gaf.',
       priority, priority, true, false, team,
       CASE WHEN status = 'new' THEN NULL
            ELSE (team - 1) * {users} + 1 + floor(r_coord * {users})::int END,
       status, CASE WHEN status = 'closed' THEN created + interval '30 days' END,
       CASE WHEN status = 'closed' THEN 'Afgerond.' END,
       ('{{"routes": [' || pg_temp.route(own, area)
        || CASE WHEN n_ref >= 1 THEN ', ' || pg_temp.route(ref1, area) ELSE '' END
        || CASE WHEN n_ref >= 2 THEN ', ' || pg_temp.route(ref2, area) ELSE '' END
        || '], "priority": "' || priority || '", "tasks": [], "fired_rule_ids": ["'
        || own || '-basis"], "ruleset_version": "bench-1", "age": 45}}')::json,
       'bench-1', created, created, 1, 0,
       CASE WHEN wijk IS NOT NULL THEN (1000 + mod(address * 7919, 8999))::text
                                       || chr(65 + mod(address, 26)::int)
                                       || chr(65 + mod(address / 26, 26)::int) END,
       CASE WHEN wijk IS NOT NULL THEN (1 + mod(address / 676, 60))::text END,
       'Bewoner ' || id, 'bewoner' || id || '@example.org',
       CASE WHEN wijk IS NOT NULL THEN 'BU' || (9000 + tenant) || lpad(wijk::text, 2, '0')
                                          || lpad(buurt::text, 2, '0') END,
       CASE WHEN wijk IS NOT NULL THEN 'WK' || (9000 + tenant) || lpad(wijk::text, 2, '0') END,
       CASE WHEN wijk IS NOT NULL THEN 2026 END, CASE WHEN wijk IS NOT NULL THEN 'pc6' END,
       CASE WHEN own = 'wmo' AND status <> 'closed' AND age > 14 AND r_dom2 < 0.6
            THEN (created + interval '14 days')::date END,
       CASE WHEN own = 'wmo' AND status <> 'closed' AND age > 21 AND r_dom2 >= 0.8
            THEN (created + interval '21 days')::date END,
       CASE WHEN own = 'wmo' AND status <> 'closed' AND age > 40 AND r_dom2 >= 0.9
            THEN (created + interval '35 days')::date END
FROM (
    SELECT *, (tenant - 1) * {teams} + team_in_tenant + 1 AS team,
           CASE WHEN r_status < open_share * 0.3 THEN 'new'
                WHEN r_status < open_share THEN 'in_progress' ELSE 'closed' END AS status,
           CASE WHEN r_wijk < 0.05 THEN NULL ELSE team_in_tenant + 1 END AS wijk,
           1 + floor(r_buurt * {buurten})::int AS buurt,
           CASE WHEN r_address < 0.03 THEN id - 1 ELSE id END::bigint AS address,
           CASE WHEN r_prio < 0.02 THEN 'crisis' WHEN r_prio < 0.15 THEN 'spoed'
                ELSE 'normaal' END AS priority,
           (ARRAY['web', 'web', 'web', 'web', 'telefoon', 'telefoon', 'telefoon', 'balie',
                  'huisbezoek', 'partner'])[1 + floor(r_chan * 10)::int] AS channel,
           CASE WHEN r_wmo < 0.35 THEN 'wmo'
                ELSE (ARRAY['wonen', 'participatie', 'dagbesteding', 'mantelzorg',
                            'wijkteam'])[1 + floor(r_dom2 * 5)::int] END AS own,
           (ARRAY['jeugd', 'schulden', 'ggz', 'verslaving', 'veiligheid', 'welzijn'])[
               1 + floor(r_dom1 * 6)::int] AS ref1,
           (ARRAY['jeugd', 'schulden', 'ggz', 'verslaving', 'veiligheid', 'welzijn'])[
               1 + (floor(r_dom1 * 6)::int + 1 + floor(r_dom2 * 5)::int) % 6] AS ref2,
           CASE WHEN r_nref < 0.15 THEN 0 WHEN r_nref < 0.65 THEN 1 ELSE 2 END AS n_ref,
           (ARRAY['geld', 'werk', 'wonen', 'opvoeden', 'gezondheid', 'huishouden', 'contact',
                  'verslaving', 'veiligheid', 'mantelzorg'])[1 + floor(r_area * 10)::int] AS area,
           (now() AT TIME ZONE 'UTC') - age * interval '1 day' AS created
    FROM (
        SELECT g AS id, 1 + floor(random() * {tenants})::int AS tenant,
               floor(power(random(), 1.6) * {teams})::int AS team_in_tenant,
               age, CASE WHEN age < 42 THEN 0.7 ELSE 0.076 END AS open_share,
               random() AS r_status, random() AS r_prio, random() AS r_chan,
               random() AS r_coord, random() AS r_wijk, random() AS r_buurt,
               random() AS r_dom1, random() AS r_dom2, random() AS r_nref, random() AS r_wmo,
               random() AS r_area, random() AS r_address
        FROM (SELECT g, random() * 1095 AS age FROM generate_series(1, {requests}) g) a
    ) b
) c
"""),
    ("referrals", """
INSERT INTO referral (tenant_id, request_id, domain, target_team_id, target_partner_id, state,
                      due_date, rule_ids, reason, ruleset_version, created_at, updated_at,
                      reminded_at, escalated_at, outcome)
SELECT tenant_id, id, domain, NULL, partner, state, due,
       ('["' || domain || '-basis"]')::json, 'Vraag over ' || domain, 'bench-1', created_at,
       created_at, CASE WHEN state = 'sent' AND due < current_date - 1 THEN due + 1 END,
       CASE WHEN state = 'sent' AND due < current_date - 3 THEN due + 3 END,
       CASE WHEN state = 'completed' THEN 'geholpen' END
FROM (
    SELECT sr.tenant_id, sr.id, sr.created_at, route ->> 'domain' AS domain,
           (SELECT min(p.id) FROM partner p WHERE p.tenant_id = sr.tenant_id) AS partner,
           (sr.created_at + interval '14 days')::date AS due,
           CASE WHEN sr.status = 'closed' THEN
                    (ARRAY['completed', 'completed', 'completed', 'completed', 'completed',
                           'completed', 'completed', 'declined', 'expired', 'withdrawn'])[
                        1 + floor(random() * 10)::int]
                WHEN sr.created_at > (now() AT TIME ZONE 'UTC') - interval '20 days' THEN
                    (ARRAY['sent', 'sent', 'sent', 'sent', 'sent', 'sent', 'accepted',
                           'in_progress', 'proposed', 'declined'])[1 + floor(random() * 10)::int]
                ELSE
                    (ARRAY['sent', 'accepted', 'accepted', 'in_progress', 'in_progress',
                           'in_progress', 'in_progress', 'completed', 'completed',
                           'declined'])[1 + floor(random() * 10)::int]
           END AS state
    FROM support_request sr,
         json_array_elements(sr.decision -> 'routes') WITH ORDINALITY AS r(route, n)
    WHERE r.n > 1
) s
"""),
    ("tasks", """
INSERT INTO task (tenant_id, request_id, team_id, kind, reason, state, created_at, done_at)
SELECT tenant_id, id, owner_team_id, kind, 'Taak bij ' || reference, state, created_at,
       CASE WHEN state = 'done' THEN created_at + interval '3 days' END
FROM (
    SELECT sr.*, CASE WHEN sr.priority = 'crisis' THEN 'crisis'
                      ELSE (ARRAY['home_visit', 'consent_needed', 'location_unknown',
                                  'referral_declined'])[1 + floor(random() * 4)::int] END AS kind,
           CASE WHEN sr.status <> 'closed' AND random() < 0.5 THEN 'open' ELSE 'done' END AS state
    FROM support_request sr WHERE sr.priority = 'crisis' OR random() < 0.6
) s
"""),
    ("audit events", """
INSERT INTO audit_event (tenant_id, actor_id, actor_label, action, object_type, object_id,
                         details, created_at)
SELECT tenant_id, NULL::int, 'resident via ' || channel, 'request.submitted', 'support_request', id,
       ('{{"channel": "' || channel || '", "owner_team_id": ' || owner_team_id || '}}')::json,
       created_at
FROM support_request
UNION ALL
SELECT tenant_id, NULL, 'system', 'referral.created', 'referral', id,
       ('{{"state": "sent", "domain": "' || domain || '"}}')::json, created_at
FROM referral
UNION ALL
SELECT tenant_id, coordinator_id, 'u' || coordinator_id || '@bench.example', 'request.picked_up',
       'support_request', id, '{{}}', created_at + interval '1 day'
FROM support_request WHERE coordinator_id IS NOT NULL
UNION ALL
SELECT tenant_id, coordinator_id, 'u' || coordinator_id || '@bench.example', 'request.closed',
       'support_request', id, '{{}}', closed_at
FROM support_request WHERE status = 'closed'
"""),
    ("outbox", """
INSERT INTO outbox_message (tenant_id, channel, recipient, event, payload, idempotency_key,
                            state, attempts, next_attempt_at, created_at, sent_at, last_error)
SELECT t, 'email', 'partner@bench.example', 'referral.sent', '{{}}', 'bench-' || t || '-' || n,
       CASE WHEN n <= 40 THEN 'dead' ELSE 'sent' END, CASE WHEN n <= 40 THEN 8 ELSE 1 END,
       now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC',
       CASE WHEN n > 40 THEN now() AT TIME ZONE 'UTC' END,
       CASE WHEN n <= 40 THEN '550 mailbox unavailable' END
FROM generate_series(1, {tenants}) t, generate_series(1, 20000) n
"""),
]


def fill(conninfo: str, requests: int) -> None:
    import psycopg

    from app.services.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET
    from app.services.passwords import hash_password

    sizes = {"tenants": TENANTS, "teams": TEAMS_PER_TENANT, "users": USERS_PER_TEAM,
             "wijken": WIJKEN, "buurten": BUURTEN, "requests": requests}
    params = {"password_hash": hash_password(DEMO_PASSWORD), "totp": DEMO_TOTP_SECRET}
    started = time.perf_counter()
    with psycopg.connect(conninfo) as conn:
        conn.execute("SET synchronous_commit = off")
        conn.execute(ROUTE)
        for name, statement in FILL:
            step = time.perf_counter()
            sql = statement.format(**sizes)
            count = conn.execute(sql, params if "%(" in sql else None).rowcount
            conn.commit()
            print(f"  {name:<14} {count:>10,} rows  {time.perf_counter() - step:6.1f} s",
                  flush=True)
        step = time.perf_counter()
        print(f"  {'legal clock':<14} {fill_clock(conn):>10,} rows  "
              f"{time.perf_counter() - step:6.1f} s", flush=True)
        for table in ("tenant", "team", "user_account", "support_request"):
            conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                         f"(SELECT max(id) FROM {table}))")
        conn.commit()
    with psycopg.connect(conninfo, autocommit=True) as conn:
        step = time.perf_counter()
        conn.execute("VACUUM ANALYZE")
        print(f"  {'vacuum analyze':<14} {'':>10}       {time.perf_counter() - step:6.1f} s")
    print(f"  filled in {time.perf_counter() - started:.0f} s")


def fill_clock(conn: Any) -> int:
    """The stored legal clock (``legal_due_on``) of the open requests, as the service keeps
    it on every change, computed by the one definition in app/services/legal.py."""
    from app.calendar import local_date
    from app.services.legal import ClockFacts, clock_of, routes_include_wmo

    rows = conn.execute("""
        SELECT id, created_at, decision, wmo_application_on, wmo_investigation_done_on,
               wmo_decision_on, paused_days
        FROM support_request WHERE status <> 'closed'""").fetchall()
    clocks = []
    for (request_id, created_at, decision, application_on, investigation_done_on,
         decision_on, paused_days) in rows:
        due = clock_of(ClockFacts(
            melding_on=local_date(created_at), routed_to_wmo=routes_include_wmo(decision),
            application_on=application_on, investigation_done_on=investigation_done_on,
            decision_on=decision_on, paused_days=paused_days or 0, paused_on=None,
            closed=False)).due_on
        if due is not None:
            clocks.append((request_id, due))
    conn.execute("CREATE TEMP TABLE bench_clock (id integer PRIMARY KEY, due date)")
    with conn.cursor().copy("COPY bench_clock (id, due) FROM STDIN") as copy:
        for row in clocks:
            copy.write_row(row)
    conn.execute("UPDATE support_request r SET legal_due_on = c.due FROM bench_clock c "
                 "WHERE r.id = c.id")
    conn.execute("DROP TABLE bench_clock")
    conn.commit()
    return len(clocks)


def reset_schema(app: Any) -> None:
    from flask_migrate import upgrade
    from sqlalchemy import text

    from app.extensions import db

    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        upgrade()
        db.engine.dispose()


# --- Measuring ----------------------------------------------------------------------------

def timed(client: Any, url: str, samples: int, warm: int = 5,
          check: Callable[[str], None] | None = None) -> list[float]:
    for _ in range(warm):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    seconds = []
    for _ in range(samples):
        started = time.perf_counter()
        response = client.get(url)
        seconds.append(time.perf_counter() - started)
        assert response.status_code == 200, (url, response.status_code)
    if check is not None:
        check(response.get_data(as_text=True))
    return seconds


def next_link(html: str) -> str | None:
    match = re.search(r'<a href="([^"]+)" rel="next">', html)
    return match.group(1).replace("&amp;", "&") if match else None


def deep_url(client: Any, url: str, pages: int) -> str:
    """Follow "next" from ``url`` to page ``pages``; every page must be full and new."""
    seen: set[str] = set()
    for number in range(1, pages):
        html = client.get(url).get_data(as_text=True)
        references = re.findall(r'href="/staff/requests/(WL-B\d+)"', html)
        assert len(references) == 50, (number, len(references))
        assert not seen & set(references), f"page {number} repeats a request"
        seen |= set(references)
        found = next_link(html)
        assert found, f"no next page after page {number}"
        url = found
    return url


def slowest_statements(app: Any, client: Any, url: str, number: int = 3
                       ) -> list[tuple[float, str, Any]]:
    """The ``number`` slowest SQL statements of one page load: (seconds, SQL, parameters)."""
    from sqlalchemy import event

    from app.extensions import db

    seen: list[tuple[float, str, Any]] = []

    def before(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any,
               executemany: bool) -> None:
        conn.info["bench_started"] = time.perf_counter()

    def after(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any,
              executemany: bool) -> None:
        seen.append((time.perf_counter() - conn.info["bench_started"], statement, parameters))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        client.get(url)
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
    return sorted((item for item in seen if item[1].lstrip().upper().startswith("SELECT")),
                  key=lambda item: item[0], reverse=True)[:number]


def explain(app: Any, statement: str, parameters: Any) -> str:
    from app.extensions import db

    with app.app_context(), db.engine.connect() as conn:
        rows = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + statement,
                                    parameters).all()
        conn.rollback()
    return "\n".join(row[0] for row in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=50)
    parser.add_argument("--reuse", action="store_true",
                        help="measure the data already there (no reset, no fill)")
    parser.add_argument("--explain", action="store_true",
                        help="print EXPLAIN ANALYZE of the queue's queries")
    args = parser.parse_args()
    url = urlsplit(args.database_url.replace("+psycopg", ""))
    if url.scheme != "postgresql":
        sys.exit("queue_bench measures PostgreSQL: give a postgresql URL")
    if url.path.lstrip("/") in {"test", "postgres", ""}:
        sys.exit(f"refusing to drop the schema of database {url.path!r}: use one of its own")

    from sqlalchemy import func, select

    from app.extensions import db
    from app.models import SupportRequest, User
    from tests.conftest import IsolatedClient, login, make_app

    app = make_app(args.database_url)
    app.test_client_class = IsolatedClient
    print(f"load average at start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    if not args.reuse:
        print(f"filling {args.requests:,} requests")
        reset_schema(app)
        fill(args.database_url.replace("+psycopg", ""), args.requests)

    with app.app_context():
        total, tenants, teams = db.session.execute(select(
            func.count(SupportRequest.id), func.count(SupportRequest.tenant_id.distinct()),
            func.count(SupportRequest.owner_team_id.distinct()))).one()
        team_id, team_total = db.session.execute(
            select(SupportRequest.owner_team_id, func.count(SupportRequest.id))
            .group_by(SupportRequest.owner_team_id)
            .order_by(func.count(SupportRequest.id).desc()).limit(1)).one()
        team_open = db.session.scalar(select(func.count(SupportRequest.id)).where(
            SupportRequest.owner_team_id == team_id, SupportRequest.status != "closed"))
        staff, lead = (db.session.scalar(select(User.email).where(
            User.team_id == team_id, User.role == role).order_by(User.id).limit(1))
            for role in ("staff", "team_lead"))
        references = list(db.session.scalars(
            select(SupportRequest.reference).where(SupportRequest.owner_team_id == team_id)
            .order_by(func.random()).limit(args.samples + 5)))
        db.session.remove()
        print(f"{total:,} requests, {tenants} tenants, {teams} teams; measured as {staff} of "
              f"the biggest team: {team_total:,} requests, {team_open:,} open")

        client = app.test_client()
        login(client, staff)
        two = "?status=all&channel=telefoon&sort=newest"
        costly = "?domain=wmo&deadline=14&sort=deadline"
        urgent = "?priority=crisis&priority=spoed&coordinator=nobody"
        deep_two = deep_url(client, "/staff/" + two, DEEP_PAGE)
        deep_plain = deep_url(client, "/staff/?status=all&sort=oldest", DEEP_PAGE)
        scenarios: list[tuple[str, str | Callable[[], str]]] = [
            ("queue, first page (open, most urgent first)", "/staff/"),
            ("queue, first page, 2 filters (status all, channel; newest)", "/staff/" + two),
            (f"queue, page {DEEP_PAGE}, same 2 filters", deep_two),
            (f"queue, page {DEEP_PAGE}, all statuses, oldest first", deep_plain),
            ("queue, first page, 2 filters (crisis/urgent, nobody)", "/staff/" + urgent),
            ("queue, first page, domain + deadline (earliest deadline)", "/staff/" + costly),
        ]
        pending = iter(references[5:] * 2)
        rows = []
        for name, target in scenarios:
            rows.append((name, timed(client, str(target), args.samples)))
        request_times: list[float] = []
        for reference in references[:5]:
            client.get(f"/staff/requests/{reference}")
        for _ in range(args.samples):
            reference = next(pending)
            started = time.perf_counter()
            response = client.get(f"/staff/requests/{reference}")
            request_times.append(time.perf_counter() - started)
            assert response.status_code == 200, (reference, response.status_code)
        rows.append(("request page (a different request each time)", request_times))
        lead_client = app.test_client()
        login(lead_client, lead)
        rows.append(("team lead dashboard", timed(lead_client, "/staff/dashboard",
                                                  args.samples)))

        print(f"\n{args.samples} samples each, through the Flask test client (ms):")
        print(f"  {'page':<62} {'p50':>7} {'p95':>7} {'max':>7}  p95/target")
        for name, values in rows:
            print(f"  {name:<62} {statistics.median(values) * 1000:7.1f} "
                  f"{p95(values) * 1000:7.1f} {max(values) * 1000:7.1f}  "
                  f"{p95(values) / TARGET_P95:.2f}")

        if args.explain:
            explained = [("first page, 2 filters", "/staff/" + two),
                         (f"page {DEEP_PAGE}, 2 filters", deep_two),
                         ("default queue", "/staff/"),
                         ("domain + deadline", "/staff/" + costly),
                         ("request page", f"/staff/requests/{references[0]}")]
            for name, target in explained:
                for seconds, statement, parameters in slowest_statements(app, client,
                                                                         str(target)):
                    print(f"\n--- {name}: {seconds * 1000:.1f} ms\n{statement}\n{parameters}")
                    print(explain(app, statement, parameters))
            for seconds, statement, parameters in slowest_statements(app, lead_client,
                                                                     "/staff/dashboard"):
                print(f"\n--- dashboard: {seconds * 1000:.1f} ms\n{statement}\n{parameters}")
                print(explain(app, statement, parameters))
    print(f"\nload average at the end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
