"""Safe contact: a request whose contact is not safe, for someone at risk at home.

When a request is marked *contact not safe*, nothing goes to the resident's own address or
shared contact details any more. Two checks make sure of it, each logged when it refuses:

- when a message is written (:func:`app.messaging.transport.outbox.enqueue` refuses a
  message to the resident of such a request, and it is never stored);
- when it is delivered (the worker refuses a message written before the request was marked:
  it stays in the outbox as ``refused`` and is never sent).

Marking also refuses the resident's messages that still wait in the outbox. Staff see the
mark on the request page with the safe way to reach the resident, if one was given: another
phone number, safe times, and a code word (kept as a hash, like a password).
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, select, update

from app.extensions import db
from app.i18n import _
from app.limits import CODE_WORD_MAX, CODE_WORD_MIN, PHONE_MAX, REASON_MAX, SAFE_TIMES_MAX
from app.models import OutboxMessage, SupportRequest, User, utcnow
from app.services import audit
from app.services.errors import InvalidInput
from app.services.passwords import hash_password, verify_password

#: Who marked the contact as not safe.
BY_RESIDENT, BY_STAFF, BY_RULE = "resident", "staff", "rule"
#: The outbox state of a message refused because contact is not safe.
REFUSED = "refused"
#: What the refusals say, in the outbox's last error and the audit log (no person's data).
REFUSAL_REASON = "contact not safe"


def mark_unsafe(request: SupportRequest, *, by: str, user: User | None = None,
                safe_phone: str | None = None, safe_times: str | None = None,
                code_word: str | None = None, rules: tuple[str, ...] = ()) -> int:
    """Mark ``request``'s contact as not safe (the caller checked who may), with the safe way
    to reach the resident when given (``rules``: the rules that said so); audit it and
    refuse the resident's messages still waiting in the outbox. Returns how many were
    refused. Does not commit: the mark belongs to the caller's change (an intake, a
    decision, a staff step)."""
    safe_phone = (safe_phone or "").strip() or None
    safe_times = (safe_times or "").strip() or None
    code_word = (code_word or "").strip() or None
    if safe_phone is not None and len(safe_phone) > PHONE_MAX:
        raise InvalidInput(_("Use at most %(max)d characters.", max=PHONE_MAX),
                           "safe_phone")
    if safe_times is not None and len(safe_times) > SAFE_TIMES_MAX:
        raise InvalidInput(_("Use at most %(max)d characters.", max=SAFE_TIMES_MAX),
                           "safe_times")
    if code_word is not None and not CODE_WORD_MIN <= len(code_word) <= CODE_WORD_MAX:
        raise InvalidInput(_("A code word has %(low)s to %(high)s characters.",
                             low=CODE_WORD_MIN, high=CODE_WORD_MAX), "code_word")
    changed = not request.contact_unsafe
    request.contact_unsafe = True
    if changed:
        request.contact_unsafe_since = utcnow()
        request.contact_unsafe_by = by
    if safe_phone is not None:
        request.safe_phone = safe_phone
    if safe_times is not None:
        request.safe_times = safe_times
    if code_word is not None:
        request.code_word_hash = hash_password(code_word.casefold())
    refused = refuse_waiting(request)
    audit.record("request.contact_unsafe", tenant_id=request.tenant_id,
                 object_type="support_request", object_id=request.id, actor=user,
                 actor_label=None if user is not None else by, by=by,
                 safe_way=bool(request.safe_phone or request.safe_times),
                 code_word=request.code_word_hash is not None, refused_messages=refused,
                 rules=list(rules))
    return refused


def mark_safe(user: User, request: SupportRequest, reason: str) -> None:
    """Contact is safe again, for ``reason`` (the caller checked who may): messages to the
    resident go again from now on (the refused ones stay refused); the safe way and the code
    word are forgotten. Audited, not committed."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Say why contact is safe again."), "reason")
    if len(reason) > REASON_MAX:
        raise InvalidInput(_("Use at most %(max)d characters.", max=REASON_MAX), "reason")
    if not request.contact_unsafe:
        return
    request.contact_unsafe = False
    request.contact_unsafe_since = None
    request.contact_unsafe_by = None
    request.safe_phone = request.safe_times = request.code_word_hash = None
    audit.record("request.contact_safe", tenant_id=request.tenant_id,
                 object_type="support_request", object_id=request.id, actor=user,
                 reason=reason)


def refuse_waiting(request: SupportRequest) -> int:
    """Refuse the messages to ``request``'s resident that wait in the outbox; how many."""
    db.session.flush()
    result = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.request_id == request.id, OutboxMessage.state == "pending")
        .values(state=REFUSED, last_error=REFUSAL_REASON, locked_until=None)
        .execution_options(synchronize_session=False))
    return int(cast(CursorResult[Any], result).rowcount)


def refused(tenant_id: int, request_id: int, event: str, *, when: str) -> None:
    """Log that a message to a resident whose contact is not safe was refused ``when``
    (``written`` or ``delivered``): which message, never its text or address."""
    audit.record("outbox.refused", tenant_id=tenant_id, object_type="support_request",
                 object_id=request_id, actor_label="system", event=event, when=when,
                 reason=REFUSAL_REASON)


def unsafe(request_id: int | None) -> bool:
    """The request's contact is not safe now (read from the database, not the session)."""
    if request_id is None:
        return False
    return bool(db.session.scalar(select(SupportRequest.contact_unsafe).where(
        SupportRequest.id == request_id)))


def code_word_matches(request: SupportRequest, word: str | None) -> bool:
    """``word`` is the request's code word (case and surrounding spaces ignored)."""
    word = (word or "").strip()
    if request.code_word_hash is None or not word or len(word) > CODE_WORD_MAX:
        return False
    return verify_password(request.code_word_hash, word.casefold())


def open_status_page(request: SupportRequest, word: str | None) -> bool:
    """A visitor of the status page of ``request`` gave ``word``: whether it is the code
    word. A wrong one is logged (not the word), so staff see someone trying; commit."""
    right = code_word_matches(request, word)
    audit.record("status.code_word_right" if right else "status.code_word_wrong",
                 tenant_id=request.tenant_id, object_type="support_request",
                 object_id=request.id, actor_label="status page")
    db.session.commit()
    return right


def status_page_closed(request: SupportRequest) -> None:
    """Log that the status page of ``request`` was shown closed (no code word given);
    commit."""
    audit.record("status.closed_shown", tenant_id=request.tenant_id,
                 object_type="support_request", object_id=request.id,
                 actor_label="status page")
    db.session.commit()
