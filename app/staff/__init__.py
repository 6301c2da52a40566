"""The wijkteam workspace: the team's queue, a request, picking up, phone intake."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import case, func, select
from wtforms import DateField, RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from app.auth import roles_required
from app.extensions import db
from app.forms.base import BaseForm, reason_field
from app.forms.intake import StaffIntakeForm, intake_data
from app.i18n import _, _l
from app.models import Referral, SupportRequest, Task, Tenant
from app.partner import add_referral_views
from app.services import cracks, legal, maps, notifications
from app.services import referrals as referral_service
from app.services.errors import InvalidInput
from app.services.intake import new_submission_token, submit_request
from app.vocabulary import LOCATION_PROBLEM_LABELS, WMO_STEP_LABELS

bp = Blueprint("staff", __name__)


class CloseForm(BaseForm):
    note = reason_field(_l("How did the question end?"),
                        _l("Write down how the question ended."))


class WithdrawForm(BaseForm):
    reason = reason_field(_l("Why do you withdraw it?"), _l("Give a reason for withdrawing."))


class WmoStepForm(BaseForm):
    step = RadioField(_l("Which step of the Wmo procedure?"),
                      choices=[SelectChoice(code, text) for code, text in WMO_STEP_LABELS.items()],
                      validators=[InputRequired(message=_l("Choose a step."))])
    day = DateField(_l("On which date?"), format="%Y-%m-%d",
                    validators=[InputRequired(message=_l("Enter a date."))])


@bp.context_processor
def _unread() -> dict[str, Any]:
    if current_user.is_authenticated and current_user.role in STAFF_ROLES:
        return {"unread_notifications": notifications.unread_count(current_user)}
    return {}

STAFF_ROLES = ("staff", "team_lead")

PRIORITY_ORDER = case(
    (SupportRequest.priority == "crisis", 0), (SupportRequest.priority == "spoed", 1), else_=2
)


@bp.route("/")
@roles_required(*STAFF_ROLES)
def queue() -> Any:
    open_tasks = (
        select(Task.request_id, func.count(Task.id).label("n"))
        .where(Task.team_id == current_user.team_id, Task.state == "open")
        .group_by(Task.request_id)
        .subquery()
    )
    rows = db.session.execute(
        select(SupportRequest, func.coalesce(open_tasks.c.n, 0))
        .outerjoin(open_tasks, open_tasks.c.request_id == SupportRequest.id)
        .where(
            SupportRequest.tenant_id == current_user.tenant_id,
            SupportRequest.owner_team_id == current_user.team_id,
            SupportRequest.status != "closed",
        )
        .order_by(PRIORITY_ORDER, SupportRequest.created_at, SupportRequest.id)
        .limit(200)
    ).all()
    incoming = db.session.scalars(
        select(Referral)
        .where(
            Referral.tenant_id == current_user.tenant_id,
            Referral.target_team_id == current_user.team_id,
            Referral.state.in_(("sent", "accepted", "in_progress")),
        )
        .order_by(Referral.due_date, Referral.id)
    ).all()
    return render_template("staff/queue.html", rows=rows, incoming=incoming,
                           next_legal=legal.next_due, today=legal.local_today())


@bp.route("/requests/<reference>")
@roles_required(*STAFF_ROLES)
def request_detail(reference: str) -> Any:
    return _request_page(reference)


def _request_page(reference: str, failed: WithdrawForm | None = None,
                  failed_referral: int | None = None, close_form: CloseForm | None = None,
                  wmo_form: WmoStepForm | None = None) -> Any:
    request_row = referral_service.request_for_staff(current_user, reference)
    withdraw_forms = {
        referral.id: failed if referral.id == failed_referral and failed is not None
        else WithdrawForm(prefix=f"withdraw-{referral.id}")
        for referral in request_row.referrals
    }
    if wmo_form is None:
        wmo_form = WmoStepForm()
        wmo_form.day.data = legal.local_today()
    return render_template("staff/request.html", request=request_row,
                           location_problems=LOCATION_PROBLEM_LABELS,
                           deadlines=legal.deadlines(request_row), today=legal.local_today(),
                           owns=request_row.owner_team_id == current_user.team_id,
                           withdraw_forms=withdraw_forms,
                           close_form=close_form or CloseForm(), wmo_form=wmo_form)


@bp.route("/cracks")
@roles_required("team_lead")
def cracks_page() -> Any:
    """For the team lead: where someone of this team may fall through the cracks."""
    tenant = db.session.get(Tenant, current_user.tenant_id)
    assert tenant is not None
    report = cracks.find_cracks(tenant)
    return render_template("staff/cracks.html", cracks=report.for_team(current_user.team_id),
                           dead_letters=report.counts()["dead_letter"])


@bp.route("/referrals/<int:referral_id>/withdraw", methods=["POST"])
@roles_required(*STAFF_ROLES)
def withdraw_referral(referral_id: int) -> Any:
    referral = referral_service.owned_referral(current_user, referral_id)
    reference = referral.request.reference
    form = WithdrawForm(prefix=f"withdraw-{referral_id}")
    if not form.validate_on_submit():
        return _request_page(reference, form, referral_id), 422
    referral_service.withdraw(current_user, referral_id, form.reason.data)
    flash(_("The referral is withdrawn."), "success")
    return redirect(url_for("staff.request_detail", reference=reference))


@bp.route("/referrals/<int:referral_id>/send", methods=["POST"])
@roles_required(*STAFF_ROLES)
def send_referral(referral_id: int) -> Any:
    referral = referral_service.send_with_consent(current_user, referral_id)
    flash(_("The referral is sent to %(target)s.", target=referral.target_name), "success")
    return redirect(url_for("staff.request_detail", reference=referral.request.reference))


@bp.route("/requests/<reference>/pick-up", methods=["POST"])
@roles_required(*STAFF_ROLES)
def pick_up(reference: str) -> Any:
    referral_service.pick_up(current_user, reference)
    flash(_("You are now the coordinator of this request."), "success")
    return redirect(url_for("staff.request_detail", reference=reference))


@bp.route("/requests/<reference>/close", methods=["POST"])
@roles_required(*STAFF_ROLES)
def close(reference: str) -> Any:
    form = CloseForm()
    if not form.validate_on_submit():
        return _request_page(reference, close_form=form), 422
    referral_service.close_request(current_user, reference, form.note.data)
    flash(_("The request is closed."), "success")
    return redirect(url_for("staff.request_detail", reference=reference))


@bp.route("/requests/<reference>/wmo", methods=["POST"])
@roles_required(*STAFF_ROLES)
def wmo_step(reference: str) -> Any:
    """Record a step of the Wmo procedure; it stops or starts a legal clock."""
    request_row = referral_service.owned_request(current_user, reference)
    form = WmoStepForm()
    if form.validate_on_submit():
        try:
            legal.record_step(current_user, request_row, form.step.data, form.day.data)
        except InvalidInput as exc:
            getattr(form, exc.field).errors = [str(exc)]
        else:
            flash(_("Saved: %(step)s.", step=WMO_STEP_LABELS[form.step.data]), "success")
            return redirect(url_for("staff.request_detail", reference=reference))
    return _request_page(reference, wmo_form=form), 422


@bp.route("/notifications")
@roles_required(*STAFF_ROLES)
def notifications_page() -> Any:
    return render_template("staff/notifications.html",
                           items=notifications.latest(current_user), text=notifications.text)


@bp.route("/notifications/<int:notification_id>")
@roles_required(*STAFF_ROLES)
def open_notification(notification_id: int) -> Any:
    """Open what a notification is about; opening it marks it as read."""
    notification = notifications.mine(current_user, notification_id)
    if notification is None:
        abort(404)
    notifications.mark_read(current_user, notification_id)
    if notification.request is None:
        return redirect(url_for("staff.notifications_page"))
    return redirect(url_for("staff.request_detail", reference=notification.request.reference))


@bp.route("/notifications/read", methods=["POST"])
@roles_required(*STAFF_ROLES)
def read_all_notifications() -> Any:
    notifications.mark_read(current_user)
    flash(_("All notifications are marked as read."), "success")
    return redirect(url_for("staff.notifications_page"))


@bp.route("/notifications/digest", methods=["POST"])
@roles_required(*STAFF_ROLES)
def digest_preference() -> Any:
    wanted = notifications.set_digest(current_user, request.form.get("digest") == "on")
    flash(_("You get the daily e-mail.") if wanted else _("You no longer get the daily e-mail."),
          "success")
    return redirect(url_for("staff.notifications_page"))


@bp.route("/tasks/<int:task_id>/done", methods=["POST"])
@roles_required(*STAFF_ROLES)
def task_done(task_id: int) -> Any:
    task = referral_service.complete_task(current_user, task_id)
    flash(_("The task is done."), "success")
    return redirect(url_for("staff.request_detail", reference=task.request.reference))


@bp.route("/requests/new", methods=["GET", "POST"])
@roles_required(*STAFF_ROLES)
def new_request() -> Any:
    form = StaffIntakeForm()
    if not form.is_submitted():
        form.submission_token.data = new_submission_token()
    tenant = db.session.get(Tenant, current_user.tenant_id)
    assert tenant is not None
    if form.validate_on_submit():
        # Idempotent on the form's submission token: a double click logs one request.
        request_row = submit_request(
            tenant,
            intake_data(form, channel=form.channel.data, language="nl"),
            actor=current_user,
        )
        flash(_("The request %(reference)s has been logged.", reference=request_row.reference),
              "success")
        return redirect(url_for("staff.request_detail", reference=request_row.reference))
    return render_template(
        "staff/new_request.html", form=form, action=url_for("staff.new_request")
    ), (422 if form.errors else 200)


@bp.route("/map")
@roles_required(*STAFF_ROLES)
def map_page() -> Any:
    tenant = db.session.get(Tenant, current_user.tenant_id)
    assert tenant is not None
    buurten = maps.buurten_by_team(tenant)
    teams = sorted({(f["properties"]["team"] or "", f["properties"]["colour"]) for f in buurten})
    return render_template("staff/map.html", buurten=buurten, teams=teams,
                           tile_url=current_app.config["MAP_TILE_URL"],
                           tile_attribution=current_app.config["MAP_TILE_ATTRIBUTION"])


@bp.route("/map.json")
@roles_required(*STAFF_ROLES)
def map_data() -> Any:
    tenant = db.session.get(Tenant, current_user.tenant_id)
    assert tenant is not None
    return jsonify({
        "buurten": {"type": "FeatureCollection", "features": maps.buurten_by_team(tenant)},
        "requests": maps.open_requests_of(current_user.team_id, tenant),
        "request_url": url_for("staff.request_detail", reference="REFERENCE"),
    })


add_referral_views(bp, back_endpoint="staff.queue", roles=STAFF_ROLES)
