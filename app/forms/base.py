"""The base every form inherits: CSRF, whitespace stripping, translated messages."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import InputRequired, Length

from app.i18n import _l, get_locale
from app.limits import REASON_MAX


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class BaseForm(FlaskForm):
    class Meta:
        def bind_field(self, form: Any, unbound_field: Any, options: dict[str, Any]) -> Any:
            filters = list(unbound_field.kwargs.get("filters", ()))
            filters.insert(0, _strip)
            return unbound_field.bind(form=form, filters=filters, **options)

        @property
        def locales(self) -> list[str]:
            return [str(get_locale())]

    def error_summary(self) -> list[tuple[str, str]]:
        """(field id, first message) for every field with an error, in form order."""
        return [(field.id, str(field.errors[0])) for field in self if field.errors]


def reason_field(label: Any, missing: Any) -> TextAreaField:
    """A required free-text reason (decline, give back, withdraw, close)."""
    return TextAreaField(
        label,
        validators=[
            InputRequired(message=missing),
            Length(max=REASON_MAX, message=_l("Use at most %(max)d characters.", max=REASON_MAX)),
        ],
    )
