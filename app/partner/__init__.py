"""The partner portal: only the referrals sent to this organisation."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from wtforms import TextAreaField
from wtforms.validators import InputRequired, Length

from app.auth import roles_required
from app.extensions import db
from app.forms.base import BaseForm
from app.i18n import _, _l
from app.lifecycle import REFERRAL_STATES
from app.models import Referral
from app.services import referrals as referral_service
from app.services.referrals import DECLINE_REASON_MAX

bp = Blueprint("partner", __name__)


class DeclineForm(BaseForm):
    reason = TextAreaField(
        _l("Why do you decline?"),
        validators=[
            InputRequired(message=_l("Give a reason for declining.")),
            Length(max=DECLINE_REASON_MAX,
                   message=_l("Use at most %(max)d characters.", max=DECLINE_REASON_MAX)),
        ],
    )


@bp.route("/")
@roles_required("partner")
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


def add_referral_views(blueprint: Blueprint, *, back_endpoint: str, roles: tuple[str, ...]) -> None:
    """The receiving side of a referral (view, accept, decline), for partners and teams alike."""

    def render(referral_id: int, form: DeclineForm) -> str:
        referral = referral_service.referral_for(current_user, referral_id)
        name = blueprint.name
        return render_template(
            "partner/referral.html",
            referral=referral,
            form=form,
            accept_url=url_for(f"{name}.accept", referral_id=referral_id),
            decline_url=url_for(f"{name}.decline", referral_id=referral_id),
            back_url=url_for(back_endpoint),
        )

    @blueprint.route("/referrals/<int:referral_id>", endpoint="referral")
    @roles_required(*roles)
    def show(referral_id: int) -> Any:
        return render(referral_id, DeclineForm())

    @blueprint.route("/referrals/<int:referral_id>/accept", methods=["POST"], endpoint="accept")
    @roles_required(*roles)
    def accept(referral_id: int) -> Any:
        referral_service.accept(current_user, referral_id)
        flash(_("You accepted the referral."), "success")
        return redirect(url_for(f"{blueprint.name}.referral", referral_id=referral_id))

    @blueprint.route("/referrals/<int:referral_id>/decline", methods=["POST"], endpoint="decline")
    @roles_required(*roles)
    def decline(referral_id: int) -> Any:
        form = DeclineForm()
        if not form.validate_on_submit():
            return render(referral_id, form), 422
        referral_service.decline(current_user, referral_id, form.reason.data)
        flash(_("You declined the referral. The owning team has been told."), "success")
        return redirect(url_for(back_endpoint))


add_referral_views(bp, back_endpoint="partner.referrals", roles=("partner",))
