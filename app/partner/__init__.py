"""The partner portal: only the referrals sent to this organisation. The referral page and
its steps are shared with the staff workspace (:mod:`app.referral_views`)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from flask_login import current_user
from sqlalchemy import select

from app.auth import roles_required
from app.extensions import db
from app.lifecycle import REFERRAL_STATES
from app.models import Referral
from app.referral_views import add_referral_views
from app.roles import PARTNER

bp = Blueprint("partner", __name__)


@bp.route("/")
@roles_required(PARTNER)
def referrals() -> Any:
    state = request.args.get("state")
    query = select(Referral).where(
        Referral.tenant_id == current_user.tenant_id,
        Referral.target_partner_id == current_user.partner_id,
        Referral.state != "proposed",  # not shared before the resident consents
    )
    if state in REFERRAL_STATES:
        query = query.where(Referral.state == state)
    rows = db.session.scalars(query.order_by(Referral.due_date, Referral.id).limit(500)).all()
    return render_template("partner/referrals.html", referrals=rows, state=state)


add_referral_views(bp, back_endpoint="partner.referrals", roles=(PARTNER,))
