"""The partner portal: only the referrals sent to this organisation, and its services'
capacity. The referral page and its steps are shared with the staff workspace
(:mod:`app.referral_views`)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.auth import roles_required
from app.calendar import today as local_today
from app.extensions import db
from app.forms.capacity import CapacityForm
from app.i18n import _
from app.lifecycle import REFERRAL_STATES
from app.models import Contract, Referral
from app.referral_views import add_referral_views
from app.roles import PARTNER
from app.services import capacity, regions
from app.services.referrals import received_referrals

bp = Blueprint("partner", __name__)


@bp.route("/")
@roles_required(PARTNER)
def referrals() -> Any:
    state = request.args.get("state")
    query = received_referrals(current_user)
    if state in REFERRAL_STATES:
        query = query.where(Referral.state == state)
    rows = db.session.scalars(query.order_by(Referral.due_date, Referral.id).limit(500)).all()
    return render_template("partner/referrals.html", referrals=rows, state=state,
                           regional=regions.is_regional(current_user),
                           municipalities=regions.municipality_names(current_user))


def _services_page(posted: tuple[int, CapacityForm] | None = None) -> str:
    services = capacity.services_of(current_user)
    forms = {service.id: CapacityForm.for_contract(service, formdata=None)
             for service in services}
    if posted is not None:
        forms[posted[0]] = posted[1]
    return render_template("partner/services.html", services=services, forms=forms,
                           today=local_today(), has_room=capacity.has_room)


@bp.route("/services")
@roles_required(PARTNER)
def services() -> Any:
    return _services_page()


@bp.route("/services/<key>", methods=["POST"])
@roles_required(PARTNER)
def service_capacity(key: str) -> Any:
    service: Contract = capacity.own_service(current_user, key)
    form = CapacityForm.for_contract(service)
    if form.validate_on_submit():
        with form.catching_invalid_input() as outcome:
            capacity.set_capacity(current_user, key, form.data_for_service())
        if outcome.ok:
            flash(_("Saved. New referrals follow what you said from now on."), "success")
            return redirect(url_for("partner.services"))
    return _services_page((service.id, form)), 422


add_referral_views(bp, back_endpoint="partner.referrals", roles=(PARTNER,))
