"""The transactional outbox: messages are added in the same transaction as their cause."""

from __future__ import annotations

from typing import Any

from app.extensions import db
from app.i18n import _
from app.models import OutboxMessage, SupportRequest, User, utcnow
from app.services import audit, safe_contact
from app.services.errors import NotFound


def enqueue(
    *,
    tenant_id: int,
    channel: str,
    recipient: str,
    event: str,
    payload: dict[str, Any],
    idempotency_key: str,
    partner_id: int | None = None,
    resident_of: SupportRequest | None = None,
) -> OutboxMessage | None:
    """Add a message to the session; the caller's commit makes it deliverable.

    ``idempotency_key`` is unique: the receiver uses it to drop a duplicate delivery
    (webhook ``webhook-id``, mail ``Message-ID``). ``resident_of``: the message goes to this
    request's resident. When its contact is not safe the message is refused (logged, never
    stored: None); else it names the request, so that delivery checks again.
    """
    if resident_of is not None and resident_of.contact_unsafe:
        safe_contact.refused(tenant_id, resident_of.id, event, when="written")
        return None
    message = OutboxMessage(
        tenant_id=tenant_id,
        channel=channel,
        recipient=recipient,
        event=event,
        payload=payload,
        idempotency_key=idempotency_key,
        partner_id=partner_id,
        request_id=resident_of.id if resident_of is not None else None,
    )
    db.session.add(message)
    return message


def retry(user: User, message_id: int) -> bool:
    """Send a dead message again from the start (pending now, no attempts, no lease); audit,
    commit. Returns False, changing nothing, for a message that is not dead; NotFound for one
    of another tenant."""
    message = db.session.get(OutboxMessage, message_id)
    if message is None or message.tenant_id != user.tenant_id:
        raise NotFound(_("This message does not exist."))
    if message.state != "dead":
        return False
    message.state = "pending"
    message.attempts = 0
    message.next_attempt_at = utcnow()
    message.locked_until = None
    audit.record("outbox.retry", tenant_id=message.tenant_id, object_type="outbox_message",
                 object_id=message.id, actor=user)
    db.session.commit()
    return True
