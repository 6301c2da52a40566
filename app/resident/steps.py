"""The resident's intake in steps: the steps, the answers kept between them, the check page.

The answers live in the browser's session (Flask's signed cookie), one draft per
municipality, until the question is sent. That way a link (the language switcher, a back
link, a "change" link on the check page) shows them again without a database row for a
question nobody sent yet. The draft keeps what the resident typed, as typed: every step is
validated by its own form when sent, and the whole intake by ``IntakeForm`` before it is
submitted, so validation lives in the forms alone.

A signed cookie holds about 4 KB. A very long story in a non-Latin script may not fit; then
``save`` refuses (nothing is lost: the caller shows the whole form on one page instead).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from flask import current_app, session
from werkzeug.datastructures import MultiDict
from wtforms import BooleanField, DateField, Field, RadioField, SelectField, SelectMultipleField

from app.forms.base import BaseForm
from app.forms.intake import ContactForm, IntakeForm, WhatForm, WhereForm, WhoForm
from app.i18n import _, _l
from app.vocabulary import label

#: Largest signed session cookie we write (bytes). Browsers keep at most 4096 bytes per
#: cookie, name and attributes included; werkzeug warns above 4093.
COOKIE_BUDGET = 3800

#: A submission token as ``new_submission_token`` makes it (and no other text).
TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")

#: The session key of the drafts: {tenant slug: draft}.
_DRAFTS = "intake"


@dataclass(frozen=True)
class Step:
    """One page of the intake: its place in the URL, its title, its form and its fields."""

    slug: str
    title: Any  # a lazy string
    form: type[BaseForm]
    template: str
    #: The names of the step's fields, in page order.
    fields: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "fields", _field_names(self.form))


def _field_names(form: type[BaseForm]) -> tuple[str, ...]:
    """The names of a form class's own fields, in page order (no CSRF token)."""
    fields = sorted(
        ((name, value) for name in dir(form)
         if hasattr(value := getattr(form, name), "_formfield")),
        key=lambda item: item[1].creation_counter,
    )
    return tuple(name for name, _value in fields)


STEPS: tuple[Step, ...] = (
    Step("wie", _l("Who"), WhoForm, "resident/fields/who.html"),
    Step("waar", _l("Where"), WhereForm, "resident/fields/where.html"),
    Step("wat", _l("What is going on"), WhatForm, "resident/fields/what.html"),
    Step("contact", _l("How to reach you"), ContactForm, "resident/fields/contact.html"),
)
BY_SLUG = {step.slug: step for step in STEPS}
CHECK_TITLE = _l("Check and send")
#: Steps shown in the progress indicator: the form's steps and the check page.
TOTAL_STEPS = len(STEPS) + 1


def after(step: Step) -> Step | None:
    """The step after ``step``, or None after the last one (then: the check page)."""
    index = STEPS.index(step)
    return STEPS[index + 1] if index + 1 < len(STEPS) else None


def before(step: Step) -> Step | None:
    index = STEPS.index(step)
    return STEPS[index - 1] if index else None


@dataclass
class Draft:
    """A question being filled in: its submission token and the answers given so far."""

    token: str
    answers: dict[str, list[str]] = field(default_factory=dict)
    checked: bool = False  # the resident has seen the check page
    sent: str | None = None  # the reference, once sent (the answers are then dropped)
    suspect: bool = False  # a step came with the hidden anti-spam field filled in

    def formdata(self, **extra: str) -> MultiDict[str, str]:
        """The answers as a browser would post them (for a form to read and validate)."""
        pairs = [(name, value) for name, values in self.answers.items() for value in values]
        return MultiDict([*pairs, *extra.items()])

    def has(self, step: Step) -> bool:
        return any(name in self.answers for name in step.fields)

    def keep(self, step: Step, posted: MultiDict[str, str]) -> None:
        """Keep what was posted for ``step``'s fields (a field left out, such as an unticked
        box, is kept as empty)."""
        for name in step.fields:
            self.answers[name] = [str(value) for value in posted.getlist(name)]

    def step_form(self, step: Step, *, csrf: bool = True) -> BaseForm:
        """``step``'s form showing the kept answers (its defaults when none were given)."""
        meta = {} if csrf else {"csrf": False}
        if not self.has(step):
            return step.form(formdata=None, meta=meta)
        return step.form(formdata=self.formdata(), meta=meta)

    def first_incomplete(self) -> Step | None:
        """The first step whose kept answers do not pass its checks, if any."""
        for step in STEPS:
            if not self.has(step) or not self.step_form(step, csrf=False).validate():
                return step
        return None

    def intake_form(self) -> IntakeForm:
        """The whole intake from the kept answers, validated as if sent on one page."""
        form = IntakeForm(formdata=self.formdata(submission_token=self.token),
                          meta={"csrf": False})
        form.validate()
        return form

    def to_session(self) -> dict[str, Any]:
        return {"token": self.token, "answers": self.answers, "checked": self.checked,
                "sent": self.sent, "suspect": self.suspect}

    @classmethod
    def from_session(cls, value: Any) -> Draft | None:
        if not isinstance(value, dict) or not TOKEN.fullmatch(str(value.get("token", ""))):
            return None
        answers = value.get("answers") or {}
        return cls(token=value["token"],
                   answers={str(k): [str(v) for v in vs] for k, vs in answers.items()},
                   checked=bool(value.get("checked")), sent=value.get("sent") or None,
                   suspect=bool(value.get("suspect")))


def load(tenant: str) -> Draft | None:
    """This browser's draft for the municipality ``tenant``, sent or not; None when none."""
    return Draft.from_session((session.get(_DRAFTS) or {}).get(tenant))


def save(tenant: str, draft: Draft) -> bool:
    """Keep ``draft`` in the session. False (and the session unchanged) when the cookie
    would grow too large for a browser to keep."""
    drafts = dict(session.get(_DRAFTS) or {})
    previous = drafts.get(tenant)
    drafts[tenant] = draft.to_session()
    session[_DRAFTS] = drafts
    if cookie_size() <= COOKIE_BUDGET:
        return True
    if previous is None:
        drafts.pop(tenant)
    else:
        drafts[tenant] = previous
    session[_DRAFTS] = drafts
    return False


def mark_sent(tenant: str, token: str | None, reference: str) -> None:
    """The question with ``token`` was sent: keep only its reference (the answers are now
    in the database, and need not stay in the browser)."""
    draft = load(tenant)
    if draft is not None and draft.token == token:
        save(tenant, Draft(token=draft.token, sent=reference))


def forget(tenant: str) -> None:
    drafts = dict(session.get(_DRAFTS) or {})
    if drafts.pop(tenant, None) is not None:
        session[_DRAFTS] = drafts


def cookie_size() -> int:
    """How long the session cookie's value would be now."""
    interface = current_app.session_interface
    serializer = getattr(interface, "get_signing_serializer", lambda app: None)(current_app)
    if serializer is None:  # a server-side session: no cookie limit to mind
        return 0
    return len(serializer.dumps(dict(session)))


# --- The check page ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One answer on the check page: the question, the answer, and the field to change it."""

    question: str
    answer: list[str]
    field_id: str
    long: bool = False  # free text, shown as written (line breaks kept)


#: The safe way to reach a resident whose contact is not safe.
SAFE_WAY = frozenset({"safe_phone", "safe_times", "code_word"})
#: Questions said differently on the check page, where they stand alone.
_CHECK_QUESTIONS = {"age": _l("Age")}


def _answer(form_field: Field) -> list[str]:
    data = form_field.data
    if isinstance(form_field, BooleanField):
        return [_("Yes") if data else _("No")]
    if isinstance(form_field, SelectMultipleField):
        # A code without a label is a gap in the vocabulary: label() makes it seen.
        labels = {choice.value: choice.label for choice in form_field.choices}
        return [label(labels, value) for value in data or ()]
    if isinstance(form_field, (RadioField, SelectField)):
        labels = {choice.value: str(choice.label) for choice in form_field.choices}
        return [labels[data]] if data in labels and data else []
    if isinstance(form_field, DateField):
        from flask_babel import format_date

        return [format_date(data, "long")] if data else []
    # Text as the resident typed it (not normalised: "06 12345678", not "+31612345678").
    typed = (form_field.raw_data or [""])[0].strip()
    return [typed] if typed else []


def _shown(form: BaseForm, name: str) -> bool:
    """Whether the check page lists the field ``name``: not the ones that do not apply."""
    data = {field_name: form[field_name].data for field_name in form._fields}
    if name in {"postcode", "house_number", "address"}:
        return not data.get("no_fixed_address") and bool(data.get(name))
    if name == "no_fixed_address":
        return bool(data.get(name))
    if name in SAFE_WAY:  # only with "not safe"
        return data.get("contact_safe") == "no" and bool(data.get(name))
    if name in {"birth_date", "age"}:
        # The date of birth when given, else the age.
        return bool(data.get("birth_date")) if name == "birth_date" else not data.get("birth_date")
    return True


def check_rows(draft: Draft) -> Iterator[tuple[Step, list[Row]]]:
    """Every step with the answers to show on the check page, in page order."""
    for step in STEPS:
        form = draft.step_form(step, csrf=False)
        form.validate()  # runs the filters and converts the answers (a date, a number)
        rows = []
        for name in step.fields:
            if not _shown(form, name):
                continue
            form_field = form[name]
            question = _CHECK_QUESTIONS.get(name, form_field.label.text)
            answer = _answer(form_field)
            if name == "code_word":  # the screen may be seen by someone else
                answer = [_("Chosen (not shown here)")]
            rows.append(Row(question=str(question),
                            answer=answer or [_("Not given")],
                            field_id=form_field.id,
                            long=name == "description"))
        yield step, rows
