"""The forms on the resident's status page (app/resident/status.py)."""

from __future__ import annotations

from wtforms import PasswordField, RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from app.forms.base import BaseForm
from app.i18n import _l
from app.limits import CODE_WORD_MAX, MESSAGE_MAX, REASON_MAX
from app.vocabulary import FEEDBACK_LABELS


class FeedbackForm(BaseForm):
    answer = RadioField(
        _l("Did you get the help you needed?"),
        choices=[SelectChoice(code, label) for code, label in FEEDBACK_LABELS.items()],
        validators=[InputRequired(message=_l("Choose an answer."))],
    )
    comment = TextAreaField(
        _l("Anything you want to tell us? (optional)"),
        validators=[Optional(), Length(max=REASON_MAX, message=_l(
            "Use at most %(max)d characters.", max=REASON_MAX))],
    )


class AnswerForm(BaseForm):
    """The resident's answer to the team's question."""

    body = TextAreaField(
        _l("Your answer"),
        validators=[InputRequired(message=_l("Write your answer.")),
                    Length(max=MESSAGE_MAX, message=_l("Use at most %(max)d characters.",
                                                       max=MESSAGE_MAX))],
    )


class CodeWordForm(BaseForm):
    """The code word that opens the status page of a request whose contact is not safe."""

    code_word = PasswordField(
        _l("Your code word"),
        validators=[InputRequired(message=_l("Enter your code word.")),
                    Length(max=CODE_WORD_MAX, message=_l("Use at most %(max)d characters.",
                                                         max=CODE_WORD_MAX))],
        render_kw={"autocomplete": "off"},
    )
