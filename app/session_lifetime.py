"""The session lifetime check before every staff request (the rules: ``app.security``).

A session that was idle too long, lasted too long, belongs to a closed account or was started
before the password or second factor changed, ends here: the end is audited by
``app.services.sessions``, the user is logged out and told why on the login page.
"""

from __future__ import annotations

import hmac
import time
from typing import Any

from flask import Flask, current_app, flash, redirect, request, session, url_for
from flask_login import current_user, logout_user

from app.extensions import db
from app.i18n import _
from app.models import User
from app.security import credential_stamp, reset_session
from app.services import sessions


def init_app(app: Flask) -> None:
    app.before_request(_enforce_session_lifetime)


def _ended_because() -> str | None:
    """Why the logged-in session must end now, or None."""
    config = current_app.config
    now = time.time()
    seen, started = session.get("seen"), session.get("auth_at")
    if not isinstance(seen, int | float) or not isinstance(started, int | float):
        return "unknown"
    if now - seen > config["SESSION_IDLE_MINUTES"] * 60:
        return "idle"
    if now - started > config["SESSION_MAX_HOURS"] * 3600:
        return "too_long"
    user = current_user._get_current_object()
    if not isinstance(user, User) or not user.active:
        return "account_closed"  # (Flask-Login already treats it as anonymous)
    if not hmac.compare_digest(str(session.get("cred", "")), credential_stamp(user)):
        return "credentials_changed"
    return None


def _enforce_session_lifetime() -> Any:
    if request.endpoint == "static" or request.blueprint == "api" or "_user_id" not in session:
        return None
    reason = _ended_because()
    if reason is None:
        session["seen"] = time.time()
        return None
    config = current_app.config
    messages = {
        "idle": _("You were logged out because you did nothing for %(minutes)d minutes. "
                  "Log in again.", minutes=config["SESSION_IDLE_MINUTES"]),
        "too_long": _("You were logged out because you were logged in for %(hours)d hours. "
                      "Log in again.", hours=config["SESSION_MAX_HOURS"]),
        "credentials_changed": _("You were logged out because the password or the second "
                                 "step of your account was changed. Log in again."),
    }
    user = db.session.get(User, int(session["_user_id"]))
    if user is not None:
        sessions.session_ended(user, reason=reason)
    logout_user()
    reset_session()
    flash(messages.get(reason, _("You were logged out. Log in again.")), "info")
    if request.endpoint == "auth.login":
        return None
    return redirect(url_for("auth.login"))
