"""Faults with real processes: a worker killed mid-batch, a partner that times out, and a
PostgreSQL server restarted under the web app.

Each test drives the real thing (a ``flask worker`` subprocess, a real HTTP receiver, a private
PostgreSQL cluster) and waits on events or polls with a deadline, never on fixed long sleeps.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select, update
from standardwebhooks.webhooks import Webhook
from werkzeug import Request, Response

from app.extensions import db
from app.messaging.transport.outbox import enqueue
from app.models import (
    AuditEvent,
    OutboxMessage,
    ReferenceCounter,
    Referral,
    SupportRequest,
    Task,
    utcnow,
)
from app.worker import process_batch
from tests.conftest import IsolatedClient, login, make_app
from tests.integration.helpers import (
    WEBHOOK_SECRET,
    check_page,
    filled_form,
    form_data,
    free_port,
    submit_form,
    webhook_partner,
)

ROOT = Path(__file__).resolve().parents[2]
HOOK_PATH = "/hooks/wijkloket"
INTAKE_URL = "/demo/hulpvraag"


def wait_for(condition: Callable[[], bool], *, timeout: float, what: str,
             worker: WorkerProcess | None = None) -> None:
    """Poll ``condition`` every 50 ms until it holds; fail after ``timeout`` seconds, or at
    once when ``worker`` has exited."""
    deadline = time.monotonic() + timeout
    while not condition():
        if worker is not None and worker.process.poll() is not None:
            pytest.fail(f"the worker exited ({worker.process.returncode}) while waiting for "
                        f"{what}\n{worker.log()}")
        if time.monotonic() > deadline:
            log = worker.log() if worker is not None else ""
            pytest.fail(f"timed out after {timeout} s waiting for {what}\n{log}")
        time.sleep(0.05)


# --- The worker process killed in the middle of a batch -------------------------------------

#: The receiver holds the request with this number open, so the worker is provably in the
#: middle of a delivery (the message claimed, its POST received, no answer yet) when killed.
STUCK_AT = 12
MESSAGES = 60
LEASE_SECONDS = 2


@dataclass
class WorkerProcess:
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return "worker log (end):\n" + self.log_path.read_text(errors="replace")[-4000:]

    def kill(self) -> None:
        """SIGKILL: no handler runs, nothing is cleaned up, the lease stays on its rows."""
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> int:
        """SIGTERM: the worker finishes its loop and exits."""
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=15)


@pytest.fixture
def start_worker(app: Flask, tmp_path: Path) -> Iterator[Callable[[], WorkerProcess]]:
    """Start ``flask --app wsgi worker`` on the test database; every one is killed at the end."""
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "WIJKLOKET_ENV": "development",
        "MAIL_TRANSPORT": "mailbox",
        "OUTBOX_LEASE_SECONDS": str(LEASE_SECONDS),
        "OUTBOX_BATCH_SIZE": "5",
        "OUTBOX_BACKOFF_BASE_SECONDS": "0",
        "OUTBOX_BACKOFF_MAX_SECONDS": "0",
        "WORKER_POLL_SECONDS": "0.05",
        "WEBHOOK_TIMEOUT": "10",
        "SCHEDULER_INTERVAL_SECONDS": "3600",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("FLASK_APP", None)
    started: list[WorkerProcess] = []

    def start() -> WorkerProcess:
        log_path = tmp_path / f"worker-{len(started) + 1}.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(  # noqa: S603 - our own interpreter and command
                [sys.executable, "-m", "flask", "--app", "wsgi", "worker"],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            )
        worker = WorkerProcess(process, log_path)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        if worker.process.poll() is None:
            worker.process.kill()
        worker.process.wait(timeout=10)


def _webhook_states(prefix: str) -> dict[str, tuple[str, int, dt.datetime | None, str | None]]:
    """key → (state, attempts, locked_until, last_error), read fresh and without a lingering
    transaction (the worker process writes the same rows)."""
    rows = db.session.execute(
        select(OutboxMessage.idempotency_key, OutboxMessage.state, OutboxMessage.attempts,
               OutboxMessage.locked_until, OutboxMessage.last_error)
        .where(OutboxMessage.idempotency_key.startswith(prefix))
    ).all()
    db.session.rollback()
    return {key: (state, attempts, locked, error) for key, state, attempts, locked, error in rows}


@pytest.mark.slow
def test_a_worker_killed_mid_batch_delivers_every_message_after_restart_under_the_same_id(
    app, demo, httpserver, start_worker
):
    url = httpserver.url_for(HOOK_PATH)
    partner = webhook_partner(url)
    keys = [f"sigkill-{number:02d}" for number in range(MESSAGES)]
    for number, key in enumerate(keys):
        enqueue(tenant_id=demo.id, channel="webhook", recipient=url,
                event="referral.sent", payload={"type": "referral.sent", "data": {"n": number}},
                idempotency_key=key, partner_id=partner.id)
    db.session.commit()  # the worker process reads only what is committed

    received: list[tuple[dict[str, str], bytes]] = []
    stuck = threading.Event()
    release = threading.Event()

    def receiver(request: Request) -> Response:
        received.append(({k.lower(): v for k, v in request.headers.items()}, request.get_data()))
        if len(received) == STUCK_AT:
            stuck.set()
            release.wait(30)  # answered only after the worker is dead: nobody reads it
        return Response(status=204)

    httpserver.expect_request(HOOK_PATH, method="POST").respond_with_handler(receiver)
    try:
        first = start_worker()
        wait_for(stuck.is_set, timeout=30, what="the worker's first deliveries", worker=first)
        first.kill()
    finally:
        release.set()
    stuck_key = received[STUCK_AT - 1][0]["webhook-id"]

    # The dead worker left the message it was delivering claimed: pending, one attempt, a lease.
    at_kill = _webhook_states("sigkill-")
    state, attempts, locked_until, _error = at_kill[stuck_key]
    assert (state, attempts) == ("pending", 1) and locked_until is not None
    assert sum(1 for s, *_rest in at_kill.values() if s == "sent") == STUCK_AT - 1
    claimed_at_kill = {key for key, (s, _a, locked, _e) in at_kill.items()
                       if s == "pending" and locked is not None}
    assert stuck_key in claimed_at_kill

    second = start_worker()
    wait_for(lambda: all(s == "sent" for s, *_rest in _webhook_states("sigkill-").values()),
             timeout=30, what="every message sent after the restart", worker=second)
    assert second.stop() == 0, second.log()

    ids = Counter(headers["webhook-id"] for headers, _body in received)
    assert set(ids) == set(keys)  # every message arrived, and under no other id
    assert ids[stuck_key] >= 2  # the message in flight was delivered again, with the same id
    duplicated = {key for key, count in ids.items() if count > 1}
    assert duplicated <= claimed_at_kill, "only a message claimed when the worker died repeats"
    for headers, body in received:  # every copy is signed for its own id
        Webhook(WEBHOOK_SECRET).verify(body, headers)
    after = _webhook_states("sigkill-")
    assert all(error is None and locked is None for _s, _a, locked, error in after.values())
    assert all(after[key][1] >= 2 for key in claimed_at_kill)  # claimed again after the lease


# --- A partner that answers 500, then times out, then recovers -----------------------------

def test_a_webhook_that_fails_and_times_out_is_retried_with_backoff_then_delivered(
    app, client, demo, httpserver
):
    base = 60.0
    app.config.update(WEBHOOK_TIMEOUT=0.25, OUTBOX_BACKOFF_BASE_SECONDS=base,
                      OUTBOX_BACKOFF_MAX_SECONDS=3600.0)
    webhook_partner(httpserver.url_for(HOOK_PATH))
    answers = ["500", "hang", "hang", "204"]
    received: list[str] = []
    release = threading.Event()
    answered = threading.Event()

    def receiver(request: Request) -> Response:
        received.append(request.headers["webhook-id"])
        answer = answers[min(len(received), len(answers)) - 1]
        if answer == "500":
            return Response("boom", status=500)
        if answer == "hang":  # longer than WEBHOOK_TIMEOUT: the worker has given up
            release.wait(10)
            answered.set()
        return Response(status=204)

    httpserver.expect_request(HOOK_PATH, method="POST").respond_with_handler(receiver)
    assert submit_form(client, INTAKE_URL, form_data()).status_code == 302
    webhook = db.session.scalar(select(OutboxMessage).where(OutboxMessage.channel == "webhook"))
    assert webhook is not None

    def delivery_round(answer: str) -> tuple[dt.datetime, dt.datetime]:
        db.session.execute(update(OutboxMessage).where(OutboxMessage.id == webhook.id)
                           .values(next_attempt_at=utcnow() - dt.timedelta(seconds=1)))
        db.session.commit()
        before = utcnow()
        started = time.monotonic()
        process_batch()
        if answer == "hang":
            assert time.monotonic() - started < 5, "the worker waited far past WEBHOOK_TIMEOUT"
            release.set()  # let the receiver finish before the next round
            assert answered.wait(5)
            release.clear()
            answered.clear()
        db.session.refresh(webhook)
        return before, utcnow()

    expected_errors = {"500": "HTTP 500", "hang": "ReadTimeout"}
    try:
        for attempt, answer in enumerate(answers[:-1], start=1):
            before, after = delivery_round(answer)
            assert (webhook.state, webhook.attempts) == ("pending", attempt)
            assert webhook.locked_until is None
            assert expected_errors[answer] in (webhook.last_error or ""), webhook.last_error
            # Full jitter: between base/2 and base·2^(attempt-1) seconds from now.
            ceiling = base * 2 ** (attempt - 1)
            assert before + dt.timedelta(seconds=base / 2) <= webhook.next_attempt_at
            assert webhook.next_attempt_at <= after + dt.timedelta(seconds=ceiling)
            assert process_batch().claimed == 0  # nothing is due before the backoff ends
        delivery_round("204")
    finally:
        release.set()  # never leave the receiver hanging after a failed assertion
    assert (webhook.state, webhook.attempts) == ("sent", len(answers))
    assert webhook.last_error is None and webhook.sent_at is not None
    assert received == [webhook.idempotency_key] * len(answers)


# --- PostgreSQL restarted under the web app --------------------------------------------------

def _postgres_bindir() -> Path | None:
    """The newest installed PostgreSQL's bin directory (Debian layout), if any."""
    found = [path.parent for path in Path("/usr/lib/postgresql").glob("*/bin/initdb")
             if (path.parent / "pg_ctl").exists()]
    return max(found, key=lambda bindir: float(bindir.parent.name), default=None)


class PrivateCluster:
    """A throwaway PostgreSQL cluster on a free port, owned by this test alone."""

    def __init__(self, bindir: Path, root: Path) -> None:
        self.bindir, self.root = bindir, root
        self.data = root / "data"
        self.port = free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *command: str) -> None:
        # initdb refuses to run as root; the files then belong to the postgres user.
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        result = subprocess.run(  # noqa: S603 - fixed binaries, our own arguments
            [*prefix, *command], capture_output=True, text=True, timeout=60, check=False
        )
        if result.returncode != 0:
            log = self.root / "server.log"
            server_log = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(f"{command[0]} failed: {result.stdout}{result.stderr}{server_log}")

    def init(self) -> None:
        self._run(str(self.bindir / "initdb"), "-D", str(self.data), "-A", "trust",
                  "-U", "postgres", "-E", "UTF8", "--locale=C", "--no-sync")

    def start(self) -> None:
        options = (f"-k {self.root} -c listen_addresses=127.0.0.1 -p {self.port} "
                   "-c fsync=off -c full_page_writes=off")
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l",
                  str(self.root / "server.log"), "-w", "-t", "30", "-o", options, "start")

    def stop(self, mode: str = "fast") -> None:
        """``fast`` ends every session (their transactions roll back), as a restart does."""
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w",
                  "-t", "30", "stop")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()


@pytest.fixture
def private_postgres() -> Iterator[PrivateCluster]:
    """Never the shared server on :5432: other test runs use it."""
    bindir = _postgres_bindir()
    if bindir is None:
        pytest.skip("PostgreSQL server binaries are absent (/usr/lib/postgresql/*/bin)")
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        pytest.skip("running as root without runuser: cannot start PostgreSQL as postgres")
    root = Path(tempfile.mkdtemp(prefix="wijkloket-pg-"))  # not tmp_path: postgres must enter it
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
    cluster = PrivateCluster(bindir, root)
    try:
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        if cluster.running():
            try:
                cluster.stop("immediate")
            except RuntimeError:
                pass
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def pg_app(private_postgres: PrivateCluster) -> Iterator[Flask]:
    """The web app on the private cluster: schema by the migrations, the demo tenant seeded."""
    from flask_migrate import upgrade

    from app.services import routing, rulesets
    from app.services.demo import seed_demo

    routing._index_cache.clear()
    rulesets._ruleset_cache.clear()
    application = make_app(private_postgres.url)
    application.test_client_class = IsolatedClient
    with application.app_context():
        upgrade()
        seed_demo()
        db.session.remove()
    try:
        yield application
    finally:
        with application.app_context():
            db.session.remove()
            db.engine.dispose()
        routing._index_cache.clear()
        rulesets._ruleset_cache.clear()


def _open_form(client: Any, **changes: Any) -> dict[str, Any]:
    """The intake form as the resident's browser holds it: filled in, tokens included."""
    data = filled_form(client, INTAKE_URL, form_data(**changes))
    assert data.get("submission_token"), "the intake form has no submission token"
    return data


ENGLISH = {"Accept-Language": "en"}


def _assert_unavailable(response: Any, *, sent: bool) -> None:
    """A clean 503: a translated page with a way forward, nothing technical."""
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    check_page(html)
    assert "Temporarily unavailable" in html
    expected = "may not have been saved" if sent else "Try again in a few minutes"
    assert expected in html
    for leak in ("Traceback", "OperationalError", "psycopg", "SELECT", "INSERT"):
        assert leak not in html


def _footprint(request_id: int) -> dict[str, int]:
    """What one stored intake consists of, counted row by row."""
    referral_ids = list(db.session.scalars(
        select(Referral.id).where(Referral.request_id == request_id)))
    outbox_keys = [f"request-{request_id}-"] + [f"referral-{rid}-" for rid in referral_ids]
    outbox = sum(
        db.session.scalar(select(func.count()).select_from(OutboxMessage)
                          .where(OutboxMessage.idempotency_key.startswith(prefix))) or 0
        for prefix in outbox_keys
    )
    return {
        "referrals": len(referral_ids),
        "tasks": db.session.scalar(select(func.count()).select_from(Task)
                                   .where(Task.request_id == request_id)) or 0,
        "outbox": outbox,
        "audit": db.session.scalar(
            select(func.count()).select_from(AuditEvent).where(
                AuditEvent.object_type == "support_request", AuditEvent.object_id == request_id)
        ) or 0,
    }


def _count(model: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def _stored(tokens: list[str]) -> dict[str, dict[str, int]]:
    """For each submission token stored: its footprint; and every row accounted for."""
    requests = db.session.execute(select(SupportRequest.submission_token, SupportRequest.id)).all()
    assert sorted(str(token) for token, _id in requests) == sorted(tokens)
    footprints = {str(token): _footprint(request_id) for token, request_id in requests}
    # Nothing else in the tables: no orphan of a request that did not make it.
    for table, model in (("referrals", Referral), ("tasks", Task), ("outbox", OutboxMessage)):
        assert _count(model) == sum(f[table] for f in footprints.values()), table
    audited = db.session.scalar(select(func.count()).select_from(AuditEvent)
                                .where(AuditEvent.object_type == "support_request")) or 0
    assert audited == sum(f["audit"] for f in footprints.values())
    counter = db.session.scalar(select(func.max(ReferenceCounter.value)))
    assert counter == len(tokens), "a reference was used by a transaction that rolled back"
    return footprints


def test_requests_fail_cleanly_while_postgresql_restarts_and_nothing_is_half_written(
    pg_app, private_postgres, monkeypatch
):
    from app.services import audit

    resident = pg_app.test_client()
    staff = pg_app.test_client()
    with pg_app.app_context():  # login reads the second factor's secret from the database
        login(staff, "noord@demo.wijkloket.example")
        db.session.remove()

    # A: the database is up.
    first = _open_form(resident, description="Eerste vraag: schulden.")
    assert resident.post(INTAKE_URL, data=first).status_code == 302

    # B: the resident has the form open when the database restarts.
    second = _open_form(resident, description="Tweede vraag, tijdens de herstart.")
    private_postgres.stop()
    _assert_unavailable(resident.post(INTAKE_URL, data=second, headers=ENGLISH), sent=True)
    _assert_unavailable(resident.get("/demo/", headers=ENGLISH), sent=False)
    _assert_unavailable(staff.get("/staff/", headers=ENGLISH), sent=False)  # logged in
    api = resident.get("/api/v1/referrals", headers={"Authorization": "Bearer wl_x"})
    assert api.status_code == 503 and api.get_json()["error"] == "service_unavailable"

    # After the restart the same form is sent again: the pool replaces its dead connections.
    private_postgres.start()
    answer = resident.post(INTAKE_URL, data=second)
    assert answer.status_code == 302, answer.get_data(as_text=True)[:500]
    assert resident.get(answer.headers["Location"]).status_code == 200
    assert staff.get("/staff/").status_code == 200

    # C: the database goes away in the middle of the intake's transaction (after its rows
    # are flushed, before the commit).
    third = _open_form(resident, description="Derde vraag, halverwege afgebroken.")
    record = audit.record

    def record_then_lose_the_database(action: str, **kwargs: Any) -> Any:
        if action == "request.submitted":
            private_postgres.stop()
        return record(action, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(audit, "record", record_then_lose_the_database)
        _assert_unavailable(resident.post(INTAKE_URL, data=third, headers=ENGLISH), sent=True)
    private_postgres.start()

    with pg_app.app_context():
        stored = _stored([first["submission_token"], second["submission_token"]])
        a, b = stored[first["submission_token"]], stored[second["submission_token"]]
        assert a == b and a["referrals"] >= 1 and a["outbox"] >= 1 and a["audit"] == 1
        db.session.remove()

    # C sent again after the restart is stored, whole, once.
    assert resident.post(INTAKE_URL, data=third).status_code == 302
    assert resident.post(INTAKE_URL, data=third).status_code == 302  # a double click
    with pg_app.app_context():
        stored = _stored([first["submission_token"], second["submission_token"],
                          third["submission_token"]])
        assert stored[third["submission_token"]] == a
        db.session.remove()
