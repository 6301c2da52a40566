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
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import or_, select, update

from app.extensions import db
from app.messaging.outgoing.digest import send_digests
from app.messaging.transport.delivery import DeliveryError, Refused, deliver
from app.models import OutboxMessage, Partner, utcnow
from app.scheduler import run_due
from app.services import safe_contact

log = logging.getLogger("wijkloket.worker")


@dataclass
class BatchResult:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    dead: int = 0
    released: int = 0  # claimed, not tried before the lease ran short, handed back
    refused: int = 0  # to a resident whose contact is not safe: never sent


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
    """Claim one batch and deliver it; each message's new state is committed on its own."""
    config = current_app.config
    rng = rng or random.Random()  # noqa: S311 - jitter, not security
    result = BatchResult()
    claimed_at = utcnow()
    claimed = claim(config["OUTBOX_BATCH_SIZE"], claimed_at)
    result.claimed = len(claimed)
    if not claimed:
        return result
    # The batch and its partners are read in two queries and stay loaded while the batch is
    # delivered (a mailbox delivery commits the session); the claimed rows are this worker's
    # until the lease ends.
    # A delivery may take up to its timeout: after the first (so a batch always makes
    # progress), one is started only while that still ends within the lease, so no other
    # worker claims a message this one is delivering.
    lease_end = claimed_at + dt.timedelta(seconds=config["OUTBOX_LEASE_SECONDS"])
    slowest = max(config["WEBHOOK_TIMEOUT"], config["SMTP_TIMEOUT"])
    safe_until = lease_end - dt.timedelta(seconds=slowest + 1)
    session = db.session()
    expire_on_commit, session.expire_on_commit = session.expire_on_commit, False
    messages: Sequence[OutboxMessage] = []
    try:
        messages = session.scalars(
            select(OutboxMessage).where(OutboxMessage.id.in_(claimed)).order_by(OutboxMessage.id)
            .execution_options(populate_existing=True)
        ).all()
        partner_ids = {m.partner_id for m in messages if m.partner_id is not None}
        partners = {p.id: p for p in session.scalars(
            select(Partner).where(Partner.id.in_(partner_ids))
            .execution_options(populate_existing=True)
        )} if partner_ids else {}
        session.commit()
        # Each message's outcome is one UPDATE in autocommit mode, on a connection held for
        # the batch: a single round trip, where the session would check a connection out of
        # the pool (with its ping), flush and COMMIT for every message.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for position, message in enumerate(messages):
                if position and utcnow() >= safe_until:  # the first is always tried
                    result.released = _release(conn, messages[position:], lease_end)
                    break
                outcome = _deliver_one(message, partners.get(message.partner_id or 0),
                                       result, rng)
                conn.execute(
                    update(OutboxMessage).where(OutboxMessage.id == message.id).values(outcome)
                )
    finally:
        session.expire_on_commit = expire_on_commit
        for message in messages:  # their rows changed behind the session's back
            session.expire(message)
    return result


def _release(conn: Any, messages: Sequence[OutboxMessage], lease_end: dt.datetime) -> int:
    """Hand back claimed messages not tried yet: due again at once, their attempt not counted.

    Only rows still under this worker's lease are touched (``locked_until`` as claimed).
    """
    released = conn.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_([m.id for m in messages]),
               OutboxMessage.locked_until == lease_end, OutboxMessage.state == "pending")
        .values(locked_until=None, attempts=OutboxMessage.attempts - 1)
    ).rowcount
    log.warning("outbox: lease nearly over, %s claimed messages handed back", released)
    return int(released)


def _deliver_one(message: OutboxMessage, partner: Partner | None, result: BatchResult,
                 rng: random.Random) -> dict[str, Any]:
    """Deliver one claimed message; the new values of its row: sent, retry later, or dead."""
    config = current_app.config
    message_id, attempts = message.id, message.attempts
    try:
        deliver(message, partner)
    except Refused as exc:
        db.session.rollback()
        safe_contact.refused(message.tenant_id, message.request_id or 0, message.event,
                             when="delivered")
        db.session.commit()
        result.refused += 1
        log.warning("refused outbox message %s: %s", message_id, exc)
        return {"state": safe_contact.REFUSED, "last_error": str(exc), "locked_until": None}
    except DeliveryError as exc:
        db.session.rollback()  # whatever the failed delivery left in the session
        outcome: dict[str, Any] = {"last_error": str(exc)[:2000], "locked_until": None}
        if attempts >= config["OUTBOX_MAX_ATTEMPTS"]:
            outcome["state"] = "dead"
            result.dead += 1
            log.warning("dead-lettered outbox message %s: %s", message_id, exc)
        else:
            delay = backoff_seconds(
                attempts,
                base=config["OUTBOX_BACKOFF_BASE_SECONDS"],
                maximum=config["OUTBOX_BACKOFF_MAX_SECONDS"],
                rng=rng,
            )
            outcome["next_attempt_at"] = utcnow() + dt.timedelta(seconds=delay)
            result.retried += 1
        return outcome
    result.sent += 1
    return {"state": "sent", "sent_at": utcnow(), "locked_until": None, "last_error": None}


def run(*, once: bool = False, stop: threading.Event | None = None) -> None:
    """Deliver until stopped (SIGTERM/SIGINT), or until nothing is due when ``once``."""
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
    poll = current_app.config["WORKER_POLL_SECONDS"]
    interval = current_app.config["SCHEDULER_INTERVAL_SECONDS"]
    next_schedule = 0.0
    slowest = max(current_app.config["WEBHOOK_TIMEOUT"], current_app.config["SMTP_TIMEOUT"])
    if current_app.config["OUTBOX_LEASE_SECONDS"] <= slowest:
        log.warning("OUTBOX_LEASE_SECONDS (%s) is not longer than the slowest delivery timeout "
                    "(%s): a slow delivery may be sent twice",
                    current_app.config["OUTBOX_LEASE_SECONDS"], slowest)
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
