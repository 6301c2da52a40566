"""The base every form inherits: CSRF, whitespace stripping, translated messages."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from flask_wtf import FlaskForm
from wtforms import Field, TextAreaField
from wtforms.validators import InputRequired, Length

from app.i18n import _l, get_locale
from app.limits import REASON_MAX
from app.services.errors import InvalidInput


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

    @contextmanager
    def catching_invalid_input(self, field: str | None = None) -> Iterator[Outcome]:
        """Run the service call in the ``with`` block; an InvalidInput it raises becomes this
        form's error, so the view shows the form again with what the user typed.

        The message goes on the field the error names, or on ``field`` where this form calls
        the value differently; the yielded outcome's ``ok`` is then False. An error for a
        field the form does not have is raised on, to the one error handler (422).
        """
        outcome = Outcome()
        try:
            yield outcome
        except InvalidInput as error:
            target = getattr(self, field or error.field, None)
            if not isinstance(target, Field):
                raise
            target.errors = [str(error)]
            outcome.ok = False


@dataclass
class Outcome:
    """Whether the service call in :meth:`BaseForm.catching_invalid_input` went through."""

    ok: bool = True


def reason_field(label: Any, missing: Any) -> TextAreaField:
    """A required free-text reason (decline, give back, withdraw, close)."""
    return TextAreaField(
        label,
        validators=[
            InputRequired(message=missing),
            Length(max=REASON_MAX, message=_l("Use at most %(max)d characters.", max=REASON_MAX)),
        ],
    )
