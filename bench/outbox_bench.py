"""Benchmark: outbox webhook delivery on PostgreSQL, by real worker processes.

Run by hand, against a PostgreSQL database of its own (the bench DROPS its public schema, and
refuses the databases ``test`` and ``postgres``):

    psql -h 127.0.0.1 -U postgres -c 'create database wl_bench'
    PYTHONPATH=. .venv/bin/python bench/outbox_bench.py [--messages 5000] [--requests 200] \
        [--rate 5] [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/wl_bench]

Set-up: the schema is created with the migrations, the demo tenant is seeded, and partner
``schuldhulp`` gets a webhook to a receiver the bench runs in a process of its own (stdlib
threaded HTTP server, keep-alive; it verifies every Standard Webhooks signature and records
the ``webhook-id``, the referral reference and the monotonic time of receipt).

Throughput: with 1, then 2 ``flask --app wsgi worker`` processes started and idle, N webhook
messages are committed to the outbox at once; the clock runs from that commit to the last
receipt. The table shows whether every message was received exactly once (duplicate and
lost ``webhook-id``s) and every row ended ``sent`` after one attempt.

Latency: with one running worker (the default poll of 1 s unless --latency-poll), resident
requests are submitted through the form (Flask test client, paced at --rate per second) so
that each makes a ``referral.sent`` webhook; the time from sending the form to the webhook's
receipt is reported as p50/p95/max. Targets: >= 500 messages/s with 2 workers; p95 <= 2 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import multiprocessing
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/wl_bench"
SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
TARGET_RATE = 500.0  # messages/s with 2 workers
TARGET_P95 = 2.0  # seconds from submission to receipt


# The receiver: a process of its own, so that it never competes with the bench for the GIL.

def _receiver_main(conn: Connection, secret: str) -> None:
    from standardwebhooks.webhooks import Webhook, WebhookVerificationError

    verifier = Webhook(secret)
    lock = threading.Lock()
    records: list[tuple[str, str, float]] = []  # webhook-id, reference, time.monotonic()
    bad: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, if the client wants it
        disable_nagle_algorithm = True

        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            received = time.monotonic()
            headers = {key.lower(): value for key, value in self.headers.items()}
            try:
                payload = verifier.verify(body, headers)
                reference = str(payload["data"].get("reference", ""))
            except (WebhookVerificationError, KeyError, ValueError) as exc:
                with lock:
                    bad.append(f"{headers.get('webhook-id')}: {exc}")
            else:
                with lock:
                    records.append((headers.get("webhook-id", ""), reference, received))
            self.send_response(204)
            self.send_header("content-length", "0")
            self.end_headers()

        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            with lock:
                if self.path == "/count":  # cheap, for polling while the workers run
                    body = json.dumps(len(records) + len(bad)).encode()
                else:
                    if self.path == "/reset":
                        records.clear()
                        bad.clear()
                    body = json.dumps({"records": records, "bad": bad}).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - base signature
            pass

    ThreadingHTTPServer.request_queue_size = 128
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    conn.send(server.server_port)
    server.serve_forever()


class Receiver:
    def __init__(self) -> None:
        import httpx

        context = multiprocessing.get_context("spawn")
        parent, child = context.Pipe()
        self.process = context.Process(target=_receiver_main, args=(child, SECRET), daemon=True)
        self.process.start()
        self.port: int = parent.recv()
        self.url = f"http://127.0.0.1:{self.port}/hooks/wijkloket"
        self._client = httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=30)

    def records(self, reset: bool = False) -> tuple[list[tuple[str, str, float]], list[str]]:
        answer = self._client.get("/reset" if reset else "/records").json()
        return [tuple(r) for r in answer["records"]], answer["bad"]

    def count(self) -> int:
        """Webhooks received so far (with a bad signature or not)."""
        return int(self._client.get("/count").json())

    def capacity(self, count: int = 2000) -> float:
        """Requests/s over one keep-alive connection: a floor of the receiver's ceiling, as
        this process signs and sends every request meanwhile."""
        from standardwebhooks.webhooks import Webhook

        body = b'{"data":{"reference":"CAL"},"timestamp":"x","type":"calibration"}'
        started = time.perf_counter()
        for number in range(count):
            stamp = dt.datetime.now(dt.UTC).replace(microsecond=0)
            signature = Webhook(SECRET).sign(f"cal-{number}", stamp, body.decode())
            self._client.post("/hooks/wijkloket", content=body, headers={
                "webhook-id": f"cal-{number}", "webhook-signature": signature,
                "webhook-timestamp": str(int(stamp.timestamp())),
                "content-type": "application/json"})
        rate = count / (time.perf_counter() - started)
        self.records(reset=True)
        return rate

    def close(self) -> None:
        self._client.close()
        self.process.terminate()
        self.process.join(5)


# The application side: schema, demo tenant, partner webhook, outbox rows.

def make_app(database_url: str) -> Any:
    from app import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "RATELIMIT_ENABLED": False})
    logging.getLogger().setLevel(logging.WARNING)  # the app's INFO lines would hide the table
    return app


def prepare_database(app: Any, webhook_url: str) -> int:
    """Fresh schema by the migrations, the demo tenant, a webhook for partner schuldhulp."""
    from flask_migrate import upgrade
    from sqlalchemy import select, text

    from app.extensions import db
    from app.models import Partner
    from app.services.demo import seed_demo

    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        upgrade()
        seed_demo()
        partner = db.session.scalar(select(Partner).where(Partner.key == "schuldhulp"))
        assert partner is not None
        partner.webhook_url = webhook_url
        partner.webhook_secret = SECRET
        db.session.commit()
        partner_id = partner.id
        db.session.remove()
    return partner_id


def clear_outbox(app: Any) -> None:
    from sqlalchemy import text

    from app.extensions import db

    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(text("DELETE FROM outbox_message"))


def enqueue_webhooks(app: Any, partner_id: int, webhook_url: str, count: int, run: str) -> float:
    """Add ``count`` referral webhooks in one transaction; the monotonic time of the commit."""
    from app.extensions import db
    from app.messaging.transport.outbox import enqueue
    from app.models import Partner

    with app.app_context():
        partner = db.session.get(Partner, partner_id)
        assert partner is not None
        for number in range(count):
            reference = f"WL-BENCH-{run}-{number:05d}"
            enqueue(
                tenant_id=partner.tenant_id, channel="webhook", recipient=webhook_url,
                event="referral.sent", partner_id=partner_id,
                idempotency_key=f"bench-{run}-{number}",
                payload={"type": "referral.sent", "data": {
                    "referral_id": number, "reference": reference, "state": "sent",
                    "due_date": "2026-12-01", "url": f"http://127.0.0.1/partner/{number}"}},
            )
        db.session.flush()
        committed = time.monotonic()
        db.session.commit()
        db.session.remove()
    return committed


def outbox_states(app: Any) -> dict[str, int]:
    from sqlalchemy import func, select

    from app.extensions import db
    from app.models import OutboxMessage

    with app.app_context():
        rows = db.session.execute(
            select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)
        ).all()
        db.session.remove()
    return {state: number for state, number in rows}


def outbox_attempts(app: Any) -> Counter[int]:
    from sqlalchemy import func, select

    from app.extensions import db
    from app.models import OutboxMessage

    with app.app_context():
        rows = db.session.execute(
            select(OutboxMessage.attempts, func.count()).group_by(OutboxMessage.attempts)
        ).all()
        db.session.remove()
    return Counter({attempts: number for attempts, number in rows})


# Worker processes, exactly as deployed: `flask --app wsgi worker`.

@dataclass
class Worker:
    process: subprocess.Popen[bytes]
    log: Path

    def sent(self) -> int:
        return sum(int(n) for n in re.findall(r"sent=(\d+)", self.log.read_text()))


def start_workers(count: int, database_url: str, poll: float | None, log_dir: Path,
                  name: str) -> list[Worker]:
    env = {**os.environ, "DATABASE_URL": database_url, "PYTHONPATH": str(ROOT)}
    if poll is not None:
        env["WORKER_POLL_SECONDS"] = str(poll)
    workers = []
    for number in range(count):
        log = log_dir / f"{name}-worker{number + 1}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "flask", "--app", "wsgi", "worker"],
                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
            )
        workers.append(Worker(process, log))
    deadline = time.monotonic() + 60
    for worker in workers:
        while "outbox worker started" not in worker.log.read_text():
            if worker.process.poll() is not None or time.monotonic() > deadline:
                stop_workers(workers)
                sys.exit(f"worker did not start:\n{worker.log.read_text()[-2000:]}")
            time.sleep(0.05)
    return workers


def stop_workers(workers: list[Worker]) -> list[int | None]:
    for worker in workers:
        if worker.process.poll() is None:
            worker.process.send_signal(signal.SIGTERM)
    codes: list[int | None] = []
    for worker in workers:
        try:
            codes.append(worker.process.wait(timeout=30))
        except subprocess.TimeoutExpired:
            worker.process.kill()
            codes.append(None)
    return codes


def wait_for(condition: Any, timeout: float, step: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return False


# The two measurements.

@dataclass
class ThroughputResult:
    workers: int
    messages: int
    seconds: float  # commit → last receipt
    all_sent_after: float  # commit → every row 'sent' (seen by polling, ±20 ms)
    duplicates: int
    lost: int
    retried: int  # rows that needed more than one attempt
    bad_signatures: int
    per_worker: list[int]
    exit_codes: list[int | None]

    @property
    def rate(self) -> float:
        return self.messages / self.seconds


def bench_throughput(app: Any, receiver: Receiver, partner_id: int, database_url: str,
                     count: int, workers: int, poll: float, log_dir: Path) -> ThroughputResult:
    clear_outbox(app)
    receiver.records(reset=True)
    running = start_workers(workers, database_url, poll, log_dir, f"throughput{workers}")
    try:
        committed = enqueue_webhooks(app, partner_id, receiver.url, count, f"w{workers}")
        done = wait_for(lambda: receiver.count() >= count, timeout=60 + count / 20, step=0.1)
        all_sent = wait_for(lambda: outbox_states(app).get("sent", 0) >= count, timeout=60,
                            step=0.02)
        all_sent_at = time.monotonic()
    finally:
        codes = stop_workers(running)
    records, bad = receiver.records()
    if not (done and all_sent):
        print(f"  timed out: {len(records)} of {count} received, states {outbox_states(app)}")
    received = Counter(webhook_id for webhook_id, _reference, _at in records)
    expected = {f"bench-w{workers}-{number}" for number in range(count)}
    attempts = outbox_attempts(app)
    return ThroughputResult(
        workers=workers, messages=count,
        seconds=max(at for _id, _reference, at in records) - committed,
        all_sent_after=all_sent_at - committed,
        duplicates=sum(n - 1 for n in received.values() if n > 1),
        lost=len(expected - set(received)),
        retried=sum(n for a, n in attempts.items() if a != 1),
        bad_signatures=len(bad),
        per_worker=[w.sent() for w in running],
        exit_codes=codes,
    )


def form_data(number: int) -> dict[str, Any]:
    """A valid resident intake about debts: one referral (with a webhook) to schuldhulp."""
    return {
        "for_whom": "zelf", "postcode": "9999 AA", "house_number": str(1 + number % 40),
        "age": str(20 + number % 60), "life_areas": ["geld"],
        "description": f"Ik heb schulden en kom niet rond (bench {number}).",
        "urgency": "normaal", "housing": "huur", "contact_name": f"Bench Bewoner {number}",
        "contact_email": f"bewoner{number}@example.org", "contact_phone": "",
        "contact_preferred": "email", "consent_share": "yes",
    }


def submit(client: Any, number: int) -> tuple[float, float, str]:
    """Fetch the form, send it; (monotonic time sent, seconds the POST took, reference)."""
    html = client.get("/demo/hulpvraag").get_data(as_text=True)
    fields = dict(re.findall(r'name="(csrf_token|submission_token)"[^>]*value="([^"]*)"', html))
    sent = time.monotonic()
    response = client.post("/demo/hulpvraag", data={**fields, **form_data(number)})
    took = time.monotonic() - sent
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return sent, took, urlsplit(response.location).path.rstrip("/").rsplit("/", 1)[-1]


@dataclass
class LatencyResult:
    requests: int
    received: int
    latencies: list[float]
    post_seconds: list[float]
    bad_signatures: int


def bench_latency(app: Any, receiver: Receiver, database_url: str, count: int, rate: float,
                  poll: float | None, log_dir: Path) -> LatencyResult:
    client = app.test_client()
    submit(client, -1)  # warm up the app (rules, templates, geo index) before the clock runs
    clear_outbox(app)  # ... and drop the warm-up's messages
    receiver.records(reset=True)
    running = start_workers(1, database_url, poll, log_dir, "latency")
    try:
        sent_at: dict[str, float] = {}
        post_seconds = []
        started = time.monotonic()
        for number in range(count):
            time.sleep(max(0.0, started + number / rate - time.monotonic()))
            sent, took, reference = submit(client, number)
            sent_at[reference] = sent
            post_seconds.append(took)
        wait_for(lambda: set(sent_at) <= {ref for _id, ref, _at in receiver.records()[0]},
                 timeout=60, step=0.1)
    finally:
        stop_workers(running)
    records, bad = receiver.records()
    first_receipt: dict[str, float] = {}
    for _id, reference, at in records:
        if reference in sent_at:
            first_receipt[reference] = min(at, first_receipt.get(reference, at))
    latencies = [at - sent_at[reference] for reference, at in first_receipt.items()]
    return LatencyResult(count, len(latencies), latencies, post_seconds, len(bad))


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[94]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--messages", type=int, default=5000, help="per throughput run")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--poll", type=float, default=0.1,
                        help="WORKER_POLL_SECONDS for the throughput runs")
    parser.add_argument("--requests", type=int, default=200, help="for the latency run")
    parser.add_argument("--rate", type=float, default=5.0, help="requests per second")
    parser.add_argument("--latency-poll", type=float, default=None,
                        help="WORKER_POLL_SECONDS for the latency run (default: the app's, 1 s)")
    args = parser.parse_args()
    url = urlsplit(args.database_url.replace("+psycopg", ""))
    if url.scheme != "postgresql":
        sys.exit("outbox_bench measures PostgreSQL (SKIP LOCKED): give a postgresql URL")
    if url.path.lstrip("/") in {"test", "postgres", ""}:
        sys.exit(f"refusing to drop the schema of database {url.path!r}: use one of its own")

    print(f"load average at start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    receiver = Receiver()
    try:
        print(f"receiver alone: {receiver.capacity():,.0f} requests/s over one keep-alive "
              "connection, signatures verified")
        app = make_app(args.database_url)
        partner_id = prepare_database(app, receiver.url)
        with tempfile.TemporaryDirectory(prefix="outbox-bench-") as tmp:
            log_dir = Path(tmp)
            print(f"throughput: {args.messages:,} webhooks per run, "
                  f"batch {app.config['OUTBOX_BATCH_SIZE']}, poll {args.poll} s")
            print("  workers   to last receipt   msgs/s   all sent  dupl  lost  retried  "
                  "bad sig  load  per worker")
            results = []
            for workers in args.workers:
                result = bench_throughput(app, receiver, partner_id, args.database_url,
                                          args.messages, workers, args.poll, log_dir)
                results.append(result)
                print(f"  {workers:>7}   {result.seconds:>13.2f} s  {result.rate:>7,.0f}  "
                      f"{result.all_sent_after:>7.2f} s  {result.duplicates:>4}  "
                      f"{result.lost:>4}  {result.retried:>7}  {result.bad_signatures:>7}  "
                      f"{os.getloadavg()[0]:>4.1f}  {' + '.join(map(str, result.per_worker))}"
                      + ("" if result.exit_codes == [0] * workers
                         else f"  exit codes {result.exit_codes}"))

            poll = args.latency_poll if args.latency_poll is not None \
                else app.config["WORKER_POLL_SECONDS"]
            latency = bench_latency(app, receiver, args.database_url, args.requests, args.rate,
                                    args.latency_poll, log_dir)
            print(f"latency: {args.requests} resident requests through the form at "
                  f"{args.rate:g}/s, 1 worker (poll {poll:g} s)")
            values = latency.latencies
            print(f"  form sent → webhook received: p50 {statistics.median(values):.3f} s, "
                  f"p95 {p95(values):.3f} s, max {max(values):.3f} s "
                  f"({latency.received} of {latency.requests} received, "
                  f"{latency.bad_signatures} bad signatures)")
            print(f"  the POST itself (commit included): p50 "
                  f"{statistics.median(latency.post_seconds):.3f} s, "
                  f"p95 {p95(latency.post_seconds):.3f} s")
        print("against the targets:")
        for result in results:
            if result.workers == 2:
                print(f"  2 workers: {result.rate:,.0f} msgs/s = "
                      f"{result.rate / TARGET_RATE:.2f}x the target of {TARGET_RATE:.0f}/s")
        print(f"  p95 latency: {p95(values):.3f} s = {p95(values) / TARGET_P95:.2f} of the "
              f"{TARGET_P95:g} s limit")
        print(f"load average at the end: {os.getloadavg()[0]:.2f}")
    finally:
        receiver.close()


if __name__ == "__main__":
    main()
