"""Logging in and out; password hashing; role checks."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Blueprint, abort, redirect, render_template, url_for
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import func, select
from wtforms import PasswordField, StringField
from wtforms.validators import InputRequired, Length

from app.extensions import db, limiter, login_manager
from app.forms.base import BaseForm
from app.i18n import _, _l
from app.models import User
from app.services import audit

bp = Blueprint("auth", __name__)
_hasher = PasswordHasher()
# Verified against when the e-mail is unknown, so a failed login takes the same time.
_DUMMY_HASH = _hasher.hash("wijkloket-dummy-password")

F = TypeVar("F", bound=Callable[..., Any])

HOME_BY_ROLE = {
    "staff": "staff.queue",
    "team_lead": "staff.queue",
    "partner": "partner.referrals",
    "admin": "admin.index",
}


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    return db.session.get(User, int(user_id))


def roles_required(*roles: str) -> Callable[[F], F]:
    """Only users with one of ``roles`` may use the view; others get 403."""

    def decorator(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


class LoginForm(BaseForm):
    email = StringField(
        _l("E-mail address"),
        validators=[InputRequired(message=_l("Enter your e-mail address.")), Length(max=254)],
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[InputRequired(message=_l("Enter your password.")), Length(max=200)],
        render_kw={"autocomplete": "current-password"},
    )


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def login() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for(HOME_BY_ROLE.get(current_user.role, "resident.index")))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        user = db.session.scalar(
            select(User).where(func.lower(User.email) == form.email.data.lower())
        )
        valid = verify_password(user.password_hash if user else _DUMMY_HASH, form.password.data)
        if user is not None and valid and user.active:
            login_user(user)
            audit.record("user.login", tenant_id=user.tenant_id, object_type="user",
                         object_id=user.id, actor=user)
            db.session.commit()
            return redirect(url_for(HOME_BY_ROLE[user.role]))
        error = _("The e-mail address or password is not correct.")
    return render_template("auth/login.html", form=form, error=error)


@bp.route("/logout", methods=["POST"])
def logout() -> Any:
    logout_user()
    return redirect(url_for("auth.login"))
