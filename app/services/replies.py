"""Standard reply texts per municipality and situation, kept by team leads.

A text may use placeholders in curly brackets; only the ones in ``PLACEHOLDERS`` exist, so a
typo is refused when the text is saved instead of reaching a resident.
"""

from __future__ import annotations

import re

from sqlalchemy import select

from app.extensions import db
from app.i18n import _
from app.limits import REPLY_BODY_MAX, REPLY_TITLE_MAX
from app.models import ReplyTemplate, SupportRequest, User
from app.services import audit
from app.services.errors import InvalidInput, NotFound

PLACEHOLDERS = ("reference", "name", "team", "coordinator")
AUDIENCES = ("resident", "partner")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")

#: Texts every municipality starts with (Dutch, B1); team leads change them.
DEFAULTS = (
    ("meer_informatie", "Meer informatie nodig", "resident",
     "Beste {name},\n\nWe willen u goed helpen met uw vraag {reference}. Daarvoor hebben we "
     "nog wat informatie nodig:\n\n- \n\nWilt u dit hieronder beantwoorden?\n\n"
     "Met vriendelijke groet,\n{coordinator}\n{team}"),
    ("afspraak", "Afspraak maken", "resident",
     "Beste {name},\n\nWe willen graag met u praten over uw vraag {reference}. Wanneer kunnen "
     "we u bellen of bij u langskomen? Schrijf hieronder een paar dagen en tijden die u "
     "passen.\n\nMet vriendelijke groet,\n{coordinator}\n{team}"),
    ("stand_van_zaken", "Stand van zaken voor de partner", "partner",
     "Over verwijzing {reference}: de inwoner is op de hoogte en verwacht uw telefoontje. "
     "Vragen? Neem contact op met {coordinator} van {team}."),
)


def check(body: str) -> None:
    unknown = sorted({name for name in _PLACEHOLDER.findall(body) if name not in PLACEHOLDERS})
    if unknown:
        raise InvalidInput(_("Unknown placeholder: %(names)s. You can use: %(known)s.",
                             names=", ".join("{" + n + "}" for n in unknown),
                             known=", ".join("{" + n + "}" for n in PLACEHOLDERS)), "body")


def fill(body: str, request: SupportRequest, user: User) -> str:
    values = {
        "reference": request.reference,
        "name": request.contact_name or "",
        "team": request.owner_team.name,
        "coordinator": request.coordinator.name if request.coordinator else user.name,
    }
    return _PLACEHOLDER.sub(lambda match: values.get(match.group(1), match.group(0)), body)


def for_tenant(tenant_id: int, audience: str | None = None) -> list[ReplyTemplate]:
    """The tenant's texts; the defaults are added the first time they are asked for."""
    existing = db.session.scalars(select(ReplyTemplate).where(
        ReplyTemplate.tenant_id == tenant_id).order_by(ReplyTemplate.title)).all()
    if not existing:
        for key, title, target, body in DEFAULTS:
            db.session.add(ReplyTemplate(tenant_id=tenant_id, key=key, title=title,
                                         audience=target, body=body))
        db.session.commit()
        return for_tenant(tenant_id, audience)
    return [t for t in existing if audience is None or t.audience == audience]


def get(tenant_id: int, template_id: int) -> ReplyTemplate:
    template = db.session.get(ReplyTemplate, template_id)
    if template is None or template.tenant_id != tenant_id:
        raise NotFound(_("This text does not exist."))
    return template


def save(user: User, template: ReplyTemplate | None, title: str, audience: str,
         body: str) -> ReplyTemplate:
    """Create or change a text (team leads); placeholders are checked first."""
    title, body = (title or "").strip(), (body or "").strip()
    if not title:
        raise InvalidInput(_("Give the text a title."), "title")
    if not body:
        raise InvalidInput(_("Write the text."), "body")
    if len(body) > REPLY_BODY_MAX:
        raise InvalidInput(_("Use at most %(max)d characters.", max=REPLY_BODY_MAX), "body")
    if audience not in AUDIENCES:
        raise InvalidInput(_("Choose for whom the text is."), "audience")
    check(body)
    if template is None:
        key = re.sub(r"[^a-z0-9]+", "_", title.lower()).strip("_")[:50] or "tekst"
        taken = set(db.session.scalars(select(ReplyTemplate.key).where(
            ReplyTemplate.tenant_id == user.tenant_id)))
        suffix = 1
        while (key if suffix == 1 else f"{key}_{suffix}") in taken:
            suffix += 1
        template = ReplyTemplate(tenant_id=user.tenant_id,
                                 key=key if suffix == 1 else f"{key}_{suffix}")
        db.session.add(template)
    template.title, template.audience, template.body = title[:REPLY_TITLE_MAX], audience, body
    template.updated_by_id = user.id
    db.session.flush()
    audit.record("reply_template.saved", tenant_id=user.tenant_id, object_type="reply_template",
                 object_id=template.id, actor=user, title=template.title)
    db.session.commit()
    return template


__all__ = ["AUDIENCES", "DEFAULTS", "PLACEHOLDERS", "check", "fill", "for_tenant", "get",
           "save"]
