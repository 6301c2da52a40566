"""The status page: the resident follows the question with its reference and code, answers
the team's question, and says whether the help helped."""

from __future__ import annotations

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

from app.extensions import limiter
from app.forms.status import AnswerForm, CodeWordForm, FeedbackForm
from app.i18n import _
from app.models import SupportRequest, Tenant
from app.resident import bp, contact_email, tenant_or_404
from app.services import access_log, resident_questions, safe_contact
from app.services.referrals import give_feedback
from app.services.status_tokens import request_by_status_token, status_token


def _status_limit() -> str:
    return str(current_app.config["STATUS_RATE_LIMIT"])


def _tenant_and_request_or_404(tenant: str, reference: str,
                               token: str) -> tuple[Tenant, SupportRequest]:
    """The municipality and the request a status link names (a form posted from it)."""
    tenant_row = tenant_or_404(tenant)
    found = request_by_status_token(tenant_row, reference, token)
    if found is None:
        abort(404)
    return tenant_row, found


def _open_or_403(tenant: str, reference: str, token: str) -> tuple[Tenant, SupportRequest]:
    """As :func:`_tenant_and_request_or_404`, for a form posted from the status page itself:
    refused while the page is closed (contact not safe, no code word given)."""
    tenant_row, found = _tenant_and_request_or_404(tenant, reference, token)
    if _is_closed(found):
        abort(403)
    return tenant_row, found


@bp.route("/<tenant>/status", methods=["GET"])
@limiter.limit(_status_limit)
def status_lookup(tenant: str) -> Any:
    """Reference + code typed in: the status page, or a clear message."""
    tenant_row = tenant_or_404(tenant)
    reference = (request.args.get("reference") or "").strip().upper()
    code = (request.args.get("code") or "").strip()
    if not reference and not code:
        return render_template("resident/status_lookup.html", tenant=tenant_row)
    found = request_by_status_token(tenant_row, reference, code)
    if found is None:
        return render_template("resident/status_lookup.html", tenant=tenant_row,
                               reference=reference, not_found=True), 404
    return _status_page(tenant_row, found)


@bp.route("/<tenant>/status/<reference>/<token>")
@limiter.limit(_status_limit)
def status(tenant: str, reference: str, token: str) -> Any:
    tenant_row = tenant_or_404(tenant)
    found = request_by_status_token(tenant_row, reference, token)
    if found is None:
        return render_template("resident/status_lookup.html", tenant=tenant_row,
                               reference=reference, not_found=True), 404
    return _status_page(tenant_row, found)


@bp.route("/<tenant>/status/<reference>/<token>/feedback", methods=["POST"])
@limiter.limit(_status_limit)
def feedback(tenant: str, reference: str, token: str) -> Any:
    tenant_row, found = _open_or_403(tenant, reference, token)
    form = FeedbackForm()
    if not form.validate_on_submit():
        return _status_page(tenant_row, found, form)  # 422 with the errors
    give_feedback(found, form.answer.data, form.comment.data)
    flash(_("Thank you for your answer."), "success")
    return redirect(url_for("resident.status", tenant=tenant, reference=found.reference,
                            token=token))


@bp.route("/<tenant>/status/<reference>/<token>/answer", methods=["POST"])
@limiter.limit(_status_limit)
def answer(tenant: str, reference: str, token: str) -> Any:
    """The resident answers the team's question on the status page."""
    tenant_row, found = _open_or_403(tenant, reference, token)
    form = AnswerForm()
    if not form.validate_on_submit():
        return _status_page(tenant_row, found, answer_form=form)
    resident_questions.answer(found, form.body.data)
    flash(_("Thank you. The team has your answer."), "success")
    return redirect(url_for("resident.status", tenant=tenant, reference=found.reference,
                            token=token) + "#messages")


@bp.route("/<tenant>/status/<reference>/<token>/code-word", methods=["POST"])
@limiter.limit(_status_limit)
def code_word(tenant: str, reference: str, token: str) -> Any:
    """The code word of a request whose contact is not safe: right, and the status page
    opens for a while in this browser; wrong, and it stays closed (logged)."""
    tenant_row, found = _tenant_and_request_or_404(tenant, reference, token)
    form = CodeWordForm()
    if form.validate_on_submit():
        if safe_contact.open_status_page(found, form.code_word.data):
            session[_OPENED] = {**_opened(), str(found.id): _now() + _OPEN_SECONDS}
            return redirect(url_for("resident.status", tenant=tenant, reference=found.reference,
                                    token=token))
        form.code_word.errors = [_("This code word is not right.")]
    return _closed_page(tenant_row, found, form), 422


#: The session key of the status pages opened with their code word: {request id: until}.
_OPENED = "status_opened"
#: How long a status page stays open after the code word (seconds).
_OPEN_SECONDS = 15 * 60


def _now() -> int:
    return int(time.time())


def _opened() -> dict[str, int]:
    """The status pages this browser opened with a code word, still open."""
    stored = session.get(_OPENED)
    if not isinstance(stored, dict):
        return {}
    return {key: until for key, until in stored.items()
            if isinstance(until, int) and until > _now()}


def _is_closed(request_row: SupportRequest) -> bool:
    """The status page shows nothing but "being handled": the request's contact is not
    safe and this browser did not give its code word (lately)."""
    return request_row.contact_unsafe and str(request_row.id) not in _opened()


def _closed_page(tenant: Tenant, request_row: SupportRequest,
                 form: CodeWordForm | None = None) -> Any:
    g.no_store = True
    if form is None:
        safe_contact.status_page_closed(request_row)
    return render_template("resident/status_closed.html", tenant=tenant, request=request_row,
                           form=form or CodeWordForm(formdata=None),
                           action=url_for("resident.code_word", tenant=tenant.slug,
                                          reference=request_row.reference,
                                          token=status_token(request_row)))


def _status_page(tenant: Tenant, request_row: SupportRequest,
                 form: FeedbackForm | None = None,
                 answer_form: AnswerForm | None = None) -> Any:
    if _is_closed(request_row):
        return _closed_page(tenant, request_row)
    g.no_store = True
    referrals = sorted(request_row.referrals, key=lambda r: (r.created_at, r.id))
    token = status_token(request_row)
    feedback_url = url_for("resident.feedback", tenant=tenant.slug,
                           reference=request_row.reference, token=token)
    answer_url = url_for("resident.answer", tenant=tenant.slug,
                         reference=request_row.reference, token=token)
    failed = (form is not None and form.errors) or (answer_form is not None and answer_form.errors)
    return render_template("resident/status.html", tenant=tenant, request=request_row,
                           referrals=referrals, feedback_form=form or FeedbackForm(),
                           feedback_url=feedback_url, answer_url=answer_url,
                           answer_form=answer_form or AnswerForm(formdata=None),
                           messages=resident_questions.thread(request_row),
                           access=access_log.overview(request_row),
                           contact_email=contact_email(tenant)), \
        (422 if failed else 200)
