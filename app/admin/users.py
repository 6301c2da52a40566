"""Accounts of the municipality, kept by its administrators: the list, a new account (with an
e-mail to set a password), role and team, deactivate and reactivate, reset the second step,
unlock, and a new password link. The rules live in :mod:`app.services.accounts`; every
action is in the audit log, and every id is looked up within the administrator's tenant.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.admin import bp
from app.auth import roles_required
from app.forms.accounts import ActionForm, NewUserForm, PlacementForm, UserFilterForm
from app.i18n import _, _l
from app.models import User
from app.roles import ADMIN
from app.security import is_locked
from app.services import accounts
from app.services.errors import Conflict

#: How the account's audit events read on its page.
ACCOUNT_EVENT_LABELS = {
    "user.created": _l("Account made"),
    "user.invited": _l("Link to set a password sent"),
    "user.updated": _l("Role, team or partner changed"),
    "user.deactivated": _l("Account deactivated"),
    "user.reactivated": _l("Account reactivated"),
    "user.mfa_reset": _l("Second step reset"),
    "user.unlocked": _l("Account unlocked"),
    "user.password_set": _l("Password set"),
    "user.password_changed": _l("Password changed"),
    "user.mfa_enabled": _l("Second step set up"),
    "user.recovery_codes_renewed": _l("New recovery codes made"),
    "user.login": _l("Logged in"),
    "user.login_failed": _l("Login failed"),
    "user.login_refused": _l("Login refused: the account was locked"),
    "user.locked": _l("Locked after too many failed attempts"),
    "user.logout": _l("Logged out"),
    "user.session_ended": _l("Session ended"),
    "user.digest": _l("Daily e-mail turned on or off"),
}
#: Who acted, when it was not a logged-in person (``AuditEvent.actor_label``).
ACTOR_LABELS = {
    "cli": _l("Command line"),
    "anonymous": _l("Someone who was not logged in"),
    "system": _l("Wijkloket itself"),
}
STATUS_CHOICES = ("active", "inactive")


# --- Pages -----------------------------------------------------------------------------------


@bp.route("/users")
@roles_required(ADMIN)
def users() -> Any:
    form = UserFilterForm(request.args)
    form.fill_choices()
    form.validate()
    status = form.status.data if form.status.data in STATUS_CHOICES else None
    found = accounts.find(
        current_user.tenant_id,
        role=form.role.data or None,
        active=None if status is None else status == "active",
        search=None if form.q.errors else (form.q.data or None))
    return render_template("admin/users.html", form=form, users=found, is_locked=is_locked,
                           invitations=accounts.invitations(current_user.tenant_id, found),
                           filtered=bool(form.q.data or form.role.data or status),
                           limit=accounts.LIST_LIMIT)


@bp.route("/users/new", methods=["GET", "POST"])
@roles_required(ADMIN)
def user_new() -> Any:
    form = NewUserForm()
    form.fill_choices(current_user.tenant_id)
    if form.validate_on_submit():
        with form.catching_invalid_input() as outcome:
            user = accounts.create(current_user.tenant_id, name=form.name.data,
                                   email=form.email.data, role=form.role.data,
                                   team_id=form.team.data, partner_id=form.partner.data,
                                   actor=current_user._get_current_object())
        if outcome.ok:
            flash(_("The account of %(name)s is made. An e-mail with a link to set a password "
                    "is on its way to %(email)s.", name=user.name, email=user.email), "success")
            return redirect(url_for("admin.user_detail", user_id=user.id))
    return render_template("admin/users_new.html", form=form), 422 if form.errors else 200


def _detail(user: User, form: PlacementForm | None = None, *, status: int = 200,
            problem: str | None = None) -> Any:
    if form is None:
        form = PlacementForm(formdata=None, data={"role": user.role, "team": user.team_id,
                                                  "partner": user.partner_id})
        form.fill_choices(user.tenant_id)
    events = accounts.history(user)
    return render_template(
        "admin/users_detail.html", user=user, form=form, problem=problem,
        events=events, actor_names=accounts.actor_names(events),
        event_labels=ACCOUNT_EVENT_LABELS, actor_labels=ACTOR_LABELS, locked=is_locked(user),
        invitation=accounts.invitations(user.tenant_id, [user]).get(user.id),
        coordinated=accounts.open_requests_coordinated(user),
        is_me=user.id == current_user.id), status


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@roles_required(ADMIN)
def user_detail(user_id: int) -> Any:
    """The account, its history, and (POST) a new role, team or partner."""
    user = accounts.get(current_user.tenant_id, user_id)
    if request.method == "GET":
        return _detail(user)
    form = PlacementForm()
    form.fill_choices(user.tenant_id)
    if form.validate_on_submit():
        try:
            with form.catching_invalid_input() as outcome:
                changed = accounts.update(user, role=form.role.data, team_id=form.team.data,
                                          partner_id=form.partner.data,
                                          actor=current_user._get_current_object())
        except Conflict as exc:
            return _detail(user, form, status=409, problem=str(exc))
        if outcome.ok:
            flash(_("The changes are saved.") if changed else _("Nothing was changed."),
                  "success" if changed else "info")
            return redirect(url_for("admin.user_detail", user_id=user.id))
    return _detail(user, form, status=422)


def _action(user_id: int, act: Callable[[User], None], done: str) -> Any:
    """A button on the account page: check the CSRF token, act, and go back to the page."""
    user = accounts.get(current_user.tenant_id, user_id)
    if not ActionForm().validate_on_submit():
        return _detail(user, status=400, problem=_(
            "For your safety this form was no longer valid. Go back, reload the page and send "
            "it again. Nothing was sent yet."))
    try:
        act(user)
    except Conflict as exc:
        return _detail(user, status=409, problem=str(exc))
    flash(done % {"name": user.name}, "success")
    return redirect(url_for("admin.user_detail", user_id=user.id))


def _me() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


@bp.route("/users/<int:user_id>/deactivate", methods=["POST"])
@roles_required(ADMIN)
def user_deactivate(user_id: int) -> Any:
    return _action(user_id, lambda user: accounts.deactivate(user, actor=_me()),
                   _("%(name)s can no longer log in."))


@bp.route("/users/<int:user_id>/reactivate", methods=["POST"])
@roles_required(ADMIN)
def user_reactivate(user_id: int) -> Any:
    return _action(user_id, lambda user: accounts.reactivate(user, actor=_me()),
                   _("%(name)s can log in again."))


@bp.route("/users/<int:user_id>/reset-mfa", methods=["POST"])
@roles_required(ADMIN)
def user_reset_mfa(user_id: int) -> Any:
    return _action(user_id, lambda user: accounts.reset_mfa(user, actor=_me()),
                   _("The second step of %(name)s is reset. At the next login they set it "
                     "up again."))


@bp.route("/users/<int:user_id>/unlock", methods=["POST"])
@roles_required(ADMIN)
def user_unlock(user_id: int) -> Any:
    return _action(user_id, lambda user: accounts.unlock(user, actor=_me()),
                   _("%(name)s is unlocked and can try to log in again."))


@bp.route("/users/<int:user_id>/send-link", methods=["POST"])
@roles_required(ADMIN)
def user_send_link(user_id: int) -> Any:
    return _action(user_id, lambda user: accounts.send_link(user, actor=_me()),
                   _("An e-mail with a new link to set a password is on its way to %(name)s."))
