"""Logging in (password, then a second factor), logging out, the account pages; role
checks. The rules themselves (lockout, TOTP, password policy, session lifetime) live in
``app.security``; password hashing in ``app.services.passwords``.

A login has two steps. After the password the session holds only a short-lived "pending"
mark; Flask-Login's ``login_user`` runs after the second factor (or after enrolling one).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import func, select
from werkzeug.exceptions import TooManyRequests

from app import security
from app.extensions import db, limiter, login_manager
from app.forms.auth import CodeForm, LoginForm, PasswordChangeForm, SetPasswordForm
from app.i18n import _, ngettext
from app.models import User
from app.roles import ADMIN, AGGREGATES_ONLY, BELEID, PARTNER, STAFF, TEAM_LEAD
from app.services import access_log, accounts, sessions
from app.services.passwords import hash_password, verify_password

bp = Blueprint("auth", __name__)
# Verified against when the e-mail is unknown, so a failed login takes the same time.
_DUMMY_HASH = hash_password("wijkloket-dummy-password")

F = TypeVar("F", bound=Callable[..., Any])

#: Where each role (app/roles.py) lands after logging in.
HOME_BY_ROLE = {
    STAFF: "staff.queue",
    TEAM_LEAD: "staff.queue",
    PARTNER: "partner.referrals",
    ADMIN: "admin.index",
    BELEID: "beleid.figures",
}
# Per address, for every step that checks a secret (on top of the per-account lockout).
LOGIN_RATE_LIMIT = "10 per minute"


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
                if current_user.role in AGGREGATES_ONLY:
                    access_log.access_refused(current_user._get_current_object(),
                                              request.endpoint, request.view_args or {})
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


@bp.before_request
def _never_cache() -> None:
    g.no_store = True  # codes, secrets and recovery codes must not stay in any cache


@bp.errorhandler(TooManyRequests)
def _too_many(error: TooManyRequests) -> Any:
    response = current_app.make_response((render_template("auth/too_many.html"), 429))
    response.headers["Retry-After"] = "60"
    return response


# --- Step 1: e-mail address and password -----------------------------------------------------


def _failed_login_messages() -> tuple[str, str]:
    """The same answer for a wrong password, an unknown address and a locked account."""
    config = current_app.config
    return (
        _("The e-mail address or password is not correct, or the account is locked for a "
          "while."),
        _("After %(count)d wrong attempts an account is locked for %(minutes)d minutes. Wait "
          "and try again, or ask your administrator for help.",
          count=config["LOGIN_MAX_FAILURES"], minutes=config["LOGIN_LOCKOUT_MINUTES"]),
    )


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(LOGIN_RATE_LIMIT, methods=["POST"])
def login() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for(HOME_BY_ROLE.get(current_user.role, "resident.index")))
    form = LoginForm()
    errors = None
    if form.validate_on_submit():
        email = form.email.data
        user = db.session.scalar(select(User).where(func.lower(User.email) == email.lower()))
        # Always verify a hash, so the answer takes as long for every case below.
        valid = verify_password(user.password_hash if user else _DUMMY_HASH, form.password.data)
        if user is None:
            sessions.attempt_failed(None, stage="password", email=email)
        elif security.is_locked(user):
            sessions.login_refused(user, reason="locked", ip=request.remote_addr)
        elif not valid or not user.active:
            sessions.attempt_failed(user, stage="password")
        else:
            return _password_accepted(user)
        errors = _failed_login_messages()
    return render_template("auth/login.html", form=form, errors=errors)


def _password_accepted(user: User) -> Any:
    """Ask for the second factor (or to set one up); without MFA, log in."""
    if user.mfa_enabled_at is None and not current_app.config["MFA_REQUIRED"]:
        return _complete_login(user, method="password")
    # The failure count is not reset yet: only a full login does that, or a known password
    # would give unlimited tries at the code.
    security.reset_session()
    session["mfa_pending"] = {
        "user": user.id,
        "until": time.time() + current_app.config["MFA_PENDING_MINUTES"] * 60,
    }
    if user.mfa_enabled_at is None:
        return redirect(url_for("auth.enrol"))
    return redirect(url_for("auth.second_factor"))


def _pending_user() -> User | None:
    """The account between its password and its second factor, while that is still fresh."""
    pending = session.get("mfa_pending")
    if not isinstance(pending, dict) or not isinstance(pending.get("until"), int | float) \
            or pending["until"] < time.time():
        session.pop("mfa_pending", None)
        return None
    # Locked for this request on PostgreSQL: two tries with one code cannot both pass.
    user = db.session.get(User, int(pending["user"]), with_for_update=request.method == "POST")
    return user if user is not None and user.active else None


def _start_again() -> Any:
    flash(_("Logging in took too long. Log in again."), "info")
    return redirect(url_for("auth.login"))


def _locked_out() -> Any:
    """Answer to the failure that locked the account (its owner knew the password)."""
    logout_user()
    security.reset_session()
    flash(_("There were too many wrong attempts. For your safety the account is locked for "
            "%(minutes)d minutes. Try again later.",
            minutes=current_app.config["LOGIN_LOCKOUT_MINUTES"]), "error")
    return redirect(url_for("auth.login"))


def _log_in(user: User, *, method: str, **details: Any) -> None:
    """The login is complete: reset the failure count, audit it, start a fresh session."""
    sessions.logged_in(user, method=method, ip=request.remote_addr, **details)
    _start_session(user)


def _start_session(user: User) -> None:
    """A fresh browser session for ``user``, whose login is recorded already."""
    security.reset_session()
    login_user(user)
    security.start_session(user)


def _complete_login(user: User, *, method: str, **details: Any) -> Any:
    _log_in(user, method=method, **details)
    return redirect(url_for(HOME_BY_ROLE[user.role]))


# --- Step 2: the code from the app, or a recovery code ---------------------------------------


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit(LOGIN_RATE_LIMIT, methods=["POST"])
def second_factor() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for(HOME_BY_ROLE.get(current_user.role, "resident.index")))
    user = _pending_user()
    if user is None:
        return _start_again()
    if user.mfa_enabled_at is None:
        return redirect(url_for("auth.enrol"))
    if security.is_locked(user):
        return _locked_out()
    form = CodeForm()
    if form.validate_on_submit():
        code = security.normalise_code(form.code.data)
        step = security.check_totp(user, code)
        if step is not None:
            return _complete_login(user, method="totp", totp_step=step)
        if security.use_recovery_code(user, code):
            left = len(user.recovery_codes)
            if left <= 3:
                flash(ngettext("You have %(num)d recovery code left. Make new ones on your "
                               "account page.",
                               "You have %(num)d recovery codes left. Make new ones on your "
                               "account page.", left), "info")
            return _complete_login(user, method="recovery_code", recovery_codes_left=left)
        locked = sessions.attempt_failed(user, stage="second_factor")
        if locked:
            return _locked_out()
        form.code.errors.append(_("The code is not correct, or it was used already. Wait for "
                                  "the next code in your app and try again."))
    return render_template("auth/code.html", form=form, demo_code=security.demo_code(user))


# --- First login: set up the app -------------------------------------------------------------


@bp.route("/login/setup", methods=["GET", "POST"])
@limiter.limit(LOGIN_RATE_LIMIT, methods=["POST"])
def enrol() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for(HOME_BY_ROLE.get(current_user.role, "resident.index")))
    user = _pending_user()
    if user is None:
        return _start_again()
    if user.mfa_enabled_at is not None:
        return redirect(url_for("auth.second_factor"))
    if security.is_locked(user):
        return _locked_out()
    if not user.totp_secret:
        # Stored now but not in use until confirmed; a reload shows the same secret, so a
        # code already scanned keeps working. It never goes into the (readable) cookie.
        sessions.give_totp_secret(user)
    form = CodeForm()
    if form.validate_on_submit():
        step = security.check_totp(user, security.normalise_code(form.code.data))
        if step is not None:
            shown = sessions.enable_mfa(user, step=step, ip=request.remote_addr)
            _start_session(user)
            # Shown once, in this answer only: nothing keeps them after this page.
            return render_template("auth/recovery_codes.html", codes=shown, first_time=True,
                                   next_url=url_for(HOME_BY_ROLE[user.role]))
        locked = sessions.attempt_failed(user, stage="enrolment")
        if locked:
            return _locked_out()
        form.code.errors.append(_("The code is not correct. Check that the time on your phone "
                                  "is right, wait for the next code and try again."))
    assert user.totp_secret is not None  # given above when the account had none
    return render_template("auth/enrol.html", form=form,
                           secret=security.grouped_secret(user.totp_secret),
                           qr=security.qr_svg(security.provisioning_uri(user)))


@bp.route("/logout", methods=["POST"])
def logout() -> Any:
    if current_user.is_authenticated:
        sessions.logged_out(current_user._get_current_object())
    logout_user()
    security.reset_session()
    flash(_("You are logged out."), "info")
    return redirect(url_for("auth.login"))


# --- The account: password and recovery codes ------------------------------------------------


def _me() -> User:
    user = db.session.get(User, current_user.id)
    assert user is not None
    return user


@bp.route("/account")
@login_required
def account() -> Any:
    return render_template("auth/account.html", user=_me())


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
@limiter.limit(LOGIN_RATE_LIMIT, methods=["POST"])
def change_password() -> Any:
    user = _me()
    form = PasswordChangeForm()
    if form.validate_on_submit():
        if not verify_password(user.password_hash, form.current_password.data):
            locked = sessions.attempt_failed(user, stage="password_change")
            if locked:
                return _locked_out()
            form.current_password.errors.append(_("Your current password is not correct."))
        elif verify_password(user.password_hash, form.new_password.data):
            form.new_password.errors.append(_("Choose a new password that is different from "
                                              "your current one."))
        else:
            sessions.change_password(user, form.new_password.data)
            security.refresh_credentials(user)  # this session goes on; all others end
            flash(_("Your password is changed. On other devices you are now logged out."),
                  "success")
            return redirect(url_for("auth.account"))
    return render_template("auth/password.html", form=form,
                           min_length=current_app.config["PASSWORD_MIN_LENGTH"])


@bp.route("/account/recovery-codes", methods=["GET", "POST"])
@login_required
@limiter.limit(LOGIN_RATE_LIMIT, methods=["POST"])
def renew_recovery_codes() -> Any:
    user = _me()
    if user.mfa_enabled_at is None:
        return redirect(url_for("auth.account"))
    form = CodeForm()
    if form.validate_on_submit():
        step = security.check_totp(user, security.normalise_code(form.code.data))
        if step is not None:
            shown = sessions.renew_recovery_codes(user, step=step)
            return render_template("auth/recovery_codes.html", codes=shown, first_time=False,
                                   next_url=url_for("auth.account"))
        locked = sessions.attempt_failed(user, stage="recovery_codes")
        if locked:
            return _locked_out()
        form.code.errors.append(_("The code is not correct, or it was used already. Wait for "
                                  "the next code in your app and try again."))
    return render_template("auth/renew_codes.html", form=form)


# --- A password link from an e-mail (a new account, or one the administrator reset) ----------

_LINK_KEY = "password_link"


def _link_problem(problem: accounts.LinkProblem) -> Any:
    session.pop(_LINK_KEY, None)
    return render_template("auth/password_link_problem.html", problem=problem), \
        problem.status_code


@bp.route("/set-password/<token>")
def password_link(token: str) -> Any:
    """Check the link, then continue on an address without the token (so it does not stay in
    the browser's history or reach another page as a referrer); the session keeps it."""
    try:
        accounts.user_for_link(token)
    except accounts.LinkProblem as problem:
        return _link_problem(problem)
    session[_LINK_KEY] = token
    return redirect(url_for("auth.set_password"))


@bp.route("/set-password", methods=["GET", "POST"])
@limiter.limit(LOGIN_RATE_LIMIT, methods=["POST"])
def set_password() -> Any:
    token = session.get(_LINK_KEY)
    try:
        if not isinstance(token, str):
            raise accounts.LinkProblem("invalid")
        # Locked for this request on PostgreSQL: one link cannot set two passwords at once.
        user = accounts.user_for_link(token, for_update=request.method == "POST")
    except accounts.LinkProblem as problem:
        return _link_problem(problem)
    form = SetPasswordForm()
    form.account_email = user.email
    if form.validate_on_submit():
        # The service calls the value "password"; on this form it is "new_password".
        with form.catching_invalid_input(field="new_password") as outcome:
            accounts.set_password(user, form.new_password.data, actor=user, method="link")
        if outcome.ok:
            response = _password_accepted(user)  # on to the second step, as after a login
            flash(_("Your password is set."), "success")  # (that step empties the session)
            return response
    return render_template("auth/set_password.html", form=form, email=user.email,
                           min_length=current_app.config["PASSWORD_MIN_LENGTH"])
