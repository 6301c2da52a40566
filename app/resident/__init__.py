"""The resident's front door: no account, any language, on a phone."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
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
from wtforms import RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from app.extensions import db, limiter
from app.forms.base import BaseForm
from app.forms.intake import IntakeForm, intake_data
from app.i18n import _, _l, get_locale
from app.models import SupportRequest, Tenant
from app.services import resident_messages
from app.services.intake import (
    find_by_submission_token,
    new_submission_token,
    request_by_status_token,
    status_token,
    submit_request,
)
from app.services.referrals import give_feedback
from app.services.resident_messages import MESSAGE_MAX
from app.services.routing import municipality_of
from app.vocabulary import FEEDBACK_LABELS

bp = Blueprint("resident", __name__)

#: How many references one browser session remembers for its confirmation pages.
_REMEMBERED = 10


def tenant_or_404(slug: str) -> Tenant:
    tenant = db.session.scalar(select(Tenant).where(Tenant.slug == slug))
    if tenant is None:
        abort(404)
    return tenant


def _intake_limit() -> str:
    return str(current_app.config["INTAKE_RATE_LIMIT"])


@bp.route("/")
def index() -> Any:
    return redirect(url_for("resident.home", tenant=current_app.config["DEFAULT_TENANT"]))


@bp.route("/<tenant>/")
def home(tenant: str) -> Any:
    return render_template("resident/home.html", tenant=tenant_or_404(tenant))


@bp.route("/<tenant>/hulpvraag", methods=["GET", "POST"])
@limiter.limit(_intake_limit, methods=["POST"])
def intake(tenant: str) -> Any:
    tenant_row = tenant_or_404(tenant)
    form = IntakeForm()
    if not form.is_submitted():
        form.submission_token.data = new_submission_token()
    if form.validate_on_submit():
        existing = find_by_submission_token(tenant_row, form.submission_token.data)
        data = intake_data(form, channel="web", language=str(get_locale()))
        request_row = existing or submit_request(tenant_row, data)
        remembered = [r for r in session.get("references", []) if r != request_row.reference]
        session["references"] = [request_row.reference, *remembered][:_REMEMBERED]
        return redirect(
            url_for("resident.confirmation", tenant=tenant, reference=request_row.reference)
        )
    return render_template("resident/intake.html", tenant=tenant_row, form=form), (
        422 if form.errors else 200
    )


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
    if request_row.location_problem == "outside_area" and request_row.lon is not None:
        elsewhere = municipality_of(request_row.lon, request_row.lat, besides=tenant_row)
    token = status_token(request_row)
    status_url = url_for("resident.status", tenant=tenant, reference=reference, token=token,
                         _external=True)
    return render_template("resident/confirmation.html", tenant=tenant_row, request=request_row,
                           elsewhere=elsewhere, status_url=status_url, status_code=token)


def _status_limit() -> str:
    return str(current_app.config["STATUS_RATE_LIMIT"])


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


class FeedbackForm(BaseForm):
    answer = RadioField(
        _l("Did you get the help you needed?"),
        choices=[SelectChoice(code, label) for code, label in FEEDBACK_LABELS.items()],
        validators=[InputRequired(message=_l("Choose an answer."))],
    )
    comment = TextAreaField(
        _l("Anything you want to tell us? (optional)"),
        validators=[Optional(), Length(max=2000, message=_l("Use at most 2000 characters."))],
    )


@bp.route("/<tenant>/status/<reference>/<token>/feedback", methods=["POST"])
@limiter.limit(_status_limit)
def feedback(tenant: str, reference: str, token: str) -> Any:
    tenant_row = tenant_or_404(tenant)
    found = request_by_status_token(tenant_row, reference, token)
    if found is None:
        abort(404)
    form = FeedbackForm()
    if not form.validate_on_submit():
        return _status_page(tenant_row, found, form)  # 422 with the errors
    give_feedback(found, form.answer.data, form.comment.data)
    flash(_("Thank you for your answer."), "success")
    return redirect(url_for("resident.status", tenant=tenant, reference=found.reference,
                            token=token))


class AnswerForm(BaseForm):
    body = TextAreaField(
        _l("Your answer"),
        validators=[InputRequired(message=_l("Write your answer.")),
                    Length(max=MESSAGE_MAX, message=_l("Use at most %(max)d characters.",
                                                       max=MESSAGE_MAX))],
    )


@bp.route("/<tenant>/status/<reference>/<token>/answer", methods=["POST"])
@limiter.limit(_status_limit)
def answer(tenant: str, reference: str, token: str) -> Any:
    """The resident answers the team's question on the status page."""
    tenant_row = tenant_or_404(tenant)
    found = request_by_status_token(tenant_row, reference, token)
    if found is None:
        abort(404)
    form = AnswerForm()
    if not form.validate_on_submit():
        return _status_page(tenant_row, found, answer_form=form)
    resident_messages.answer(found, form.body.data)
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
                           messages=resident_messages.thread(request_row)), \
        (422 if failed else 200)
