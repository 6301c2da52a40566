"""The resident's question: asked in steps (a page each, then the check page) or all on one
page, sent once, and its confirmation. The steps, and the draft kept between them, live in
:mod:`app.resident.steps`.
"""

from __future__ import annotations

import logging
import math
import time
from typing import Any

from flask import (
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
from sqlalchemy import select
from werkzeug.exceptions import TooManyRequests

from app.extensions import db, limiter
from app.forms.base import BaseForm
from app.forms.intake import IntakeForm, intake_data
from app.i18n import _, get_locale
from app.models import SupportRequest, Tenant
from app.resident import bp, contact_email, steps, tenant_or_404
from app.services.intake import find_by_submission_token, new_submission_token, submit_request
from app.services.routing import municipality_of
from app.services.status_tokens import status_token
from referral_rules.vocabulary import URGENCY_CRISIS

log = logging.getLogger("wijkloket.resident")

#: How many references one browser session remembers for its confirmation pages.
_REMEMBERED = 10


def _intake_limit() -> str:
    return str(current_app.config["INTAKE_RATE_LIMIT"])


#: Submitting counts against one limit per network address, however the question is sent
#: (all at once, or the check page of the steps). A step does not count, nor a form sent back
#: with errors (422): they store nothing, and a resident correcting answers is never stopped.
_submit_limit = limiter.shared_limit(_intake_limit, scope="intake-submit", methods=["POST"],
                                     deduct_when=lambda response: response.status_code != 422)
_SUBMIT_ENDPOINTS = {"resident.intake", "resident.check_answers"}


@bp.route("/<tenant>/hulpvraag", methods=["GET", "POST"])
@_submit_limit
def intake(tenant: str) -> Any:
    """GET: the first step (of the question being filled in, or a new one).

    POST: the whole intake at once, every field in one post (the one-page form, assistive
    tools, scripts). Idempotent on the submission token: sent twice, one request.
    """
    tenant_row = tenant_or_404(tenant)
    if request.method == "GET":
        draft = steps.load(tenant)
        if draft is None or draft.sent:
            draft = steps.Draft(token=new_submission_token())  # kept once step 1 is sent
        return _step_page(tenant_row, steps.STEPS[0], draft, draft.step_form(steps.STEPS[0]))
    if _honeypot_filled():
        return _dropped(tenant_row)
    form = IntakeForm()
    if form.validate_on_submit():
        return _submit(tenant_row, form)
    _keep_everything(tenant_row, form)
    g.no_store = True
    return render_template("resident/intake.html", tenant=tenant_row, form=form), 422


@bp.route("/<tenant>/hulpvraag/<step>", methods=["GET", "POST"])
def intake_step(tenant: str, step: str) -> Any:
    """One step of the intake; its answers are kept (also when they have errors), checked
    by the step's own form, and the next step follows."""
    tenant_row = tenant_or_404(tenant)
    current = steps.BY_SLUG.get(step)
    if current is None:
        abort(404)
    draft = steps.load(tenant)
    if request.method == "GET":
        if draft is not None and draft.sent:
            return _already_sent(tenant_row, draft)
        if draft is None:
            if current is not steps.STEPS[0]:
                return _answers_lost(tenant_row)
            draft = steps.Draft(token=new_submission_token())
        return _step_page(tenant_row, current, draft, draft.step_form(current))

    posted_token = request.form.get("submission_token", "")
    if draft is not None and draft.sent:
        if posted_token == draft.token:  # a page from before sending, sent again
            return _already_sent(tenant_row, draft)
        draft = None
    if draft is None:
        draft = steps.Draft(token=_usable_token(tenant_row, posted_token))
    if _honeypot_filled():
        draft.suspect = True
    form = current.form()
    draft.keep(current, request.form)
    if not steps.save(tenant, draft):
        return _whole_form(tenant_row, draft)
    language = request.form.get("switch_language")
    if language in current_app.config["LANGUAGES"]:
        # The language switcher, with the script: what was typed here is kept as well.
        return redirect(url_for("resident.intake_step", tenant=tenant, step=current.slug,
                                lang=language))
    if not form.validate():
        return _step_page(tenant_row, current, draft, form), 422
    following = steps.after(current)
    if draft.checked or following is None:
        return redirect(url_for("resident.check_answers", tenant=tenant))
    return redirect(url_for("resident.intake_step", tenant=tenant, step=following.slug))


@bp.route("/<tenant>/hulpvraag/controleren", methods=["GET", "POST"])
@_submit_limit
def check_answers(tenant: str) -> Any:
    """GET: every answer with a link to change it. POST: send the question, once."""
    tenant_row = tenant_or_404(tenant)
    draft = steps.load(tenant)
    if request.method == "POST":
        return _send(tenant_row, draft)
    if draft is None:
        return _answers_lost(tenant_row)
    if draft.sent:
        return _already_sent(tenant_row, draft)
    missing = draft.first_incomplete()
    if missing is not None:
        return redirect(url_for("resident.intake_step", tenant=tenant, step=missing.slug))
    if not draft.checked:
        draft.checked = True  # from now on, a changed step comes back here
        steps.save(tenant, draft)
    g.no_store = True
    return render_template(
        "resident/check.html", tenant=tenant_row, sections=list(steps.check_rows(draft)),
        token=draft.token, number=steps.TOTAL_STEPS, titles=_step_titles(),
        back_url=url_for("resident.intake_step", tenant=tenant, step=steps.STEPS[-1].slug),
        crisis=_crisis_chosen(draft),
    )


def _send(tenant: Tenant, draft: steps.Draft | None) -> Any:
    token = request.form.get("submission_token", "")
    existing = find_by_submission_token(tenant, token) if steps.TOKEN.fullmatch(token) else None
    mine = draft is not None and draft.token == token
    if existing is not None:
        # Sent before (a double click, the back button, a lost answer): the same request.
        # Only to the browser that sent it: a token seen elsewhere opens nothing.
        if not (mine or existing.reference in session.get("references", [])):
            return redirect(url_for("resident.intake", tenant=tenant.slug))
        if draft is not None and draft.sent:
            _flash_once(_("This question has already been sent."), "info")
        return _sent(tenant, existing, token)
    if draft is None or not mine or draft.sent:
        return _answers_lost(tenant) if draft is None else redirect(
            url_for("resident.check_answers", tenant=tenant.slug))
    if draft.suspect or _honeypot_filled():
        return _dropped(tenant)
    missing = draft.first_incomplete()
    form = draft.intake_form()
    if missing is not None or form.errors:
        return redirect(url_for("resident.intake_step", tenant=tenant.slug,
                                step=(missing or steps.STEPS[0]).slug))
    request_row = submit_request(tenant, intake_data(form, channel="web",
                                                     language=str(get_locale())))
    return _sent(tenant, request_row, token)


def _submit(tenant: Tenant, form: IntakeForm) -> Any:
    existing = find_by_submission_token(tenant, form.submission_token.data)
    data = intake_data(form, channel="web", language=str(get_locale()))
    return _sent(tenant, existing or submit_request(tenant, data), form.submission_token.data)


def _sent(tenant: Tenant, request_row: SupportRequest, token: str | None) -> Any:
    """The request is stored: remember it in this browser, and show its confirmation."""
    remembered = [r for r in session.get("references", []) if r != request_row.reference]
    session["references"] = [request_row.reference, *remembered][:_REMEMBERED]
    steps.mark_sent(tenant.slug, token, request_row.reference)
    return redirect(
        url_for("resident.confirmation", tenant=tenant.slug, reference=request_row.reference)
    )


def _step_page(tenant: Tenant, step: steps.Step, draft: steps.Draft, form: BaseForm) -> Any:
    previous = steps.before(step)
    back_url = (url_for("resident.intake_step", tenant=tenant.slug, step=previous.slug)
                if previous else url_for("resident.home", tenant=tenant.slug))
    g.no_store = True  # the answers are personal: no copy in any cache
    return render_template(
        "resident/step.html", tenant=tenant, step=step, form=form, token=draft.token,
        number=steps.STEPS.index(step) + 1, titles=_step_titles(), back_url=back_url,
        action=url_for("resident.intake_step", tenant=tenant.slug, step=step.slug),
        # Danger or crisis chosen: the pages after that choice start with what to do now.
        crisis=_crisis_chosen(draft) and steps.STEPS.index(step) > steps.STEPS.index(
            steps.BY_SLUG["wat"]),
    )


def _step_titles() -> list[str]:
    return [str(step.title) for step in steps.STEPS] + [str(steps.CHECK_TITLE)]


def _crisis_chosen(draft: steps.Draft) -> bool:
    return draft.answers.get("urgency") == [URGENCY_CRISIS]


def _usable_token(tenant: Tenant, posted: str) -> str:
    """The posted submission token for a new draft, unless it is malformed or used."""
    if steps.TOKEN.fullmatch(posted) and find_by_submission_token(tenant, posted) is None:
        return posted
    return new_submission_token()


def _keep_everything(tenant: Tenant, form: IntakeForm) -> None:
    """A one-page intake with errors: keep its answers as the draft, so a language link or
    a step shows them again (unless they are too long for the session)."""
    draft = steps.load(tenant.slug)
    token = form.submission_token.data or ""
    if draft is None or draft.sent or draft.token != token:
        # The page's own token, even when it was used before: sent again, that question is
        # found, never a second one made.
        draft = steps.Draft(token=token if steps.TOKEN.fullmatch(token)
                            else new_submission_token())
    for step in steps.STEPS:
        draft.keep(step, request.form)
    steps.save(tenant.slug, draft)


def _whole_form(tenant: Tenant, draft: steps.Draft) -> Any:
    """The answers are too long to keep between pages: all questions on one page, filled in,
    to check and send from there (nothing is lost)."""
    form = IntakeForm(formdata=draft.formdata(submission_token=draft.token))
    g.no_store = True
    return render_template("resident/intake.html", tenant=tenant, form=form, long_answers=True)


def _flash_once(message: str, category: str) -> None:
    """The back button may pass here several times: the message is shown once."""
    if (category, message) not in [tuple(m) for m in session.get("_flashes", [])]:
        flash(message, category)


def _already_sent(tenant: Tenant, draft: steps.Draft) -> Any:
    if draft.sent in session.get("references", []):
        _flash_once(_("This question has already been sent."), "info")
        return redirect(url_for("resident.confirmation", tenant=tenant.slug,
                                reference=draft.sent))
    steps.forget(tenant.slug)
    return redirect(url_for("resident.intake", tenant=tenant.slug))


def _answers_lost(tenant: Tenant) -> Any:
    flash(_("Your answers were not kept, for example because the browser was closed. "
            "Please start again."), "info")
    return redirect(url_for("resident.intake", tenant=tenant.slug))


#: The hidden anti-spam field (a honeypot). People do not see it and leave it empty; robots
#: that fill in every field do not. Its name says nothing about what it is for.
HONEYPOT = "website"


def _honeypot_filled() -> bool:
    return bool(request.form.get(HONEYPOT, "").strip())


def _dropped(tenant: Tenant) -> Any:
    """Not stored: the hidden field was filled in. The page looks like a confirmation (a
    robot learns nothing), and tells a person what to do if no answer comes."""
    log.warning("intake dropped: the hidden anti-spam field was filled in (tenant %s, %s)",
                tenant.slug, request.path)
    steps.forget(tenant.slug)
    return render_template("resident/received.html", tenant=tenant,
                           contact_email=contact_email(tenant))


@bp.errorhandler(TooManyRequests)
def _too_many(error: TooManyRequests) -> Any:
    """Rate limited: how long to wait, that the answers are kept, and other ways to ask.

    The blueprint's handler, so the status page's limit (app.resident.status) answers here too.
    """
    limit = limiter.current_limit
    seconds = max(60, int(limit.reset_at - time.time())) if limit is not None else 3600
    slug = (request.view_args or {}).get("tenant")
    tenant = db.session.scalar(select(Tenant).where(Tenant.slug == slug)) if slug else None
    draft = steps.load(tenant.slug) if tenant is not None else None
    g.no_store = True
    response = current_app.make_response((render_template(
        "resident/too_many.html", tenant=tenant, minutes=math.ceil(seconds / 60),
        contact_email=contact_email(tenant) if tenant is not None else None,
        sending=request.endpoint in _SUBMIT_ENDPOINTS,
        kept=draft is not None and not draft.sent and request.endpoint == "resident.check_answers",
    ), 429))
    response.headers["Retry-After"] = str(seconds)
    return response


@bp.route("/<tenant>/bevestiging/<reference>")
def confirmation(tenant: str, reference: str) -> Any:
    tenant_row = tenant_or_404(tenant)
    # Only the browser that sent the request sees its confirmation.
    if reference not in session.get("references", []):
        abort(404)
    request_row = db.session.scalar(
        select(SupportRequest).where(
            SupportRequest.reference == reference, SupportRequest.tenant_id == tenant_row.id
        )
    )
    if request_row is None:
        abort(404)
    elsewhere = None
    if request_row.location_problem == "outside_area" and request_row.lon is not None \
            and request_row.lat is not None:
        elsewhere = municipality_of(request_row.lon, request_row.lat, besides=tenant_row)
    token = status_token(request_row)
    status_url = url_for("resident.status", tenant=tenant, reference=reference, token=token,
                         _external=True)
    return render_template("resident/confirmation.html", tenant=tenant_row, request=request_row,
                           elsewhere=elsewhere, status_url=status_url, status_code=token)
