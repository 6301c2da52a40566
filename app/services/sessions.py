"""The bookkeeping of logging in and out, and of an account owner changing their own password
or recovery codes: what is counted, audited and committed.

The rules themselves (lockout, TOTP, recovery codes, password policy) live in ``app.security``;
the browser session (cookie, Flask-Login) stays with the views in ``app/auth.py``, which call
these functions before they start or end one.
"""

from __future__ import annotations

from typing import Any

from app import security
from app.extensions import db
from app.models import User, utcnow
from app.services import audit
from app.services.passwords import hash_password


def attempt_failed(user: User | None, *, stage: str, email: str | None = None) -> bool:
    """A login step that checks a secret failed for ``user`` (None: an unknown e-mail address,
    kept in the audit only if it looks like one); counted and audited, commit.

    ``stage`` as for :func:`app.security.record_failure`. Returns True when this failure
    locked the account."""
    locked = security.record_failure(user, stage=stage, email=email)
    db.session.commit()
    return locked


def login_refused(user: User, *, reason: str, ip: str | None) -> None:
    """A login was turned away before its password counted (``reason``: locked); audit,
    commit."""
    audit.record("user.login_refused", tenant_id=user.tenant_id, object_type="user",
                 object_id=user.id, actor_label="anonymous", reason=reason, ip=ip)
    db.session.commit()


def _record_login(user: User, *, method: str, ip: str | None, **details: Any) -> None:
    security.record_success(user)
    audit.record("user.login", tenant_id=user.tenant_id, object_type="user", object_id=user.id,
                 actor=user, method=method, ip=ip, **details)


def logged_in(user: User, *, method: str, ip: str | None, **details: Any) -> None:
    """The login is complete (``method``: password, totp, recovery_code): the failure count
    is reset and the login audited with ``details``; commit."""
    _record_login(user, method=method, ip=ip, **details)
    db.session.commit()


def give_totp_secret(user: User) -> None:
    """Store a new TOTP secret for the app to scan; not in use until a first code confirms
    it (:func:`enable_mfa`). Commit."""
    user.totp_secret = security.new_totp_secret()
    db.session.commit()


def enable_mfa(user: User, *, step: int, ip: str | None) -> list[str]:
    """The first code from the app (TOTP ``step``) was right: the second step is on, new
    recovery codes replace any old ones, and the login is complete (method totp_setup); one
    commit. Returns the recovery codes in plain text, to show once."""
    shown, hashes = security.new_recovery_codes()
    user.mfa_enabled_at = utcnow()
    user.recovery_codes = hashes
    audit.record("user.mfa_enabled", tenant_id=user.tenant_id, object_type="user",
                 object_id=user.id, actor=user, totp_step=step)
    _record_login(user, method="totp_setup", ip=ip)
    db.session.commit()
    return shown


def logged_out(user: User) -> None:
    """The user logged out; audit, commit."""
    audit.record("user.logout", tenant_id=user.tenant_id, object_type="user",
                 object_id=user.id, actor=user)
    db.session.commit()


def session_ended(user: User, *, reason: str) -> None:
    """The user's session ended without logging out (``reason``: idle, too_long,
    credentials_changed, …); audit, commit."""
    audit.record("user.session_ended", tenant_id=user.tenant_id, object_type="user",
                 object_id=user.id, actor=user, reason=reason)
    db.session.commit()


def change_password(user: User, new_password: str) -> None:
    """The owner changed their password (the caller checked the current one and the policy):
    stored hashed, the failure count reset, audited; commit. The caller refreshes the
    credential stamp, which ends the account's other sessions."""
    user.password_hash = hash_password(new_password)
    user.password_changed_at = utcnow()
    security.record_success(user)
    audit.record("user.password_changed", tenant_id=user.tenant_id, object_type="user",
                 object_id=user.id, actor=user)
    db.session.commit()


def renew_recovery_codes(user: User, *, step: int) -> list[str]:
    """New recovery codes replace the old ones, confirmed with TOTP ``step``; audit, commit.
    Returns them in plain text, to show once."""
    shown, hashes = security.new_recovery_codes()
    user.recovery_codes = hashes
    audit.record("user.recovery_codes_renewed", tenant_id=user.tenant_id,
                 object_type="user", object_id=user.id, actor=user, totp_step=step)
    db.session.commit()
    return shown


__all__ = ["attempt_failed", "change_password", "enable_mfa", "give_totp_secret",
           "logged_in", "logged_out", "login_refused", "renew_recovery_codes"]
