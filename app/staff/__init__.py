"""The wijkteam workspace: notifications, phone intake, the map, the cracks report.

The request page and the steps taken on it live in :mod:`app.staff.casework`; the team
queue, saved filters and the team lead's dashboard in :mod:`app.staff.queue`. A referral
sent to a team is handled on the same pages as a partner's (:mod:`app.referral_views`).
"""

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

from app.auth import roles_required
from app.extensions import db
from app.forms.intake import StaffIntakeForm, intake_data
from app.i18n import _
from app.messaging.in_app import notifications
from app.models import Tenant
from app.referral_views import add_referral_views
from app.roles import TEAM_LEAD, TEAM_ROLES
from app.services import cracks, maps
from app.services.intake import new_submission_token, submit_request

bp = Blueprint("staff", __name__)


@bp.context_processor
def _unread() -> dict[str, Any]:
    if current_user.is_authenticated and current_user.role in TEAM_ROLES:
        return {"unread_notifications": notifications.unread_count(current_user)}
    return {}


@bp.route("/cracks")
@roles_required(TEAM_LEAD)
def cracks_page() -> Any:
    """For the team lead: where someone of this team may fall through the cracks."""
    tenant = db.session.get(Tenant, current_user.tenant_id)
    assert tenant is not None
    report = cracks.find_cracks(tenant)
    return render_template("staff/cracks.html", cracks=report.for_team(current_user.team_id),
                           dead_letters=report.counts()["dead_letter"])


@bp.route("/notifications")
@roles_required(*TEAM_ROLES)
def notifications_page() -> Any:
    return render_template("staff/notifications.html",
                           items=notifications.latest(current_user), text=notifications.text)


@bp.route("/notifications/<int:notification_id>")
@roles_required(*TEAM_ROLES)
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
@roles_required(*TEAM_ROLES)
def read_all_notifications() -> Any:
    notifications.mark_read(current_user)
    flash(_("All notifications are marked as read."), "success")
    return redirect(url_for("staff.notifications_page"))


@bp.route("/notifications/digest", methods=["POST"])
@roles_required(*TEAM_ROLES)
def digest_preference() -> Any:
    wanted = notifications.set_digest(current_user, request.form.get("digest") == "on")
    flash(_("You get the daily e-mail.") if wanted else _("You no longer get the daily e-mail."),
          "success")
    return redirect(url_for("staff.notifications_page"))


@bp.route("/requests/new", methods=["GET", "POST"])
@roles_required(*TEAM_ROLES)
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
@roles_required(*TEAM_ROLES)
def map_page() -> Any:
    tenant = db.session.get(Tenant, current_user.tenant_id)
    assert tenant is not None
    buurten = maps.buurten_by_team(tenant)
    teams = sorted({(f["properties"]["team"] or "", f["properties"]["colour"]) for f in buurten})
    return render_template("staff/map.html", buurten=buurten, teams=teams,
                           tile_url=current_app.config["MAP_TILE_URL"],
                           tile_attribution=current_app.config["MAP_TILE_ATTRIBUTION"])


@bp.route("/map.json")
@roles_required(*TEAM_ROLES)
def map_data() -> Any:
    tenant = db.session.get(Tenant, current_user.tenant_id)
    assert tenant is not None
    return jsonify({
        "buurten": {"type": "FeatureCollection", "features": maps.buurten_by_team(tenant)},
        "requests": maps.open_requests_of(current_user.team_id, tenant),
        "request_url": url_for("staff.request_detail", reference="REFERENCE"),
    })


add_referral_views(bp, back_endpoint="staff.queue", roles=TEAM_ROLES)


from app.staff import access_log, casework, queue, replies  # noqa: E402,F401 - their routes
