"""The transactional outbox: messages are added in the same transaction as their cause."""

from __future__ import annotations

from typing import Any

from app.extensions import db
from app.models import OutboxMessage


def enqueue(
    *,
    tenant_id: int,
    channel: str,
    recipient: str,
    event: str,
    payload: dict[str, Any],
    idempotency_key: str,
    partner_id: int | None = None,
) -> OutboxMessage:
    """Add a message to the session; the caller's commit makes it deliverable.

    ``idempotency_key`` is unique: the receiver uses it to drop a duplicate delivery
    (webhook ``webhook-id``, mail ``Message-ID``).
    """
    message = OutboxMessage(
        tenant_id=tenant_id,
        channel=channel,
        recipient=recipient,
        event=event,
        payload=payload,
        idempotency_key=idempotency_key,
        partner_id=partner_id,
    )
    db.session.add(message)
    return message
