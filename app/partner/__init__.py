"""The partner portal: only the referrals sent to this organisation."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from wtforms import RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from app.auth import roles_required
from app.extensions import db
from app.forms.base import BaseForm, reason_field
from app.i18n import _, _l
from app.lifecycle import REFERRAL_STATES
from app.limits import REASON_MAX
from app.models import Referral
from app.roles import PARTNER
from app.services import casework
from app.services import referrals as referral_service
from app.vocabulary import OUTCOME_LABELS

bp = Blueprint("partner", __name__)


class DeclineForm(BaseForm):
    reason = reason_field(_l("Why do you decline?"), _l("Give a reason for declining."))


class GiveBackForm(BaseForm):
    reason = reason_field(_l("Why do you give it back?"), _l("Give a reason for giving it back."))


class CompleteForm(BaseForm):
    outcome = RadioField(
        _l("How did it end?"),
        choices=[SelectChoice(code, label) for code, label in OUTCOME_LABELS.items()],
        validators=[InputRequired(message=_l("Choose how it ended."))],
    )
    note = TextAreaField(
        _l("Note for the neighbourhood team (optional)"),
        validators=[Optional(), Length(max=REASON_MAX, message=_l(
            "Use at most %(max)d characters.", max=REASON_MAX))],
    )


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


def add_referral_views(blueprint: Blueprint, *, back_endpoint: str, roles: tuple[str, ...]) -> None:
    """The receiving side of a referral (view, accept, decline, start, complete, give back),
    for partners and teams alike."""
    name = blueprint.name

    def render(referral_id: int, **forms: BaseForm) -> str:
        referral = casework.open_referral(current_user, referral_id)
        forms = {"decline_form": DeclineForm(),
                 "give_back_form": GiveBackForm(),
                 "complete_form": CompleteForm(), **forms}
        return render_template(
            "partner/referral.html",
            referral=referral,
            urls={action: url_for(f"{name}.{action}", referral_id=referral_id)
                  for action in ("accept", "decline", "start", "complete", "give_back")},
            back_url=url_for(back_endpoint),
            notes=casework.shareable_notes(referral.request),
            **forms,
        )

    def done(referral_id: int, message: str) -> Any:
        flash(message, "success")
        return redirect(url_for(f"{name}.referral", referral_id=referral_id))

    @blueprint.route("/referrals/<int:referral_id>", endpoint="referral")
    @roles_required(*roles)
    def show(referral_id: int) -> Any:
        return render(referral_id)

    @blueprint.route("/referrals/<int:referral_id>/accept", methods=["POST"], endpoint="accept")
    @roles_required(*roles)
    def accept(referral_id: int) -> Any:
        referral_service.accept(current_user, referral_id)
        return done(referral_id, _("You accepted the referral."))

    @blueprint.route("/referrals/<int:referral_id>/decline", methods=["POST"], endpoint="decline")
    @roles_required(*roles)
    def decline(referral_id: int) -> Any:
        form = DeclineForm()
        if not form.validate_on_submit():
            return render(referral_id, decline_form=form), 422
        referral_service.decline(current_user, referral_id, form.reason.data)
        flash(_("You declined the referral. The owning team has been told."), "success")
        return redirect(url_for(back_endpoint))

    @blueprint.route("/referrals/<int:referral_id>/start", methods=["POST"], endpoint="start")
    @roles_required(*roles)
    def start(referral_id: int) -> Any:
        referral_service.start(current_user, referral_id)
        return done(referral_id, _("You started working on the referral."))

    @blueprint.route("/referrals/<int:referral_id>/complete", methods=["POST"],
                     endpoint="complete")
    @roles_required(*roles)
    def complete(referral_id: int) -> Any:
        form = CompleteForm()
        if not form.validate_on_submit():
            return render(referral_id, complete_form=form), 422
        referral_service.complete(current_user, referral_id, form.outcome.data, form.note.data)
        return done(referral_id, _("The referral is completed. The owning team can see how it "
                                   "ended."))

    @blueprint.route("/referrals/<int:referral_id>/give-back", methods=["POST"],
                     endpoint="give_back")
    @roles_required(*roles)
    def give_back(referral_id: int) -> Any:
        form = GiveBackForm()
        if not form.validate_on_submit():
            return render(referral_id, give_back_form=form), 422
        referral_service.give_back(current_user, referral_id, form.reason.data)
        flash(_("You gave the referral back. The owning team has been told."), "success")
        return redirect(url_for(back_endpoint))


add_referral_views(bp, back_endpoint="partner.referrals", roles=(PARTNER,))
