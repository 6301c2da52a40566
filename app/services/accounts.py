"""Staff and partner accounts: creating them, changing their role, closing and reopening them,
resetting their second step or lock, and the one-time link with which a person sets their own
password. The administrator's pages and the ``flask user`` commands both use these functions;
each one records who did what in the audit log and commits.

An account is created without a password anyone knows: it gets the hash of a random secret,
and an e-mail (through the outbox) with a link to set a password. The link is a signed,
timestamped token that carries

- the account's id,
- a keyed fingerprint of the account's current password hash: setting a password changes the
  hash, so the link works once;
- the id of the audit event that sent it: a newer link replaces the older ones.

Nothing about links is stored besides that audit event, so no table or column is needed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.i18n import _, force_locale
from app.lifecycle import REQUEST_CLOSED
from app.limits import EMAIL_MAX, NAME_MAX
from app.messaging.outgoing.notices import mail, path_for, portal_url
from app.models import AuditEvent, Partner, SupportRequest, Team, Tenant, User, utcnow
from app.roles import ADMIN, PARTNER, ROLES, TEAM_ROLES
from app.security import password_problem
from app.services import audit
from app.services.errors import Conflict, DomainError, InvalidInput, NotFound
from app.services.passwords import hash_password

LIST_LIMIT = 500
INVITED = "user.invited"
_LINK_SALT = "wijkloket.set-password"
# A name goes into mail headers' neighbourhood and onto every page: no control characters.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class LinkProblem(DomainError):
    """A password link that cannot be used; ``kind`` is invalid, expired or used."""

    def __init__(self, kind: str) -> None:
        messages = {
            "invalid": _("This link does not work. Check that you used the whole link from "
                         "the e-mail, or ask your administrator for a new one."),
            "expired": _("This link has expired: it works for %(hours)d hours. Ask your "
                         "administrator for a new one.",
                         hours=current_app.config["PASSWORD_LINK_HOURS"]),
            "used": _("This link was used already, or a newer link was sent. Use the link in "
                      "the newest e-mail, or log in with your password."),
        }
        super().__init__(messages[kind])
        self.kind = kind
        self.status_code = 404 if kind == "invalid" else 410


# --- Reading ---------------------------------------------------------------------------------


def get(tenant_id: int, user_id: int) -> User:
    """The account ``user_id`` of the tenant; NotFound for another tenant's ids too."""
    user = db.session.get(User, user_id)
    if user is None or user.tenant_id != tenant_id:
        raise NotFound(_("This account does not exist."))
    return user


def find(tenant_id: int, *, role: str | None = None, active: bool | None = None,
         search: str | None = None) -> list[User]:
    """The tenant's accounts by name, filtered by role, active or not, and a part of the
    name or e-mail address (case-insensitive)."""
    query = select(User).where(User.tenant_id == tenant_id)
    if role in ROLES:
        query = query.where(User.role == role)
    if active is not None:
        query = query.where(User.active.is_(active))
    if search:
        # LIKE wildcards typed by the admin are searched for as characters.
        escaped = search.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{escaped}%"
        query = query.where(or_(func.lower(User.name).like(pattern, escape="\\"),
                                func.lower(User.email).like(pattern, escape="\\")))
    query = query.options(selectinload(User.team), selectinload(User.partner))
    return list(db.session.scalars(query.order_by(func.lower(User.name), User.id)
                                   .limit(LIST_LIMIT)))


def open_requests_coordinated(user: User) -> int:
    """Open requests with ``user`` as their coordinator: someone must take them over when the
    account is closed or moves to another team."""
    return db.session.scalar(
        select(func.count(SupportRequest.id)).where(
            SupportRequest.tenant_id == user.tenant_id,
            SupportRequest.coordinator_id == user.id,
            SupportRequest.status != REQUEST_CLOSED)) or 0


def teams(tenant_id: int) -> list[Team]:
    return list(db.session.scalars(select(Team).where(Team.tenant_id == tenant_id)
                                   .order_by(Team.name)))


def partners(tenant_id: int) -> list[Partner]:
    return list(db.session.scalars(select(Partner).where(Partner.tenant_id == tenant_id)
                                   .order_by(Partner.name)))


def by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


@dataclass(frozen=True)
class Invitation:
    """The newest password link sent to an account, and whether it is still open."""

    sent_at: dt.datetime
    valid_until: dt.datetime
    open: bool


def invitations(tenant_id: int, users: Sequence[User]) -> dict[int, Invitation]:
    """For each of ``users`` that was sent a password link: the newest one (one query)."""
    if not users:
        return {}
    rows = db.session.execute(
        select(AuditEvent.object_id, func.max(AuditEvent.created_at))
        .where(AuditEvent.tenant_id == tenant_id, AuditEvent.object_type == "user",
               AuditEvent.action == INVITED,
               AuditEvent.object_id.in_([user.id for user in users]))
        .group_by(AuditEvent.object_id)).all()
    sent = {user_id: at for user_id, at in rows}
    now, lifetime = utcnow(), _link_lifetime()
    found = {}
    for user in users:
        at = sent.get(user.id)
        if at is None:
            continue
        used = user.password_changed_at is not None and user.password_changed_at >= at
        found[user.id] = Invitation(sent_at=at, valid_until=at + lifetime,
                                    open=not used and at + lifetime > now)
    return found


def history(user: User, limit: int = 50) -> list[AuditEvent]:
    """The newest audit events about the account (logins, changes by an administrator)."""
    return list(db.session.scalars(
        select(AuditEvent).where(AuditEvent.tenant_id == user.tenant_id,
                                 AuditEvent.object_type == "user",
                                 AuditEvent.object_id == user.id)
        .order_by(AuditEvent.id.desc()).limit(limit)))


def actor_names(events: Sequence[AuditEvent]) -> dict[int, str]:
    ids = {event.actor_id for event in events if event.actor_id is not None}
    if not ids:
        return {}
    return dict(db.session.execute(select(User.id, User.name).where(User.id.in_(ids))).all())


# --- Checks ----------------------------------------------------------------------------------


def _check_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise InvalidInput(_("Enter the name."), "name")
    if len(name) > NAME_MAX:
        raise InvalidInput(_("Use at most %(max)d characters.", max=NAME_MAX), "name")
    if _CONTROL.search(name):
        raise InvalidInput(_("Use letters, spaces and punctuation only."), "name")
    return name


def _check_email(email: str) -> str:
    """The address, checked for its form (not for a mail server) and normalised."""
    email = (email or "").strip()
    if not email:
        raise InvalidInput(_("Enter the e-mail address."), "email")
    if len(email) > EMAIL_MAX:
        raise InvalidInput(_("Use at most %(max)d characters.", max=EMAIL_MAX), "email")
    try:
        return str(validate_email(email, check_deliverability=False).normalized)
    except EmailNotValidError as exc:
        raise InvalidInput(_("Enter an e-mail address like name@example.nl."), "email") from exc


def _check_placement(tenant_id: int, role: str, team_id: int | None,
                     partner_id: int | None) -> tuple[int | None, int | None]:
    """The (team, partner) the account gets with ``role``; what the role does not use is
    dropped, and what it needs must belong to the tenant."""
    if role not in ROLES:
        raise InvalidInput(_("Choose a role."), "role")
    if role in TEAM_ROLES:
        team = db.session.get(Team, team_id) if team_id else None
        if team is None or team.tenant_id != tenant_id:
            raise InvalidInput(_("Choose the team of this staff member or team lead."), "team")
        return team.id, None
    if role == PARTNER:
        partner = db.session.get(Partner, partner_id) if partner_id else None
        if partner is None or partner.tenant_id != tenant_id:
            raise InvalidInput(_("Choose the partner organisation of this person."), "partner")
        return None, partner.id
    return None, None


def _other_active_admins(user: User) -> int:
    """Active administrators of the tenant besides ``user``, locked until the commit on
    PostgreSQL, so two administrators cannot both remove the other at the same moment."""
    ids = db.session.scalars(
        select(User.id).where(User.tenant_id == user.tenant_id, User.role == ADMIN,
                              User.active.is_(True)).order_by(User.id).with_for_update()).all()
    return sum(1 for user_id in ids if user_id != user.id)


def _keep_an_admin(user: User) -> None:
    """Conflict when ``user`` is the tenant's last active administrator; the refusal rolls
    the transaction back, so the locks taken to count are not held any longer."""
    if user.role == ADMIN and user.active and _other_active_admins(user) == 0:
        db.session.rollback()
        raise Conflict(_("This is the last active administrator of the municipality. Make "
                         "another account administrator first."))


def _actor_fields(actor: User | None, actor_label: str | None) -> dict[str, Any]:
    return {"actor": actor, "actor_label": actor_label}


# --- Creating and changing -------------------------------------------------------------------


def create(tenant_id: int, *, name: str, email: str, role: str, team_id: int | None = None,
           partner_id: int | None = None, actor: User | None = None,
           actor_label: str | None = None) -> User:
    """A new account, with an e-mail inviting its owner to set a password.

    Raises InvalidInput (``field`` is name, email, role, team or partner) when a value is
    missing, wrong, or the e-mail address is in use already.
    """
    name = _check_name(name)
    email = _check_email(email)
    # An address is unique over every municipality (it is the login), but whether another
    # municipality uses it is none of this one's business: that refusal says nothing about
    # an account, and is logged for the application's administrators.
    taken = InvalidInput(_("There is already an account with this e-mail address."), "email")
    unusable = InvalidInput(_("This e-mail address cannot be used for a new account here. "
                              "Ask the person for another address."), "email")
    existing = by_email(email)
    if existing is not None:
        if existing.tenant_id != tenant_id:
            audit.record("accounts.address_refused", tenant_id=tenant_id, object_type="tenant",
                         object_id=tenant_id, **_actor_fields(actor, actor_label))
            db.session.commit()
            raise unusable
        raise taken
    team_id, partner_id = _check_placement(tenant_id, role, team_id, partner_id)
    user = User(tenant_id=tenant_id, name=name, email=email, role=role, team_id=team_id,
                partner_id=partner_id, active=True, password_hash=_unusable_hash(),
                recovery_codes=[], failed_logins=0)
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError as exc:  # the same address, added a moment ago by someone else
        db.session.rollback()
        raise unusable from exc
    audit.record("user.created", tenant_id=tenant_id, object_type="user", object_id=user.id,
                 role=role, team_id=team_id, partner_id=partner_id,
                 **_actor_fields(actor, actor_label))
    _send_link(user, first_time=True, actor=actor, actor_label=actor_label)
    db.session.commit()
    return user


def update(user: User, *, role: str, team_id: int | None, partner_id: int | None,
           actor: User) -> bool:
    """Change the account's role, team and partner; False when nothing changed.

    Raises InvalidInput as ``create`` does, and Conflict when it would take away the last
    active administrator, or the acting administrator's own role.
    """
    team_id, partner_id = _check_placement(user.tenant_id, role, team_id, partner_id)
    before = {"role": user.role, "team_id": user.team_id, "partner_id": user.partner_id}
    after = {"role": role, "team_id": team_id, "partner_id": partner_id}
    if before == after:
        return False
    if role != user.role and user.id == actor.id:
        raise Conflict(_("You cannot change your own role. Ask another administrator."))
    if role != ADMIN:
        _keep_an_admin(user)
    user.role, user.team_id, user.partner_id = role, team_id, partner_id
    changed = {key: [before[key], after[key]] for key in before if before[key] != after[key]}
    audit.record("user.updated", tenant_id=user.tenant_id, object_type="user",
                 object_id=user.id, actor=actor, changes=changed)
    db.session.commit()
    return True


def deactivate(user: User, *, actor: User) -> None:
    """Close the account: it cannot log in, and its sessions end at their next request."""
    if user.id == actor.id:
        raise Conflict(_("You cannot deactivate your own account."))
    if not user.active:
        return
    _keep_an_admin(user)
    user.active = False
    audit.record("user.deactivated", tenant_id=user.tenant_id, object_type="user",
                 object_id=user.id, actor=actor)
    db.session.commit()


def reactivate(user: User, *, actor: User) -> None:
    if user.active:
        return
    user.active = True
    audit.record("user.reactivated", tenant_id=user.tenant_id, object_type="user",
                 object_id=user.id, actor=actor)
    db.session.commit()


# --- Password, second step, lock (also ``flask user``) ---------------------------------------


def reset_mfa(user: User, *, actor: User | None = None, actor_label: str | None = None) -> None:
    """Remove the second step and the recovery codes (a lost phone): the account sets up a
    new one at its next login, and its sessions end."""
    user.totp_secret = None
    user.mfa_enabled_at = None
    user.recovery_codes = []
    audit.record("user.mfa_reset", tenant_id=user.tenant_id, object_type="user",
                 object_id=user.id, **_actor_fields(actor, actor_label))
    db.session.commit()


def unlock(user: User, *, actor: User | None = None, actor_label: str | None = None) -> None:
    """Lift a lock after too many failed logins, before it ends by itself."""
    user.locked_until = None
    user.failed_logins = 0
    audit.record("user.unlocked", tenant_id=user.tenant_id, object_type="user",
                 object_id=user.id, **_actor_fields(actor, actor_label))
    db.session.commit()


def set_password(user: User, password: str, *, actor: User | None = None,
                 actor_label: str | None = None, method: str) -> None:
    """Give the account ``password`` (the password policy applies; InvalidInput on field
    ``password`` otherwise). Its sessions end, and every open password link dies.

    ``method``: ``link`` (the owner, with a link from an e-mail) or ``cli``.
    """
    problem = password_problem(password, user.email)
    if problem:
        raise InvalidInput(problem, "password")
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()
    audit.record("user.password_set", tenant_id=user.tenant_id, object_type="user",
                 object_id=user.id, method=method, **_actor_fields(actor, actor_label))
    db.session.commit()


def send_link(user: User, *, actor: User | None = None, actor_label: str | None = None) -> None:
    """E-mail the account a new link to set its password; older links stop working.

    The current password keeps working until the link is used. Conflict for a deactivated
    account."""
    if not user.active:
        raise Conflict(_("This account is deactivated. Reactivate it first."))
    _send_link(user, first_time=False, actor=actor, actor_label=actor_label)
    db.session.commit()


# --- The password link -----------------------------------------------------------------------


def _link_lifetime() -> dt.timedelta:
    return dt.timedelta(hours=current_app.config["PASSWORD_LINK_HOURS"])


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_LINK_SALT)


def _unusable_hash() -> str:
    """A real argon2 hash of a secret nobody knows: no password matches it, and checking
    one against it takes as long as for any account (no timing difference at login)."""
    return hash_password(secrets.token_urlsafe(32))


def _fingerprint(user: User) -> str:
    """Changes with the password hash; keyed, so the link reveals nothing about it."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    digest = hmac.new(key, b"password-link\x00" + user.password_hash.encode(), hashlib.sha256)
    return digest.hexdigest()[:24]


def _latest_link_id(user: User) -> int | None:
    return db.session.scalar(
        select(func.max(AuditEvent.id)).where(AuditEvent.object_type == "user",
                                              AuditEvent.object_id == user.id,
                                              AuditEvent.action == INVITED))


def make_link_token(user: User, link_id: int) -> str:
    return _serializer().dumps({"u": user.id, "p": _fingerprint(user), "i": link_id})


def _send_link(user: User, *, first_time: bool, actor: User | None,
               actor_label: str | None) -> None:
    event = audit.record(INVITED, tenant_id=user.tenant_id, object_type="user",
                         object_id=user.id, first_time=first_time,
                         **_actor_fields(actor, actor_label))
    db.session.flush()
    token = make_link_token(user, event.id)
    tenant = db.session.get(Tenant, user.tenant_id)
    assert tenant is not None
    link = portal_url(path_for("auth.password_link", token=token))
    # Staff mails are in the municipality's language, as the other notices to staff.
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        subject = (_("Your account for Wijkloket %(tenant)s", tenant=tenant.name) if first_time
                   else _("Set a new password for Wijkloket %(tenant)s", tenant=tenant.name))
        mail(tenant, user.email, "user.invited", f"user-{user.id}-password-link-{event.id}",
             subject, "mail/account_password_link.txt", user=user, link=link,
             first_time=first_time, hours=current_app.config["PASSWORD_LINK_HOURS"],
             valid_until=utcnow() + _link_lifetime())


def user_for_link(token: str, *, for_update: bool = False) -> User:
    """The account a password link is for, while the link can be used; else LinkProblem:
    ``invalid`` (changed, cut short, or the account is closed), ``expired``, or ``used``
    (the password was set with it or since, or a newer link was sent)."""
    try:
        data = _serializer().loads(token, max_age=int(_link_lifetime().total_seconds()))
    except SignatureExpired as exc:
        raise LinkProblem("expired") from exc
    except BadSignature as exc:
        raise LinkProblem("invalid") from exc
    if not isinstance(data, dict) or not all(isinstance(data.get(k), int) for k in "ui") \
            or not isinstance(data.get("p"), str):
        raise LinkProblem("invalid")
    user = db.session.get(User, data["u"], with_for_update=for_update)
    if user is None or not user.active:
        raise LinkProblem("invalid")
    if not hmac.compare_digest(data["p"], _fingerprint(user)) \
            or _latest_link_id(user) != data["i"]:
        raise LinkProblem("used")
    return user


__all__ = ["Invitation", "LinkProblem", "create", "deactivate", "find", "get", "history",
           "invitations", "make_link_token", "open_requests_coordinated", "partners",
           "reactivate", "reset_mfa", "send_link", "set_password", "teams", "unlock", "update",
           "user_for_link"]
