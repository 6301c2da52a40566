"""The form for a standard reply text (app/staff/replies.py)."""

from __future__ import annotations

from wtforms import RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length

from app.forms.base import BaseForm
from app.i18n import _l
from app.limits import REPLY_BODY_MAX, REPLY_TITLE_MAX
from app.vocabulary import REPLY_AUDIENCE_LABELS


class ReplyForm(BaseForm):
    title = StringField(_l("Title"), validators=[
        InputRequired(message=_l("Give the text a title.")),
        Length(max=REPLY_TITLE_MAX, message=_l("Use at most %(max)d characters.",
                                               max=REPLY_TITLE_MAX))])
    audience = RadioField(_l("For whom is the text?"), choices=[
        SelectChoice(code, text) for code, text in REPLY_AUDIENCE_LABELS.items()],
        validators=[InputRequired(message=_l("Choose for whom the text is."))])
    body = TextAreaField(_l("Text"), validators=[
        InputRequired(message=_l("Write the text.")),
        Length(max=REPLY_BODY_MAX, message=_l("Use at most %(max)d characters.",
                                              max=REPLY_BODY_MAX))])
