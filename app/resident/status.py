"""The status page: the resident follows the question with its reference and code, answers
the team's question, and says whether the help helped."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for

from app.extensions import limiter
from app.forms.status import AnswerForm, FeedbackForm
from app.i18n import _
from app.models import SupportRequest, Tenant
from app.resident import bp, contact_email, tenant_or_404
from app.services import resident_questions
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
    tenant_row, found = _tenant_and_request_or_404(tenant, reference, token)
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
    tenant_row, found = _tenant_and_request_or_404(tenant, reference, token)
    form = AnswerForm()
    if not form.validate_on_submit():
        return _status_page(tenant_row, found, answer_form=form)
    resident_questions.answer(found, form.body.data)
    flash(_("Thank you. The team has your answer."), "success")
    return redirect(url_for("resident.status", tenant=tenant, reference=found.reference,
                            token=token) + "#messages")


def _status_page(tenant: Tenant, request_row: SupportRequest,
                 form: FeedbackForm | None = None,
                 answer_form: AnswerForm | None = None) -> Any:
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
                           contact_email=contact_email(tenant)), \
        (422 if failed else 200)
