"""The outbox worker: claims due messages, delivers them, retries with backoff.

At-least-once: a message is claimed with a lease; a worker that dies mid-delivery leaves
the lease to expire and another claim delivers it again, with the same idempotency key.
On PostgreSQL rows are claimed with ``FOR UPDATE SKIP LOCKED`` so workers run side by side.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import signal
import threading
import time
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import or_, select, update

from app.delivery import DeliveryError, deliver
from app.extensions import db
from app.models import OutboxMessage, utcnow
from app.scheduler import run_due
from app.services.digest import send_digests

log = logging.getLogger("wijkloket.worker")


@dataclass
class BatchResult:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    dead: int = 0


def backoff_seconds(attempts: int, *, base: float, maximum: float, rng: random.Random) -> float:
    """Exponential backoff with full jitter: uniform in [base/2, min(max, base·2^(n-1))]."""
    ceiling = min(maximum, base * (2 ** max(attempts - 1, 0)))
    return rng.uniform(min(base / 2, ceiling), ceiling)


def claim(limit: int, now: dt.datetime | None = None) -> list[int]:
    """Claim up to ``limit`` due messages for this worker; returns their ids (committed)."""
    now = now or utcnow()
    lease = dt.timedelta(seconds=current_app.config["OUTBOX_LEASE_SECONDS"])
    due = (
        OutboxMessage.state == "pending",
        OutboxMessage.next_attempt_at <= now,
        or_(OutboxMessage.locked_until.is_(None), OutboxMessage.locked_until < now),
    )
    query = select(OutboxMessage.id).where(*due).order_by(
        OutboxMessage.next_attempt_at, OutboxMessage.id
    ).limit(limit)
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    candidates = list(db.session.scalars(query))
    if not candidates:
        db.session.rollback()
        return []
    # The conditions are checked again in the UPDATE, so two claimers never share a row.
    claimed = list(
        db.session.scalars(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(candidates), *due)
            .values(locked_until=now + lease, attempts=OutboxMessage.attempts + 1)
            .returning(OutboxMessage.id)
        )
    )
    db.session.commit()
    return sorted(claimed)


def process_batch(rng: random.Random | None = None) -> BatchResult:
    """Claim one batch and deliver it; each message's outcome is committed on its own."""
    config = current_app.config
    rng = rng or random.Random()  # noqa: S311 - jitter, not security
    result = BatchResult()
    claimed = claim(config["OUTBOX_BATCH_SIZE"])
    result.claimed = len(claimed)
    if not claimed:
        return result
    # The batch is read in one query, and the per-message commits below leave it loaded
    # (the claimed rows are this worker's until the lease ends): without that, every commit
    # would expire the batch and each message would cost two more SELECTs (itself, partner).
    session = db.session()
    expire_on_commit, session.expire_on_commit = session.expire_on_commit, False
    try:
        messages = session.scalars(
            select(OutboxMessage).where(OutboxMessage.id.in_(claimed)).order_by(OutboxMessage.id)
            .execution_options(populate_existing=True)
        ).all()
        for message in messages:
            _deliver_one(message, result, rng)
    finally:
        session.expire_on_commit = expire_on_commit
    return result


def _deliver_one(message: OutboxMessage, result: BatchResult, rng: random.Random) -> None:
    """Deliver one claimed message and commit its new state: sent, retry later, or dead."""
    config = current_app.config
    message_id = message.id
    try:
        deliver(message)
    except DeliveryError as exc:
        db.session.rollback()
        message = db.session.get(OutboxMessage, message_id)
        assert message is not None
        message.last_error = str(exc)[:2000]
        message.locked_until = None
        if message.attempts >= config["OUTBOX_MAX_ATTEMPTS"]:
            message.state = "dead"
            result.dead += 1
            log.warning("dead-lettered outbox message %s: %s", message.id, exc)
        else:
            delay = backoff_seconds(
                message.attempts,
                base=config["OUTBOX_BACKOFF_BASE_SECONDS"],
                maximum=config["OUTBOX_BACKOFF_MAX_SECONDS"],
                rng=rng,
            )
            message.next_attempt_at = utcnow() + dt.timedelta(seconds=delay)
            result.retried += 1
    else:
        message.state = "sent"
        message.sent_at = utcnow()
        message.locked_until = None
        message.last_error = None
        result.sent += 1
    db.session.commit()


def run(*, once: bool = False, stop: threading.Event | None = None) -> None:
    """Deliver until stopped (SIGTERM/SIGINT), or until nothing is due when ``once``."""
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
    poll = current_app.config["WORKER_POLL_SECONDS"]
    interval = current_app.config["SCHEDULER_INTERVAL_SECONDS"]
    next_schedule = 0.0
    log.info("outbox worker started")
    while not stop.is_set():
        try:
            if time.monotonic() >= next_schedule:
                run_due()  # deadlines first: their notices go out in this same loop
                send_digests()
                next_schedule = time.monotonic() + interval
            result = process_batch()
        except Exception:  # a database outage must not kill the worker
            log.exception("worker loop failed; retrying")
            db.session.rollback()
            time.sleep(poll)
            continue
        finally:
            db.session.remove()
        if result.claimed:
            log.info("outbox: %s", result)
            continue
        if once:
            return
        stop.wait(poll)
