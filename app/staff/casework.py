"""The request page and the steps staff take on it.

Every step that changes the request carries the version the user saw; a step posted from
an older page is refused with what changed since (optimistic locking), so a colleague's
change is never silently overwritten. Every view of the page is logged (NEN 7513).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError
from wtforms.fields.choices import SelectChoice

from app.auth import roles_required
from app.extensions import db
from app.forms.base import BaseForm
from app.forms.casework import (
    AskForm,
    AssignForm,
    BsnForm,
    CloseForm,
    ContactForm,
    ContactSafeForm,
    ContactUnsafeForm,
    HandoverForm,
    LifeAreasForm,
    NoteForm,
    ReferByHandForm,
    RefuseHandoverForm,
    RightsRequestForm,
    WithdrawForm,
    WmoStepForm,
)
from app.forms.progression import PREFIX as PROGRESSION_PREFIX
from app.forms.progression import ProgressionStepForm
from app.i18n import _, ngettext
from app.models import SupportRequest, Team
from app.roles import TEAM_ROLES
from app.services import casework as service
from app.services import duplicates, handover, legal, progression, replies, rerun
from app.services import referrals as referral_service
from app.services import resident_questions as questions
from app.services.casework import Stale
from app.services.errors import InvalidInput
from app.staff import bp
from app.vocabulary import LOCATION_PROBLEM_LABELS, PROGRESSION_STEP_LABELS, WMO_STEP_LABELS


@bp.route("/requests/<reference>")
@roles_required(*TEAM_ROLES)
def request_detail(reference: str) -> Any:
    return _request_page(reference)


def _request_page(reference: str, *, stale: Stale | None = None, bsn_shown: str | None = None,
                  changes: rerun.Rerun | None = None,
                  withdraw_form: tuple[int, WithdrawForm] | None = None,
                  **forms: BaseForm) -> Any:
    request_row = service.open_request(current_user, reference)
    withdraw_forms = {referral.id: WithdrawForm(prefix=f"withdraw-{referral.id}")
                      for referral in request_row.referrals}
    if withdraw_form is not None:
        withdraw_forms[withdraw_form[0]] = withdraw_form[1]
    if "wmo_form" not in forms:
        forms["wmo_form"] = WmoStepForm(formdata=None)
        forms["wmo_form"].day.data = legal.local_today()
    forms.setdefault("close_form", CloseForm(formdata=None))
    forms.setdefault("note_form", NoteForm(formdata=None, prefix="note"))
    forms.setdefault("contact_form", ContactForm(formdata=None, prefix="contact"))
    forms.setdefault("assign_form", AssignForm(formdata=None, prefix="assign"))
    forms.setdefault("handover_form", HandoverForm(formdata=None, prefix="handover"))
    forms.setdefault("refuse_form", RefuseHandoverForm(formdata=None, prefix="refuse"))
    forms.setdefault("bsn_form", BsnForm(formdata=None))
    forms.setdefault("unsafe_form", ContactUnsafeForm(formdata=None, prefix="unsafe"))
    forms.setdefault("safe_form", ContactSafeForm(formdata=None, prefix="safe"))
    if "rights_form" not in forms:
        forms["rights_form"] = RightsRequestForm(formdata=None, prefix="rights")
        forms["rights_form"].received_on.data = legal.local_today()
    forms.setdefault("refer_form", ReferByHandForm(formdata=None, prefix="refer"))
    forms.setdefault("progression_form",
                     ProgressionStepForm(formdata=None, prefix=PROGRESSION_PREFIX))
    if "ask_form" not in forms:
        forms["ask_form"] = AskForm(formdata=None, prefix="ask")
        chosen = request.args.get("reply", "")
        if chosen.isdigit():
            template = replies.get(current_user.tenant_id, int(chosen))
            forms["ask_form"].body.data = replies.fill(template.body, request_row, current_user)
    if "areas_form" not in forms:
        forms["areas_form"] = LifeAreasForm(formdata=None, prefix="areas")
        forms["areas_form"].life_areas.data = list(request_row.life_areas)
    _target_choices(forms["refer_form"])  # type: ignore[arg-type]
    _choices(forms["assign_form"], forms["handover_form"])  # type: ignore[arg-type]
    entries = service.timeline(request_row)
    return render_template("staff/request.html", request=request_row,
                           location_problems=LOCATION_PROBLEM_LABELS,
                           deadlines=legal.deadlines(request_row), today=legal.local_today(),
                           owns=request_row.owner_team_id == current_user.team_id,
                           withdraw_forms=withdraw_forms, timeline=entries,
                           seen_event=max((e.event_id or 0 for e in entries), default=0),
                           stale=stale, bsn_shown=bsn_shown, changes=changes,
                           duplicates=duplicates.possible_duplicates(request_row),
                           reply_templates=replies.for_tenant(current_user.tenant_id, "resident"),
                           household=duplicates.household(request_row),
                           path_steps=progression.steps_of(request_row),
                           bsn_masked=service.masked_bsn(request_row.bsn), **forms)


def _target_choices(form: ReferByHandForm) -> None:
    form.target.choices = [SelectChoice(referral_service.target_key(target), target.name)
                           for target in referral_service.targets(current_user.tenant_id)
                           if _not_own_team(target)]


def _not_own_team(target: object) -> bool:
    return not (isinstance(target, Team) and target.id == current_user.team_id)


def _choices(assign_form: AssignForm, handover_form: HandoverForm) -> None:
    assign_form.colleague.choices = [
        SelectChoice(user.id, user.name) for user in handover.colleagues(current_user)]
    handover_form.team.choices = [
        SelectChoice(team.id, team.name)
        for team in handover.teams_to_hand_over_to(current_user)]


def _posted_int(name: str) -> int | None:
    value = request.form.get(name, "")
    return int(value) if value.isdigit() else None


def _changed(reference: str, change: Callable[[SupportRequest], object],
             **forms: BaseForm) -> Any | None:
    """Make a change to the user's request if it is still the version they saw.

    Returns None when done, or the page again (409) showing what changed since."""
    seen_event = _posted_int("seen_event")
    try:
        request_row = referral_service.owned_request(current_user, reference)
        service.check_version(request_row, _posted_int("version"), seen_event)
        change(request_row)
    except StaleDataError:  # a colleague's change committed between our read and write
        db.session.rollback()
        request_row = referral_service.owned_request(current_user, reference)
        stale = Stale(service.changes_since(request_row, seen_event))
        return _request_page(reference, stale=stale, **forms), 409
    except Stale as exc:
        db.session.rollback()
        return _request_page(reference, stale=exc, **forms), 409
    return None


@bp.route("/requests/<reference>/pick-up", methods=["POST"])
@roles_required(*TEAM_ROLES)
def pick_up(reference: str) -> Any:
    refused = _changed(reference, lambda row: referral_service.pick_up(current_user, reference))
    if refused is not None:
        return refused
    flash(_("You are now the coordinator of this request."), "success")
    return redirect(url_for("staff.request_detail", reference=reference))


@bp.route("/requests/<reference>/close", methods=["POST"])
@roles_required(*TEAM_ROLES)
def close(reference: str) -> Any:
    form = CloseForm()
    if not form.validate_on_submit():
        return _request_page(reference, close_form=form), 422
    refused = _changed(
        reference, lambda row: referral_service.close_request(current_user, reference,
                                                              form.note.data),
        close_form=form)
    if refused is not None:
        return refused
    flash(_("The request is closed."), "success")
    return redirect(url_for("staff.request_detail", reference=reference))


@bp.route("/requests/<reference>/wmo", methods=["POST"])
@roles_required(*TEAM_ROLES)
def wmo_step(reference: str) -> Any:
    """Record a step of the Wmo procedure; it stops or starts a legal clock."""
    form = WmoStepForm()
    if form.validate_on_submit():
        with form.catching_invalid_input() as outcome:
            refused = _changed(reference, lambda row: legal.record_step(
                current_user, row, form.step.data, form.day.data), wmo_form=form)
        if outcome.ok:
            if refused is not None:
                return refused
            flash(_("Saved: %(step)s.", step=WMO_STEP_LABELS[form.step.data]), "success")
            return redirect(url_for("staff.request_detail", reference=reference))
    return _request_page(reference, wmo_form=form), 422


@bp.route("/requests/<reference>/notes", methods=["POST"])
@roles_required(*TEAM_ROLES)
def add_note(reference: str) -> Any:
    """A note adds to the request and overwrites nothing, so it needs no version check."""
    form = NoteForm(prefix="note")
    if form.validate_on_submit():
        with form.catching_invalid_input() as outcome:
            service.add_note(current_user, reference, form.body.data, form.shareable.data)
        if outcome.ok:
            flash(_("The note is saved."), "success")
            return redirect(url_for("staff.request_detail", reference=reference) + "#timeline")
    return _request_page(reference, note_form=form), 422


@bp.route("/requests/<reference>/contacts", methods=["POST"])
@roles_required(*TEAM_ROLES)
def log_contact(reference: str) -> Any:
    form = ContactForm(prefix="contact")
    if form.validate_on_submit():
        happened_at = None
        if form.happened_at.data is not None:
            happened_at = legal.to_utc(form.happened_at.data)
        with form.catching_invalid_input() as outcome:
            service.log_contact(current_user, reference, form.kind.data, form.note.data,
                                happened_at)
        if outcome.ok:
            flash(_("The contact is saved."), "success")
            return redirect(url_for("staff.request_detail", reference=reference) + "#timeline")
    return _request_page(reference, contact_form=form), 422


@bp.route("/referrals/<int:referral_id>/withdraw", methods=["POST"])
@roles_required(*TEAM_ROLES)
def withdraw_referral(referral_id: int) -> Any:
    referral = referral_service.owned_referral(current_user, referral_id)
    reference = referral.request.reference
    form = WithdrawForm(prefix=f"withdraw-{referral_id}")
    if not form.validate_on_submit():
        return _request_page(reference, withdraw_form=(referral_id, form)), 422
    referral_service.withdraw(current_user, referral_id, form.reason.data)
    flash(_("The referral is withdrawn."), "success")
    return redirect(url_for("staff.request_detail", reference=reference))


@bp.route("/referrals/<int:referral_id>/send", methods=["POST"])
@roles_required(*TEAM_ROLES)
def send_referral(referral_id: int) -> Any:
    referral = referral_service.send_with_consent(current_user, referral_id)
    if referral.held_since is not None:
        flash(_("The consent is saved. The referral goes to %(target)s when there is room.",
                target=referral.target_name), "success")
    else:
        flash(_("The referral is sent to %(target)s.", target=referral.target_name), "success")
    return redirect(url_for("staff.request_detail", reference=referral.request.reference))


@bp.route("/tasks/<int:task_id>/done", methods=["POST"])
@roles_required(*TEAM_ROLES)
def task_done(task_id: int) -> Any:
    task = referral_service.complete_task(current_user, task_id)
    flash(_("The task is done."), "success")
    return redirect(url_for("staff.request_detail", reference=task.request.reference))


def _done(reference: str, message: str) -> Any:
    flash(message, "success")
    return redirect(url_for("staff.request_detail", reference=reference))


@bp.route("/requests/<reference>/assign", methods=["POST"])
@roles_required(*TEAM_ROLES)
def assign(reference: str) -> Any:
    form = AssignForm(prefix="assign")
    _choices(form, HandoverForm(formdata=None, prefix="handover"))
    if not form.validate_on_submit():
        return _request_page(reference, assign_form=form), 422
    with form.catching_invalid_input() as outcome:
        refused = _changed(reference, lambda row: handover.assign(
            current_user, row, form.colleague.data), assign_form=form)
    if not outcome.ok:
        return _request_page(reference, assign_form=form), 422
    return refused or _done(reference, _("The coordinator is saved."))


@bp.route("/requests/<reference>/handover", methods=["POST"])
@roles_required(*TEAM_ROLES)
def ask_handover(reference: str) -> Any:
    form = HandoverForm(prefix="handover")
    _choices(AssignForm(formdata=None, prefix="assign"), form)
    if not form.validate_on_submit():
        return _request_page(reference, handover_form=form), 422
    with form.catching_invalid_input() as outcome:
        refused = _changed(reference, lambda row: handover.ask_handover(
            current_user, row, form.team.data, form.reason.data), handover_form=form)
    if not outcome.ok:
        return _request_page(reference, handover_form=form), 422
    return refused or _done(reference, _("The other team is asked to take the request over. "
                                         "Your team stays responsible until they accept."))


@bp.route("/requests/<reference>/handover/accept", methods=["POST"])
@roles_required(*TEAM_ROLES)
def accept_handover(reference: str) -> Any:
    handover.accept_handover(current_user, reference)
    return _done(reference, _("Your team now owns this request."))


@bp.route("/requests/<reference>/handover/refuse", methods=["POST"])
@roles_required(*TEAM_ROLES)
def refuse_handover(reference: str) -> Any:
    form = RefuseHandoverForm(prefix="refuse")
    if not form.validate_on_submit():
        return _request_page(reference, refuse_form=form), 422
    handover.refuse_handover(current_user, reference, form.reason.data)
    flash(_("You said no to the handover. The other team has been told."), "success")
    return redirect(url_for("staff.queue"))


@bp.route("/requests/<reference>/handover/cancel", methods=["POST"])
@roles_required(*TEAM_ROLES)
def cancel_handover(reference: str) -> Any:
    handover.cancel_handover(current_user, reference)
    return _done(reference, _("The handover is cancelled."))


@bp.route("/requests/<reference>/bsn", methods=["POST"])
@roles_required(*TEAM_ROLES)
def record_bsn(reference: str) -> Any:
    form = BsnForm()
    if form.validate_on_submit():
        with form.catching_invalid_input() as outcome:
            refused = _changed(reference, lambda row: service.record_bsn(
                current_user, row, form.bsn.data), bsn_form=form)
        if outcome.ok:
            return refused or _done(reference, _("The BSN is saved."))
    return _request_page(reference, bsn_form=form), 422


@bp.route("/requests/<reference>/contact-unsafe", methods=["POST"])
@roles_required(*TEAM_ROLES)
def mark_contact_unsafe(reference: str) -> Any:
    """Contact is not safe: nothing goes to the resident's own address any more."""
    form = ContactUnsafeForm(prefix="unsafe")
    if form.validate_on_submit():
        with form.catching_invalid_input() as outcome:
            refused = service.mark_contact_unsafe(
                current_user, reference, safe_phone=form.safe_phone.data,
                safe_times=form.safe_times.data, code_word=form.code_word.data)
        if outcome.ok:
            message = _("Contact is marked as not safe. Nothing is sent to the resident.")
            if refused:
                message += " " + ngettext("%(num)d waiting message to the resident is stopped.",
                                          "%(num)d waiting messages to the resident are stopped.",
                                          refused)
            return _done(reference, message)
    return _request_page(reference, unsafe_form=form), 422


@bp.route("/requests/<reference>/contact-safe", methods=["POST"])
@roles_required(*TEAM_ROLES)
def mark_contact_safe(reference: str) -> Any:
    form = ContactSafeForm(prefix="safe")
    if form.validate_on_submit():
        with form.catching_invalid_input() as outcome:
            service.mark_contact_safe(current_user, reference, form.reason.data)
        if outcome.ok:
            return _done(reference, _("Contact is safe again. Messages to the resident go "
                                      "again from now on."))
    return _request_page(reference, safe_form=form), 422


@bp.route("/requests/<reference>/rights", methods=["POST"])
@roles_required(*TEAM_ROLES)
def record_rights_request(reference: str) -> Any:
    """The resident asks to correct or erase data: a task with a legal month."""
    form = RightsRequestForm(prefix="rights")
    if form.validate_on_submit():
        with form.catching_invalid_input() as outcome:
            task = service.record_rights_request(
                current_user, reference, kind=form.kind.data,
                received_on=form.received_on.data, note=form.note.data)
        if outcome.ok:
            assert task.due_on is not None
            return _done(reference, _("Saved. Answer the resident before %(date)s.",
                                      date=format_date(task.due_on, "long")))
    return _request_page(reference, rights_form=form), 422


@bp.route("/requests/<reference>/bsn/reveal", methods=["POST"])
@roles_required(*TEAM_ROLES)
def reveal_bsn(reference: str) -> Any:
    """Show the full BSN once, on this response only; the reveal is logged."""
    request_row = referral_service.owned_request(current_user, reference)
    return _request_page(reference, bsn_shown=service.reveal_bsn(current_user, request_row))


@bp.route("/requests/<reference>/referrals", methods=["POST"])
@roles_required(*TEAM_ROLES)
def refer_by_hand(reference: str) -> Any:
    """Add a referral the rules did not make; the reason is logged with it."""
    form = ReferByHandForm(prefix="refer")
    _target_choices(form)
    if form.validate_on_submit():
        request_row = referral_service.owned_request(current_user, reference)
        with form.catching_invalid_input() as outcome:
            referral = referral_service.refer_by_hand(current_user, request_row, form.domain.data,
                                                      form.target.data, form.reason.data)
        if outcome.ok:
            message = _("The referral is sent to %(target)s.", target=referral.target_name) \
                if referral.state == "sent" else _(
                    "The referral waits for the resident's consent. A task to ask for it is "
                    "added.")
            return _done(reference, message)
    return _request_page(reference, refer_form=form), 422


@bp.route("/requests/<reference>/life-areas", methods=["POST"])
@roles_required(*TEAM_ROLES)
def change_life_areas(reference: str) -> Any:
    """First show what the rules would change; store it only when confirmed."""
    form = LifeAreasForm(prefix="areas")
    if not form.validate_on_submit():
        return _request_page(reference, areas_form=form), 422
    request_row = referral_service.owned_request(current_user, reference)
    if request.form.get("confirm") != "yes":
        return _request_page(reference, areas_form=form,
                             changes=rerun.preview(request_row, form.life_areas.data))
    refused = _changed(reference, lambda row: rerun.apply(current_user, row,
                                                          form.life_areas.data),
                       areas_form=form)
    return refused or _done(reference, _("The subjects are changed and the rules ran again."))


@bp.route("/requests/<reference>/merge", methods=["POST"])
@roles_required(*TEAM_ROLES)
def merge(reference: str) -> Any:
    """Merge a duplicate into this request; both keep their history."""
    duplicate = request.form.get("duplicate", "")[:20]
    try:
        refused = _changed(reference, lambda row: duplicates.merge(current_user, row, duplicate))
    except InvalidInput as exc:
        flash(str(exc), "error")
        return redirect(url_for("staff.request_detail", reference=reference)), 303
    return refused or _done(reference, _("%(duplicate)s is merged into this request.",
                                         duplicate=duplicate))


@bp.route("/requests/<reference>/ask", methods=["POST"])
@roles_required(*TEAM_ROLES)
def ask_resident(reference: str) -> Any:
    """Ask the resident for more information; the request waits for the answer."""
    form = AskForm(prefix="ask")
    if form.validate_on_submit():
        request_row = referral_service.owned_request(current_user, reference)
        with form.catching_invalid_input() as outcome:
            questions.ask(current_user, request_row, form.body.data)
        if outcome.ok:
            return _done(reference, _("The question is sent. The request now waits for the "
                                      "resident's answer."))
    return _request_page(reference, ask_form=form), 422


@bp.route("/requests/<reference>/progression", methods=["POST"])
@roles_required(*TEAM_ROLES)
def add_path_step(reference: str) -> Any:
    """A step on the path to work; it adds to the request, so it needs no version check."""
    form = ProgressionStepForm(prefix=PROGRESSION_PREFIX)
    if form.validate_on_submit():
        request_row = referral_service.owned_request(current_user, reference)
        with form.catching_invalid_input() as outcome:
            progression.record_step(current_user, request_row, form.step.data,
                                    form.happened_on.data)
        if outcome.ok:
            flash(_("Saved: %(step)s.", step=PROGRESSION_STEP_LABELS[form.step.data]), "success")
            return redirect(url_for("staff.request_detail", reference=reference) + "#path")
    return _request_page(reference, progression_form=form), 422


@bp.route("/requests/<reference>/progression/<int:step_id>/delete", methods=["POST"])
@roles_required(*TEAM_ROLES)
def remove_path_step(reference: str, step_id: int) -> Any:
    request_row = referral_service.owned_request(current_user, reference)
    progression.remove_step(current_user, request_row, step_id)
    flash(_("The step is removed."), "success")
    return redirect(url_for("staff.request_detail", reference=reference) + "#path")
