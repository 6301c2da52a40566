"""Notices announcing a change, written to the outbox in the change's own transaction.

Mail bodies never carry special-category personal data (health, addiction, safety): only
the reference, the deadline and a link to log in.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, render_template

from app.i18n import _, force_locale
from app.messaging.transport.outbox import enqueue
from app.models import Partner, Referral, SupportRequest, Team, Tenant
from app.services.status_tokens import status_token


def path_for(endpoint: str, **values: object) -> str:
    """The URL path of ``endpoint``, also outside a web request (the worker's notices)."""
    return str(current_app.url_map.bind("localhost").build(endpoint, values))


def portal_url(path: str) -> str:
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + path


def mail(tenant: Tenant, to: str, event: str, key: str, subject: str, template: str,
          partner_id: int | None = None, resident_of: SupportRequest | None = None,
          **context: Any) -> None:
    """A mail through the outbox; ``resident_of``: to this request's resident (refused when
    contact is not safe, see :func:`app.messaging.transport.outbox.enqueue`)."""
    enqueue(
        tenant_id=tenant.id,
        channel="email",
        recipient=to,
        event=event,
        payload={"subject": subject, "body": render_template(template, tenant=tenant, **context)},
        idempotency_key=key,
        partner_id=partner_id,
        resident_of=resident_of,
    )


def _receiver_link(referral: Referral) -> str:
    if referral.target_partner_id is not None:
        return portal_url(f"/partner/referrals/{referral.id}")
    return portal_url(f"/staff/referrals/{referral.id}")


def _to_receiver(tenant: Tenant, request: SupportRequest, referral: Referral, event: str,
                 subject: str, template: str, *, name: str | None = None,
                 data: dict[str, object] | None = None, **context: Any) -> None:
    """A notice about a referral to whoever receives it: mail, and a webhook for partners.

    ``name`` makes the idempotency keys unique for events that happen more than once per
    referral; ``data`` goes into the webhook only (mails carry no personal details)."""
    target: Partner | Team | None = referral.target_partner or referral.target_team
    if target is None:
        return
    is_partner = isinstance(target, Partner)
    link = _receiver_link(referral)
    name = name or event.split(".", 1)[1]
    if target.email:
        mail(tenant, target.email, event, f"referral-{referral.id}-{name}-email", subject,
              template, partner_id=target.id if is_partner else None, request=request,
              referral=referral, target=target, link=link, **context)
    if isinstance(target, Partner) and target.webhook_url:
        enqueue(
            tenant_id=tenant.id,
            channel="webhook",
            recipient=target.webhook_url,
            event=event,
            payload={
                "type": event,
                "data": {
                    "referral_id": referral.id,
                    "reference": request.reference,
                    "state": referral.state,
                    "due_date": referral.due_date.isoformat(),
                    "url": link,
                    **(data or {}),
                },
            },
            idempotency_key=f"referral-{referral.id}-{name}-webhook",
            partner_id=target.id,
        )


def referral_sent(tenant: Tenant, request: SupportRequest, referral: Referral, *,
                  tell_resident: bool = True) -> None:
    """Tell the receiving partner (mail, webhook) or team (mail) about a new referral, and
    the resident who opted in (unless ``tell_resident`` is False: the caller tells them)."""
    with force_locale("nl"):
        _to_receiver(tenant, request, referral, "referral.sent",
                     _("New referral %(reference)s", reference=request.reference),
                     "mail/referral_sent.txt")
    if tell_resident:
        to_resident(tenant, request, "referred", referral)


def referral_handover(tenant: Tenant, request: SupportRequest, referral: Referral,
                      successor: Referral) -> None:
    """A contract transfer hands ``referral`` over to ``successor``'s partner: ask the old
    partner for a handover note while it keeps the referral (mail, webhook)."""
    with force_locale("nl"):
        _to_receiver(tenant, request, referral, "referral.handover",
                     _("Referral %(reference)s goes to another organisation",
                       reference=request.reference),
                     "mail/referral_handover.txt", name=f"handover-{successor.id}",
                     successor=successor,
                     data={"successor": successor.target_name,
                           "from": successor.transfer.on.isoformat()
                           if successor.transfer is not None else None})


def referral_taken_over(tenant: Tenant, request: SupportRequest, referral: Referral,
                        successor: Referral) -> None:
    """The successor of a contract transfer accepted: ``referral`` has ended at the old
    partner, which no longer helps the resident (mail, webhook)."""
    with force_locale("nl"):
        _to_receiver(tenant, request, referral, "referral.taken_over",
                     _("Referral %(reference)s is taken over by %(successor)s",
                       reference=request.reference, successor=successor.target_name),
                     "mail/referral_taken_over.txt", name=f"taken-over-{successor.id}",
                     successor=successor, data={"successor": successor.target_name})


def referral_updated(tenant: Tenant, request: SupportRequest, referral: Referral,
                     note_id: int, note: str) -> None:
    """The owning team shared a note: the receiver reads it in the portal (and webhook)."""
    with force_locale("nl"):
        _to_receiver(tenant, request, referral, "referral.updated",
                     _("Update about referral %(reference)s", reference=request.reference),
                     "mail/referral_updated.txt", name=f"updated-{note_id}",
                     data={"note": note})


def referral_reminder(tenant: Tenant, request: SupportRequest, referral: Referral) -> None:
    """The answer is due today: remind the receiver."""
    with force_locale("nl"):
        _to_receiver(tenant, request, referral, "referral.reminder",
                     _("Reminder: referral %(reference)s waits for your answer",
                       reference=request.reference),
                     "mail/referral_reminder.txt")


def referral_withdrawn(tenant: Tenant, request: SupportRequest, referral: Referral) -> None:
    """The owning team withdrew the referral: the receiver need not act any more."""
    with force_locale("nl"):
        _to_receiver(tenant, request, referral, "referral.withdrawn",
                     _("Referral %(reference)s was withdrawn", reference=request.reference),
                     "mail/referral_withdrawn.txt")


def referral_overdue(tenant: Tenant, request: SupportRequest, referral: Referral,
                     recipients: list[str]) -> None:
    """Alert the owning team's leads: a referral is a working day past its deadline."""
    with force_locale("nl"):
        for number, address in enumerate(recipients):
            mail(tenant, address, "referral.overdue",
                  f"referral-{referral.id}-overdue-email-{number}",
                  _("Referral %(reference)s is overdue", reference=request.reference),
                  "mail/referral_overdue.txt", request=request, referral=referral,
                  team=request.owner_team,
                  link=portal_url(f"/staff/requests/{request.reference}"))


def crisis_alert(tenant: Tenant, request: SupportRequest, owner: Team) -> None:
    """Alert the owning team at once about a request marked as danger or crisis."""
    if not owner.email:
        return
    with force_locale("nl"):
        mail(
            tenant,
            owner.email,
            "request.crisis",
            f"request-{request.id}-crisis-email",
            _("URGENT: crisis request %(reference)s", reference=request.reference),
            "mail/crisis_alert.txt",
            request=request,
            team=owner,
            link=portal_url(f"/staff/requests/{request.reference}"),
        )


def referral_returned_to_owner(
    tenant: Tenant, request: SupportRequest, referral: Referral, owner: Team
) -> None:
    """Tell the owning team that a referral came back (declined, expired, returned)."""
    if not owner.email:
        return
    with force_locale("nl"):
        mail(
            tenant,
            owner.email,
            f"referral.{referral.state}",
            f"referral-{referral.id}-{referral.state}-email",
            _("Referral %(reference)s came back", reference=request.reference),
            "mail/referral_back.txt",
            request=request,
            referral=referral,
            team=owner,
            link=portal_url(f"/staff/requests/{request.reference}"),
        )


_RESIDENT_SUBJECTS = {
    "received": lambda r: _("We received your question %(reference)s", reference=r.reference),
    "picked_up": lambda r: _("Someone is working on your question %(reference)s",
                             reference=r.reference),
    "referred": lambda r: _("News about your question %(reference)s", reference=r.reference),
    "closed": lambda r: _("Your question %(reference)s is closed", reference=r.reference),
    "transferred": lambda r: _("Another organisation will help you with your question "
                               "%(reference)s", reference=r.reference),
    "question": lambda r: _("A question about your request %(reference)s",
                            reference=r.reference),
    "question_reminder": lambda r: _("Reminder: a question about your request %(reference)s",
                                     reference=r.reference),
}


def to_resident(tenant: Tenant, request: SupportRequest, event: str,
                referral: Referral | None = None, *, key: str | None = None,
                asked: bool = False) -> None:
    """An e-mail to a resident who opted in, in their language, with the status link.

    ``asked``: the team asks the resident something, which goes to every resident who gave
    an e-mail address (that is what they gave it for), opted in to updates or not."""
    if not request.contact_email or not (request.email_updates or asked):
        return
    link = portal_url(path_for("resident.status", tenant=tenant.slug, reference=request.reference,
                              token=status_token(request)))
    key = key or (f"referral-{referral.id}-resident-{event}" if referral is not None
                  else f"request-{request.id}-resident-{event}")
    with force_locale(request.language or "nl"):
        mail(tenant, request.contact_email, f"resident.{event}", key,
              _RESIDENT_SUBJECTS[event](request), f"mail/resident_{event}.txt",
              resident_of=request, request=request, referral=referral, link=link)
