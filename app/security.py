"""Security of the staff side: the second factor, lockout, the password policy, the session
lifetime, and the response headers ``app/__init__`` does not set.

Settings (defaults below; the environment or ``create_app(config)`` overrides them):

``MFA_REQUIRED``           every account needs a second factor (TOTP) to log in (default on)
``MFA_PENDING_MINUTES``    time between the password and the second step (10)
``LOGIN_MAX_FAILURES``     failed attempts in a row before the account is locked (5)
``LOGIN_LOCKOUT_MINUTES``  how long it stays locked (15)
``SESSION_IDLE_MINUTES``   logged out after this long without a request (30)
``SESSION_MAX_HOURS``      logged out this long after logging in, active or not (12)
``PASSWORD_MIN_LENGTH``    shortest password accepted (12)
``PASSWORD_LINK_HOURS``    how long a link to set a password works (72)

The session is Flask's signed cookie: it cannot be changed by the browser, but it cannot be
revoked on the server either. So each session carries when it started, when it was last used
and a stamp of the account's credentials; a request with an old session, or after the password
or second factor changed, is logged out.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import io
import logging
import os
import re
import secrets
import time
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pyotp
import segno
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Flask, current_app, request, session
from markupsafe import Markup
from sqlalchemy import select
from wtforms import Field, Form, ValidationError

from app.config import DEV_SECRET, _bool
from app.extensions import db
from app.i18n import _
from app.models import AuditEvent, User, utcnow
from app.services import audit

log = logging.getLogger(__name__)


def default_settings() -> dict[str, Any]:
    env = os.environ
    return {
        "MFA_REQUIRED": _bool(env.get("MFA_REQUIRED"), True),
        "MFA_PENDING_MINUTES": int(env.get("MFA_PENDING_MINUTES", 10)),
        "LOGIN_MAX_FAILURES": int(env.get("LOGIN_MAX_FAILURES", 5)),
        "LOGIN_LOCKOUT_MINUTES": int(env.get("LOGIN_LOCKOUT_MINUTES", 15)),
        "SESSION_IDLE_MINUTES": int(env.get("SESSION_IDLE_MINUTES", 30)),
        "SESSION_MAX_HOURS": int(env.get("SESSION_MAX_HOURS", 12)),
        "PASSWORD_MIN_LENGTH": int(env.get("PASSWORD_MIN_LENGTH", 12)),
        "PASSWORD_LINK_HOURS": int(env.get("PASSWORD_LINK_HOURS", 72)),
    }


def init_app(app: Flask) -> None:
    """Add the settings' defaults and the extra headers (the session lifetime check is
    ``app.session_lifetime``)."""
    for key, value in default_settings().items():
        app.config.setdefault(key, value)
    if app.config["ENV_NAME"] == "production" and not app.config["MFA_REQUIRED"]:
        log.warning("MFA_REQUIRED is off in production: accounts can log in with a password only")
    app.after_request(_extra_headers)


# --- Headers ---------------------------------------------------------------------------------
# Content-Security-Policy, X-Content-Type-Options, Referrer-Policy, X-Frame-Options and
# Cache-Control are set in app/__init__.py; these complete the set.

PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=()"
)
HSTS = "max-age=31536000; includeSubDomains"


def _extra_headers(response: Any) -> Any:
    headers = response.headers
    headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
    # Only over HTTPS: a browser that saw it on plain HTTP (the local demo) would insist on
    # HTTPS for this host for a year.
    if current_app.config["ENV_NAME"] == "production" or request.is_secure:
        headers.setdefault("Strict-Transport-Security", HSTS)
    return response


# --- Session lifetime ------------------------------------------------------------------------


def credential_stamp(user: User) -> str:
    """Changes whenever the password or the second factor changes (keyed: reveals nothing)."""
    material = "\x00".join((user.password_hash, user.totp_secret or "",
                            str(user.mfa_enabled_at or "")))
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, material.encode(), hashlib.sha256).hexdigest()[:32]


def reset_session() -> None:
    """Empty the session, keeping only the chosen language."""
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language


def start_session(user: User) -> None:
    """Stamp a session just logged in (call right after ``login_user``)."""
    now = time.time()
    session["auth_at"] = now
    session["seen"] = now
    session["cred"] = credential_stamp(user)


def refresh_credentials(user: User) -> None:
    """Keep this session valid after the user changed their own credentials."""
    session["cred"] = credential_stamp(user)


# --- Lockout ---------------------------------------------------------------------------------

_EMAILISH = re.compile(r"[^@\s]{1,64}@[^@\s]{1,190}")


def is_locked(user: User) -> bool:
    return user.locked_until is not None and user.locked_until > utcnow()


def record_failure(user: User | None, *, stage: str, email: str | None = None) -> bool:
    """Count a failed login step for ``user`` (None: an unknown e-mail address) and audit it.

    ``stage`` is password, second_factor, enrolment, password_change or recovery_codes.
    Returns True when this failure locked the account. The caller commits.
    """
    details: dict[str, Any] = {"stage": stage, "ip": request.remote_addr}
    if user is None:
        # What was typed may be a password in the wrong box: keep it only if it looks like
        # an e-mail address.
        typed = email if email and _EMAILISH.fullmatch(email) else "(not an e-mail address)"
        audit.record("user.login_failed", tenant_id=None, object_type="user", object_id=None,
                     actor_label="anonymous", email=typed, **details)
        return False
    # Counted in SQL, so parallel attempts cannot overwrite each other's count.
    user.failed_logins = User.failed_logins + 1  # type: ignore[assignment]
    db.session.flush()
    failures = user.failed_logins
    audit.record("user.login_failed", tenant_id=user.tenant_id, object_type="user",
                 object_id=user.id, actor_label="anonymous", failures=failures, **details)
    if failures < current_app.config["LOGIN_MAX_FAILURES"]:
        return False
    minutes = current_app.config["LOGIN_LOCKOUT_MINUTES"]
    user.locked_until = utcnow() + dt.timedelta(minutes=minutes)
    user.failed_logins = 0  # after the lock, a fresh set of attempts
    audit.record("user.locked", tenant_id=user.tenant_id, object_type="user", object_id=user.id,
                 actor_label="system", reason=f"{failures} failed attempts",
                 until=user.locked_until.isoformat(timespec="seconds"), minutes=minutes)
    return True


def record_success(user: User) -> None:
    user.failed_logins = 0
    user.locked_until = None


# --- Second factor: TOTP (RFC 6238) and recovery codes ---------------------------------------

TOTP_INTERVAL = 30  # seconds per code
ISSUER = "Wijkloket"
# Audit actions that accepted a TOTP code; their ``totp_step`` detail stops its reuse.
TOTP_ACTIONS = ("user.login", "user.mfa_enabled", "user.recovery_codes_renewed")
# A code is accepted at most 90 s after its window started; older audit rows cannot matter.
TOTP_REPLAY_LOOKBACK = dt.timedelta(minutes=5)


def totp_clock() -> float:
    """Seconds since the epoch, for TOTP only (the tests move it on to log in twice in 30 s)."""
    return time.time()


def new_totp_secret() -> str:
    return pyotp.random_base32(32)  # 160 bits, as RFC 4226 recommends


def provisioning_uri(user: User) -> str:
    assert user.totp_secret is not None
    return pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_svg(data: str) -> Markup:
    """``data`` as a QR code in inline SVG (made here: no image service sees the secret)."""
    buffer = io.BytesIO()
    segno.make(data, error="m").save(buffer, kind="svg", xmldecl=False, svgns=True, scale=5,
                                     dark="#000", light="#fff", svgclass="qr-code",
                                     lineclass=None)
    return Markup(buffer.getvalue().decode("ascii"))  # noqa: S704 - segno's own SVG


def grouped_secret(secret: str) -> str:
    """The secret in blocks of four, easier to type into an app."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def last_totp_step(user_id: int) -> int | None:
    """The newest TOTP time step this account used, if it used one in the last minutes.

    Kept in the audit log (``totp_step`` of the events in ``TOTP_ACTIONS``): the user table has
    no column for it, and the audit log is shared by every process, unlike a memory cache.
    The events are about the user (object ``user``/id), which an index on the audit log's
    object finds quickly.
    """
    since = utcnow() - TOTP_REPLAY_LOOKBACK
    rows = db.session.scalars(
        select(AuditEvent.details).where(AuditEvent.object_type == "user",
                                         AuditEvent.object_id == user_id,
                                         AuditEvent.actor_id == user_id,
                                         AuditEvent.action.in_(TOTP_ACTIONS),
                                         AuditEvent.created_at >= since)
    )
    steps = [row.get("totp_step") for row in rows if isinstance(row, dict)]
    return max((step for step in steps if isinstance(step, int)), default=None)


def _acceptable_steps(user: User) -> list[int]:
    """Time steps whose code is accepted now: previous, current and next (pyotp's
    ``valid_window=1``; the next one allows for a phone clock that runs a little fast),
    minus those at or before a step already used (RFC 6238 §5.2: a code works once)."""
    current = int(totp_clock() // TOTP_INTERVAL)
    last = last_totp_step(user.id)
    return [step for step in (current, current - 1, current + 1)
            if last is None or step > last]


def check_totp(user: User, code: str) -> int | None:
    """The time step of ``code`` when it is a valid, unused TOTP code for ``user``; else None.

    The caller records the step in the audit event of what the code allowed (see
    ``TOTP_ACTIONS``) in the same transaction.
    """
    if not user.totp_secret or not re.fullmatch(r"\d{6}", code):
        return None
    totp = pyotp.TOTP(user.totp_secret)
    for step in _acceptable_steps(user):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def demo_code(user: User) -> str | None:
    """The code a demo account can use now, shown only in the local demo (never in production:
    it needs the development secret key, which production refuses)."""
    from app.services.demo import DEMO_TOTP_SECRET

    config = current_app.config
    if (config["ENV_NAME"] == "production" or config["SECRET_KEY"] != DEV_SECRET
            or user.totp_secret != DEMO_TOTP_SECRET):
        return None
    steps = sorted(_acceptable_steps(user))
    return pyotp.TOTP(user.totp_secret).generate_otp(steps[0]) if steps else None


RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: easy to read back
RECOVERY_CODE_LENGTH = 10  # about 50 bits each
RECOVERY_CODE_COUNT = 10
# Recovery codes are random, not chosen by people, so argon2 at the OWASP minimum (19 MiB,
# 2 passes, ~40 ms) is plenty, and checking ten of them stays quick.
_recovery_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


def normalise_code(text: str) -> str:
    """What the user typed, without spaces and dashes, in lower case."""
    return re.sub(r"[\s-]+", "", text).lower()


def new_recovery_codes() -> tuple[list[str], list[str]]:
    """Fresh recovery codes: (as shown to the user, argon2 hashes to store)."""
    codes = ["".join(secrets.choice(RECOVERY_ALPHABET) for _i in range(RECOVERY_CODE_LENGTH))
             for _n in range(RECOVERY_CODE_COUNT)]
    shown = [f"{code[:5]}-{code[5:]}" for code in codes]
    return shown, [_recovery_hasher.hash(code) for code in codes]


def use_recovery_code(user: User, code: str) -> bool:
    """True, and the code is struck off, when ``code`` is one of ``user``'s recovery codes."""
    if not re.fullmatch(f"[{RECOVERY_ALPHABET}]{{{RECOVERY_CODE_LENGTH}}}", code):
        return False
    stored = list(user.recovery_codes or [])
    for index, hashed in enumerate(stored):
        try:
            _recovery_hasher.verify(hashed, code)
        except (VerificationError, InvalidHashError):
            continue
        user.recovery_codes = stored[:index] + stored[index + 1:]  # a new list: JSON is saved
        return True
    return False


# --- Password policy -------------------------------------------------------------------------

COMMON_PASSWORDS = Path(__file__).parent / "data" / "common_passwords.txt"
# Simple letter swaps people use to "strengthen" a word (p@ssw0rd).
_SWAPS = (str.maketrans("@4038$5!17+", "aaoebssiitt"),  # 1 as i
          str.maketrans("@4038$5!17+", "aaoebssiltt"))  # 1 as l
_AROUND_A_WORD = re.compile(r"^[\W\d_]+|[\W\d_]+$")


@cache
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def is_common(password: str) -> bool:
    """True for a password on the common list, also with digits or symbols around it or
    letters swapped for look-alikes, and for passwords of a few characters or one repeated
    part (``aaaaaaaaaaaa``, ``abcabcabcabc``)."""
    lowered = password.lower()
    if len(set(lowered)) < 5 or re.fullmatch(r"(.{1,8}?)\1+", lowered, flags=re.DOTALL):
        return True
    word = _AROUND_A_WORD.sub("", lowered)
    candidates = {lowered, word}
    for swap in _SWAPS:
        swapped = lowered.translate(swap)
        candidates |= {swapped, word.translate(swap), _AROUND_A_WORD.sub("", swapped)}
    common = common_passwords()
    return any(len(candidate) >= 4 and candidate in common for candidate in candidates)


def password_problem(password: str, email: str | None) -> str | None:
    """Why ``password`` may not be used by the account ``email`` (translated), or None."""
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(password) < minimum:
        return _("Use at least %(min)d characters.", min=minimum)
    lowered = password.lower()
    if email:
        address = email.strip().lower()
        name = re.sub(r"[\W\d_]+", "", address.split("@", 1)[0])
        if address in lowered or (name and re.sub(r"[\W\d_]+", "", lowered) == name):
            return _("Do not use your e-mail address in your password.")
    if is_common(password):
        return _("This password is too common or too easy to guess. Choose another one, for "
                 "example a sentence of four or more words.")
    return None


class PasswordPolicy:
    """WTForms validator for a new password; ``email`` gives the account's e-mail address."""

    def __init__(self, email: Callable[[Form], str | None]) -> None:
        self.email = email

    def __call__(self, form: Form, field: Field) -> None:
        problem = password_problem(field.data or "", self.email(form))
        if problem:
            raise ValidationError(problem)
