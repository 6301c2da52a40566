"""The forms administrators keep accounts with (app/admin/users.py)."""

from __future__ import annotations

from typing import Any

from wtforms import RadioField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from app.forms.base import BaseForm
from app.i18n import _, _l
from app.limits import EMAIL_MAX, NAME_MAX, SEARCH_MAX
from app.roles import ROLES
from app.services import accounts
from app.vocabulary import ROLE_LABELS


def _optional_id(value: Any) -> int | None:
    """A chosen id, or None for nothing or anything that is not a number (a forged value
    is then refused by the service as 'choose a team', never as a crash)."""
    if isinstance(value, int):
        return value
    text = str(value or "").strip()
    return int(text) if text.isdigit() and len(text) < 10 else None


def _role_choices() -> list[SelectChoice]:
    return [SelectChoice(code, ROLE_LABELS[code]) for code in ROLES]


class UserFilterForm(BaseForm):
    """The list's filters: read from the query string, so no CSRF token (nothing changes)."""

    class Meta:
        csrf = False

    q = StringField(_l("Name or e-mail address"), validators=[
        Optional(), Length(max=SEARCH_MAX, message=_l("Use at most %(max)d characters.",
                                                      max=SEARCH_MAX))])
    role = SelectField(_l("Role"), validate_choice=False)
    status = SelectField(_l("Status"), validate_choice=False)

    def fill_choices(self) -> None:
        self.role.choices = [("", _("All roles")), *((c.value, c.label) for c in _role_choices())]
        self.status.choices = [("", _("Active and deactivated")), ("active", _("Active")),
                               ("inactive", _("Deactivated"))]


class PlacementForm(BaseForm):
    """Role, and the team or partner organisation the role needs."""

    role = RadioField(_l("Role"), choices=_role_choices(), validate_choice=False,
                      validators=[InputRequired(message=_l("Choose a role."))])
    team = SelectField(_l("Team"), coerce=_optional_id, validate_choice=False)
    partner = SelectField(_l("Partner organisation"), coerce=_optional_id,
                          validate_choice=False)

    def fill_choices(self, tenant_id: int) -> None:
        none = ("", _("None"))
        self.team.choices = [none, *((t.id, t.name) for t in accounts.teams(tenant_id))]
        self.partner.choices = [none, *((p.id, p.name) for p in accounts.partners(tenant_id))]


class NewUserForm(PlacementForm):
    name = StringField(_l("Name"), validators=[
        InputRequired(message=_l("Enter the name.")),
        Length(max=NAME_MAX, message=_l("Use at most %(max)d characters.", max=NAME_MAX))],
        render_kw={"autocomplete": "off"})
    email = StringField(_l("E-mail address"), validators=[
        InputRequired(message=_l("Enter the e-mail address.")),
        Length(max=EMAIL_MAX, message=_l("Use at most %(max)d characters.", max=EMAIL_MAX))],
        render_kw={"autocomplete": "off", "type": "email", "spellcheck": "false"})


class ActionForm(BaseForm):
    """A button that changes something: only the CSRF token."""
