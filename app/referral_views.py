"""The receiving side of a referral (view, accept, decline, start, complete, give back), as
views any blueprint adds: the partner portal for its organisation, the staff workspace for
referrals to a team. The rules live in :mod:`app.services.referrals`."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user

from app.auth import roles_required
from app.extensions import db
from app.forms.base import BaseForm
from app.forms.progression import PREFIX as PROGRESSION_PREFIX
from app.forms.progression import ProgressionStepForm
from app.forms.referrals import CompleteForm, DeclineForm, GiveBackForm, HandoverNoteForm
from app.i18n import _
from app.models import Tenant
from app.roles import PARTNER
from app.services import casework, progression, regions, transfers
from app.services import referrals as referral_service
from app.vocabulary import PROGRESSION_STEP_LABELS


def add_referral_views(blueprint: Blueprint, *, back_endpoint: str, roles: tuple[str, ...]) -> None:
    """Add the referral page and its steps to ``blueprint``, as the endpoints
    ``<blueprint>.referral``, ``.accept``, ``.decline``, ``.start``, ``.complete``,
    ``.give_back`` and, for day activities and work, ``.progression`` and
    ``.remove_progression`` (the path to work), for users with one of ``roles``;
    ``back_endpoint`` is the list the page links back to, and where a declined or given back
    referral leaves the user."""
    name = blueprint.name
    takes_notes = PARTNER in roles  # only partners hand referrals over to a successor

    def render(referral_id: int, **forms: BaseForm) -> str:
        referral = casework.open_referral(current_user, referral_id)
        forms = {"decline_form": DeclineForm(),
                 "give_back_form": GiveBackForm(),
                 "complete_form": CompleteForm(),
                 "progression_form": ProgressionStepForm(formdata=None, prefix=PROGRESSION_PREFIX),
                 **forms}
        shows_path = progression.shows_path(referral)
        # A contract transfer: the old partner's note for its successor, while it may write it.
        successor = transfers.successor_of(referral) if takes_notes else None
        if successor is not None and "handover_form" not in forms:
            forms["handover_form"] = HandoverNoteForm(formdata=None, prefix="handover",
                                                      note=successor.handover_note)
        return render_template(
            "partner/referral.html",
            referral=referral,
            urls={action: url_for(f"{name}.{action}", referral_id=referral_id)
                  for action in ("accept", "decline", "start", "complete", "give_back")},
            back_url=url_for(back_endpoint),
            notes=casework.shareable_notes(referral.request),
            shows_path=shows_path,
            path_steps=progression.steps_of(referral.request) if shows_path else [],
            path_states=progression.RECORDING_STATES,
            path_url=url_for(f"{name}.progression", referral_id=referral_id),
            path_delete_endpoint=f"{name}.remove_progression",
            # A regional partner works for several municipalities: each referral says whose.
            municipality=(db.session.get(Tenant, referral.tenant_id)
                          if regions.is_regional(current_user) else None),
            successor=successor,
            may_write_note=successor is not None and transfers.may_write_note(referral),
            handover_url=url_for(f"{name}.handover_note", referral_id=referral_id)
            if takes_notes else None,
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

    if takes_notes:
        @blueprint.route("/referrals/<int:referral_id>/handover-note", methods=["POST"],
                         endpoint="handover_note")
        @roles_required(*roles)
        def handover_note(referral_id: int) -> Any:
            form = HandoverNoteForm(prefix="handover")
            if not form.validate_on_submit():
                return render(referral_id, handover_form=form), 422
            with form.catching_invalid_input() as outcome:
                transfers.add_handover_note(current_user, referral_id, form.note.data)
            if not outcome.ok:
                return render(referral_id, handover_form=form), 422
            return done(referral_id, _("The handover note is saved. The new organisation "
                                       "reads it with the referral."))

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

    @blueprint.route("/referrals/<int:referral_id>/progression", methods=["POST"],
                     endpoint="progression")
    @roles_required(*roles)
    def record_progression(referral_id: int) -> Any:
        """A step on the path to work of the person this referral is about."""
        referral = referral_service.referral_for(current_user, referral_id)
        form = ProgressionStepForm(prefix=PROGRESSION_PREFIX)
        if form.validate_on_submit():
            with form.catching_invalid_input() as outcome:
                progression.record_step(current_user, referral.request, form.step.data,
                                        form.happened_on.data, referral=referral)
            if outcome.ok:
                return done(referral_id, _("Saved: %(step)s.",
                                           step=PROGRESSION_STEP_LABELS[form.step.data]))
        return render(referral_id, progression_form=form), 422

    @blueprint.route("/referrals/<int:referral_id>/progression/<int:step_id>/delete",
                     methods=["POST"], endpoint="remove_progression")
    @roles_required(*roles)
    def remove_progression(referral_id: int, step_id: int) -> Any:
        referral = referral_service.referral_for(current_user, referral_id)
        progression.remove_step(current_user, referral.request, step_id)
        return done(referral_id, _("The step is removed."))
