"""Delivering outbox messages: e-mail (SMTP or the local mailbox) and signed webhooks.

Webhooks go through one ``httpx.Client`` per process (``http_client``), so a worker keeps its
connections to a partner open between messages instead of building a client, a TLS context
and a TCP connection for each one.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import smtplib
import threading
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

import httpx
from flask import current_app
from sqlalchemy import select
from standardwebhooks.webhooks import Webhook

from app.extensions import db
from app.models import CapturedMail, OutboxMessage, Partner, utcnow
from app.services import safe_contact


class DeliveryError(Exception):
    """A message could not be delivered this time; the worker retries it later."""


class Refused(Exception):
    """A message must never be delivered: its resident's contact is not safe."""


_client_lock = threading.Lock()
_client: tuple[int, httpx.Client] | None = None  # (the process that made it, the client)


def http_client() -> httpx.Client:
    """This process's HTTP client for webhooks, made on first use (thread-safe).

    Made again in a forked child: a client's pooled connections must not be shared between
    processes.
    """
    global _client
    with _client_lock:
        if _client is None or _client[0] != os.getpid():
            _client = (os.getpid(), httpx.Client(follow_redirects=False))
        return _client[1]


def message_id_for(message: OutboxMessage) -> str:
    """A stable Message-ID: a re-delivery carries the same one, so duplicates are visible."""
    return f"<{message.idempotency_key}@wijkloket>"


def deliver(message: OutboxMessage, partner: Partner | None = None) -> None:
    """Deliver one message or raise DeliveryError.

    ``partner`` is the message's partner if the caller has it loaded (the worker reads a
    batch's partners in one query); otherwise a webhook looks it up. A message to a resident
    whose contact is not safe now raises Refused, whenever it was written.
    """
    if message.request_id is not None and safe_contact.unsafe(message.request_id):
        raise Refused(safe_contact.REFUSAL_REASON)
    if message.channel == "email":
        _deliver_email(message)
    elif message.channel == "webhook":
        _deliver_webhook(message, partner)
    else:
        raise DeliveryError(f"unknown channel {message.channel!r}")


def build_email(message: OutboxMessage) -> EmailMessage:
    config = current_app.config
    mail = EmailMessage()
    mail["From"] = config["MAIL_FROM"]
    mail["To"] = message.recipient
    mail["Subject"] = message.payload["subject"]
    mail["Message-ID"] = message_id_for(message)
    mail.set_content(message.payload["body"])
    return mail


def _deliver_email(message: OutboxMessage) -> None:
    config = current_app.config
    mail = build_email(message)
    if config["MAIL_TRANSPORT"] == "mailbox":
        _store_in_mailbox(message.tenant_id, mail)
        return
    try:
        with smtplib.SMTP(
            config["SMTP_HOST"], config["SMTP_PORT"], timeout=config["SMTP_TIMEOUT"]
        ) as smtp:
            if config["SMTP_STARTTLS"]:
                smtp.starttls()
            if config["SMTP_USERNAME"]:
                smtp.login(config["SMTP_USERNAME"], config["SMTP_PASSWORD"] or "")
            smtp.send_message(mail)
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryError(f"SMTP: {exc}") from exc


def _store_in_mailbox(tenant_id: int, mail: EmailMessage) -> None:
    """The embedded default: keep the mail in the database for the admin mailbox page."""
    message_id = str(mail["Message-ID"])
    exists = db.session.scalar(
        select(CapturedMail.id).where(CapturedMail.message_id == message_id)
    )
    if exists is None:
        db.session.add(
            CapturedMail(
                tenant_id=tenant_id,
                message_id=message_id,
                sender=str(mail["From"]),
                recipient=str(mail["To"]),
                subject=str(mail["Subject"]),
                body=mail.get_content(),
            )
        )
        db.session.commit()


def webhook_body(message: OutboxMessage, timestamp: dt.datetime) -> str:
    body: dict[str, Any] = {
        "type": message.payload["type"],
        "timestamp": timestamp.isoformat().replace("+00:00", "Z"),
        "data": message.payload["data"],
    }
    return json.dumps(body, separators=(",", ":"), sort_keys=True)


def _deliver_webhook(message: OutboxMessage, partner: Partner | None) -> None:
    """POST the event signed per Standard Webhooks; any 2xx answer counts as delivered."""
    if partner is None or partner.id != message.partner_id:
        partner = db.session.get(Partner, message.partner_id) if message.partner_id else None
    if partner is None or not partner.webhook_secret:
        raise DeliveryError("no webhook secret configured for this partner")
    timestamp = dt.datetime.now(dt.UTC).replace(microsecond=0)
    body = webhook_body(message, timestamp)
    secrets_in_use = [partner.webhook_secret]
    overlap = dt.timedelta(hours=current_app.config["WEBHOOK_SECRET_OVERLAP_HOURS"])
    if partner.webhook_secret_previous and partner.webhook_secret_rotated_at and \
            utcnow() - partner.webhook_secret_rotated_at < overlap:
        secrets_in_use.append(partner.webhook_secret_previous)
    # Standard Webhooks: several space-separated signatures; the receiver accepts any.
    signature = " ".join(Webhook(secret).sign(message.idempotency_key, timestamp, body)
                         for secret in secrets_in_use)
    headers = {
        "content-type": "application/json",
        "webhook-id": message.idempotency_key,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": signature,
        "user-agent": "Wijkloket-Webhooks/1",
    }
    try:
        response = http_client().post(
            message.recipient,
            content=body.encode(),
            headers=headers,
            timeout=current_app.config["WEBHOOK_TIMEOUT"],
            follow_redirects=False,
        )
    except httpx.HTTPError as exc:
        raise DeliveryError(f"webhook: {exc.__class__.__name__}: {exc}") from exc
    if not 200 <= response.status_code < 300:
        raise DeliveryError(f"webhook: HTTP {response.status_code}")


__all__ = ["DeliveryError", "Refused", "deliver", "build_email", "http_client", "make_msgid",
           "message_id_for"]
