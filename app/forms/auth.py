"""The forms of logging in and of the account pages (app/auth.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_login import current_user
from wtforms import PasswordField, StringField
from wtforms.validators import EqualTo, InputRequired, Length

from app import security
from app.forms.base import BaseForm
from app.i18n import _l
from app.limits import CODE_MAX, EMAIL_MAX, PASSWORD_MAX

_TOO_LONG = _l("Use at most %(max)d characters.", max=PASSWORD_MAX)


class LoginForm(BaseForm):
    email = StringField(
        _l("E-mail address"),
        validators=[InputRequired(message=_l("Enter your e-mail address.")),
                    Length(max=EMAIL_MAX)],
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[InputRequired(message=_l("Enter your password.")),
                    Length(max=PASSWORD_MAX, message=_TOO_LONG)],
        render_kw={"autocomplete": "current-password"},
    )


class CodeForm(BaseForm):
    """A code from the authenticator app, or a recovery code."""

    code = StringField(
        _l("Code"),
        validators=[InputRequired(message=_l("Enter the code.")),
                    Length(max=CODE_MAX, message=_l("Use at most %(max)d characters.",
                                                    max=CODE_MAX))],
        render_kw={"autocomplete": "one-time-code", "autocapitalize": "off",
                   "spellcheck": "false"},
    )


def _new_password_fields(email_of: Callable[[Any], str | None]) -> tuple[Any, Any]:
    """A new password (checked against the policy and the account's e-mail address) and the
    same again. Made inside a form's class body, so the fields keep their place in it."""
    new_password = PasswordField(
        _l("New password"),
        validators=[InputRequired(message=_l("Enter a new password.")),
                    Length(max=PASSWORD_MAX, message=_TOO_LONG),
                    security.PasswordPolicy(email_of)],
        render_kw={"autocomplete": "new-password"},
    )
    repeat_password = PasswordField(
        _l("New password again"),
        validators=[InputRequired(message=_l("Enter the new password again.")),
                    EqualTo("new_password", message=_l("The two new passwords are not the same."))],
        render_kw={"autocomplete": "new-password"},
    )
    return new_password, repeat_password


class PasswordChangeForm(BaseForm):
    """The logged-in user's own password: the current one, and a new one twice."""

    current_password = PasswordField(
        _l("Current password"),
        validators=[InputRequired(message=_l("Enter your current password.")),
                    Length(max=PASSWORD_MAX, message=_TOO_LONG)],
        render_kw={"autocomplete": "current-password"},
    )
    new_password, repeat_password = _new_password_fields(lambda form: current_user.email)


class SetPasswordForm(BaseForm):
    """A password chosen with a link from an e-mail; ``account_email`` is set by the view."""

    account_email: str | None = None

    new_password, repeat_password = _new_password_fields(lambda form: form.account_email)
