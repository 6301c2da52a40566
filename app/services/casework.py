"""Working on a request: notes, contact moments, the timeline, and the version check that
keeps two colleagues from overwriting each other's change (optimistic locking).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta
from sqlalchemy import case, or_, select, update
from stdnum.nl import bsn

from app.calendar import today as local_today
from app.extensions import db
from app.i18n import _
from app.limits import NOTE_MAX, REASON_MAX
from app.messaging.outgoing import notices
from app.models import (
    AuditEvent,
    ContactMoment,
    Note,
    Referral,
    ResidentMessage,
    SupportRequest,
    Task,
    Tenant,
    User,
    utcnow,
)
from app.services import access_log, audit, progression, request_figures, safe_contact
from app.services.errors import Conflict, InvalidInput
from app.services.referrals import owned_request, referral_for, request_for_staff
from app.services.tasks import add_task

#: Referrals whose receiver is still working with the resident and hears about updates.
SHARED_STATES = ("sent", "accepted", "in_progress")
CONTACT_KINDS = ("called", "no_answer", "spoke", "visited", "not_home", "message", "letter")
#: Audit actions that are looking, not changing: the access log shows them, the timeline not.
VIEW_ACTIONS = ("request.viewed", "referral.viewed", "request.bsn_revealed",
                "access.refused")


class Stale(Conflict):
    """The request changed since the user opened it; ``changes`` says what changed."""

    def __init__(self, changes: list[TimelineEntry]) -> None:
        super().__init__(_("This request changed since you opened it. Look at the changes "
                           "below, then do your step again if it is still needed."))
        self.changes = changes


@dataclass(frozen=True)
class TimelineEntry:
    at: dt.datetime
    kind: str  # an audit action (request.closed, referral.declined, …), note or contact
    actor: str
    text: str | None = None
    reason: str | None = None
    event_id: int | None = None
    shareable: bool | None = None
    code: str | None = None  # the contact's kind, a referral's outcome


def check_version(request: SupportRequest, version: int | None, seen_event: int | None) -> None:
    """Refuse a change posted from a page showing an older version of the request.

    The database checks it again on UPDATE (``version_id_col``), so a race between two
    posts also ends in :class:`Stale` (see :func:`stale_after_race`)."""
    if version is None or version != request.version:
        raise Stale(changes_since(request, seen_event))


def changes_since(request: SupportRequest, seen_event: int | None) -> list[TimelineEntry]:
    return [entry for entry in timeline(request)
            if entry.event_id is not None and entry.event_id > (seen_event or 0)]


def _text(value: str | None, field: str, missing: str, maximum: int) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidInput(missing, field)
    if len(value) > maximum:
        raise InvalidInput(_("Use at most %(max)d characters.", max=maximum), field)
    return value


def add_note(user: User, reference: str, body: str, shareable: bool) -> Note:
    """A note on the request; a shareable one (with the resident's consent) also goes to the
    partners and teams working on its live referrals as an update."""
    request = owned_request(user, reference)
    body = _text(body, "body", _("Write a note."), NOTE_MAX)
    note = Note(tenant_id=request.tenant_id, request_id=request.id, author_id=user.id,
                body=body, shareable=shareable)
    db.session.add(note)
    db.session.flush()
    audit.record("request.note_added", tenant_id=request.tenant_id,
                 object_type="support_request", object_id=request.id, actor=user,
                 note_id=note.id, shareable=shareable)
    if shareable and request.consent_share:
        # A shareable note is the owning team's update to everyone helping the resident.
        tenant = db.session.get(Tenant, request.tenant_id)
        assert tenant is not None
        for referral in request.referrals:
            if referral.state in SHARED_STATES:
                notices.referral_updated(tenant, request, referral, note.id, body)
    db.session.commit()
    return note


def log_contact(user: User, reference: str, kind: str, note: str | None,
                happened_at: dt.datetime | None = None) -> ContactMoment:
    request = owned_request(user, reference)
    if kind not in CONTACT_KINDS:
        raise InvalidInput(_("Choose what happened."), "kind")
    note = (note or "").strip() or None
    if note and len(note) > REASON_MAX:
        raise InvalidInput(_("Use at most %(max)d characters.", max=REASON_MAX), "note")
    now = utcnow()
    happened_at = happened_at or now
    if happened_at > now + dt.timedelta(minutes=5):
        raise InvalidInput(_("The time cannot be in the future."), "happened_at")
    moment = ContactMoment(tenant_id=request.tenant_id, request_id=request.id,
                           author_id=user.id, kind=kind, note=note, happened_at=happened_at)
    db.session.add(moment)
    db.session.flush()
    _keep_first_contact(request, happened_at)
    audit.record("request.contact_logged", tenant_id=request.tenant_id,
                 object_type="support_request", object_id=request.id, actor=user,
                 contact_id=moment.id, kind=kind)
    db.session.commit()
    return moment


def _keep_first_contact(request: SupportRequest, happened_at: dt.datetime) -> None:
    """Keep ``first_contact_at`` the earliest contact moment (one may be logged afterwards
    with an earlier time). One UPDATE that compares in the database, so two colleagues
    logging at once both count; it is a derived moment, not an edit of the request, so the
    request's version (the colleague's open form) and ``updated_at`` stay as they are."""
    column = SupportRequest.first_contact_at
    earliest = case((or_(column.is_(None), column > happened_at), happened_at), else_=column)
    db.session.execute(update(SupportRequest).where(SupportRequest.id == request.id)
                       .values(first_contact_at=earliest, updated_at=SupportRequest.updated_at)
                       .execution_options(synchronize_session=False))
    request_figures.refresh(db.session.connection(), [request.id])


def record_bsn(user: User, request: SupportRequest, value: str) -> None:
    """Record the resident's BSN after the 11-proof (the caller checked ownership).

    The number itself never goes into the audit log, only that it was recorded."""
    number = bsn.compact(value or "")
    if not number:
        raise InvalidInput(_("Enter the BSN."), "bsn")
    if not bsn.is_valid(number):
        raise InvalidInput(_("This is not a valid BSN. Check the 9 digits."), "bsn")
    request.bsn = number
    audit.record("request.bsn_recorded", tenant_id=request.tenant_id,
                 object_type="support_request", object_id=request.id, actor=user)
    db.session.commit()


def mark_contact_unsafe(user: User, reference: str, *, safe_phone: str | None,
                        safe_times: str | None, code_word: str | None) -> int:
    """A member of the owning team marks the request's contact as not safe, with the safe
    way to reach the resident (:mod:`app.services.safe_contact`); commit. Returns how many
    waiting messages to the resident were refused."""
    request = owned_request(user, reference)
    refused = safe_contact.mark_unsafe(request, by=safe_contact.BY_STAFF, user=user,
                                       safe_phone=safe_phone, safe_times=safe_times,
                                       code_word=code_word)
    db.session.commit()
    return refused


def mark_contact_safe(user: User, reference: str, reason: str) -> None:
    """A member of the owning team says contact is safe again, and why; commit."""
    safe_contact.mark_safe(user, owned_request(user, reference), reason)
    db.session.commit()


#: A resident's request about their own data: to correct it (AVG art. 16) or to erase it
#: (art. 17); the municipality answers within a month of receipt (art. 12(3)).
RIGHTS_KINDS = ("rights_correction", "rights_erasure")


def record_rights_request(user: User, reference: str, *, kind: str, received_on: dt.date,
                          note: str) -> Task:
    """A member of the owning team records that the resident asked to correct or erase
    data: a task for the team, due one month after ``received_on``; audited, committed.
    Also on a closed request: the data is still there."""
    request = owned_request(user, reference)
    if kind not in RIGHTS_KINDS:
        raise InvalidInput(_("Choose what the resident asks."), "kind")
    note = (note or "").strip()
    if not note:
        raise InvalidInput(_("Write down which data it is about."), "note")
    if len(note) > REASON_MAX:
        raise InvalidInput(_("Use at most %(max)d characters.", max=REASON_MAX), "note")
    if received_on > local_today():
        raise InvalidInput(_("This date is in the future."), "received_on")
    due = received_on + relativedelta(months=1)
    asked = kind
    task = add_task(request, request.owner_team_id, asked, note, due_on=due)
    db.session.flush()
    audit.record("request.rights_requested", tenant_id=request.tenant_id,
                 object_type="support_request", object_id=request.id, actor=user,
                 asked=asked, received_on=received_on.isoformat(), due_on=due.isoformat())
    db.session.commit()
    return task


def masked_bsn(number: str | None) -> str | None:
    """Only the last three digits, e.g. ******782."""
    return None if not number else "*" * (len(number) - 3) + number[-3:]


def reveal_bsn(user: User, request: SupportRequest) -> str | None:
    """Show the full BSN: the reveal is logged as a view of personal data."""
    if request.bsn is None:
        return None
    audit.record("request.bsn_revealed", tenant_id=request.tenant_id,
                 object_type="support_request", object_id=request.id, actor=user,
                 outside_owning_team=user.team_id != request.owner_team_id)
    db.session.commit()
    return request.bsn


def shareable_notes(request: SupportRequest) -> list[Note]:
    """Notes a receiving partner may read (only with the resident's consent to share)."""
    if not request.consent_share:
        return []
    return list(db.session.scalars(select(Note).where(
        Note.request_id == request.id, Note.shareable.is_(True)).order_by(Note.id)))


def timeline(request: SupportRequest) -> list[TimelineEntry]:
    """Everything that happened to the request, oldest first (views excluded)."""
    # A merged duplicate's history belongs to the request it was merged into.
    request_ids = [request.id, *db.session.scalars(select(SupportRequest.id).where(
        SupportRequest.merged_into_id == request.id))]
    referrals = db.session.scalars(select(Referral).where(
        Referral.request_id.in_(request_ids))).all()
    referral_ids = [referral.id for referral in referrals]
    task_ids = list(db.session.scalars(select(Task.id).where(Task.request_id.in_(request_ids))))
    events = db.session.scalars(select(AuditEvent).where(
        AuditEvent.tenant_id == request.tenant_id,
        AuditEvent.action.not_in(VIEW_ACTIONS),
        or_(
            (AuditEvent.object_type == "support_request")
            & AuditEvent.object_id.in_(request_ids),
            (AuditEvent.object_type == "referral") & AuditEvent.object_id.in_(referral_ids),
            (AuditEvent.object_type == "task") & AuditEvent.object_id.in_(task_ids),
        )).order_by(AuditEvent.id)).all()
    notes = {note.id: note for note in db.session.scalars(
        select(Note).where(Note.request_id.in_(request_ids)))}
    contacts = {moment.id: moment for moment in db.session.scalars(
        select(ContactMoment).where(ContactMoment.request_id.in_(request_ids)))}
    targets = {referral.id: referral.target_name for referral in referrals}
    messages = {message.id: message for message in db.session.scalars(
        select(ResidentMessage).where(ResidentMessage.request_id.in_(request_ids)))}
    entries = []
    for event in events:
        details = event.details or {}
        text: str | None = None
        shareable = None
        code = details.get("kind") or details.get("outcome")
        at = event.created_at
        if event.action == "request.note_added" and details.get("note_id") in notes:
            note = notes[details["note_id"]]
            text, shareable = note.body, note.shareable
        elif event.action == "request.contact_logged" and details.get("contact_id") in contacts:
            moment = contacts[details["contact_id"]]
            text, at = moment.note, moment.happened_at
        elif event.action in ("request.resident_asked", "request.resident_replied") and \
                details.get("message_id") in messages:
            text = messages[details["message_id"]].body
        elif event.action in progression.EVENTS:
            text = progression.event_text(details)
        elif event.object_type == "referral":
            text = targets.get(event.object_id or 0)
        entries.append(TimelineEntry(at=at, kind=event.action, actor=_actor(event),
                                     text=text, reason=event.reason, event_id=event.id,
                                     shareable=shareable, code=code))
    return entries


def _actor(event: AuditEvent) -> str:
    if event.actor_id is not None:
        user = db.session.get(User, event.actor_id)
        if user is not None:
            return user.name
    if event.actor_label.startswith("resident"):
        return _("The resident")
    return _("Wijkloket (automatic)")


def open_request(user: User, reference: str) -> SupportRequest:
    """The request for its page, found as :func:`request_for_staff` finds it (NotFound
    otherwise); the view goes into the access log. Commit."""
    request = request_for_staff(user, reference)
    access_log.request_viewed(user, request)
    db.session.commit()
    return request


def open_referral(user: User, referral_id: int) -> Referral:
    """The referral for its receiver's page, found as :func:`referral_for` finds it
    (NotFound otherwise); the view goes into the access log. Commit."""
    referral = referral_for(user, referral_id)
    access_log.referral_viewed(user, referral)
    db.session.commit()
    return referral


__all__ = ["CONTACT_KINDS", "Stale", "TimelineEntry", "add_note", "changes_since",
           "check_version", "log_contact", "masked_bsn", "open_referral", "open_request",
           "record_bsn", "reveal_bsn", "shareable_notes", "timeline"]
