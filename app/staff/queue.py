"""The team queue (filters, sorting, pages, saved filters as tabs) and the team lead's
dashboard. The queries live in :mod:`app.services.queue`."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from flask import Response, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.auth import roles_required
from app.extensions import db
from app.forms.queue import SaveFilterForm
from app.i18n import _, _l
from app.lifecycle import REQUEST_CLOSED, REQUEST_IN_PROGRESS, REQUEST_NEW
from app.models import OutboxMessage, Referral, SupportRequest
from app.roles import TEAM_LEAD, TEAM_ROLES
from app.services import export as csv_export
from app.services import legal
from app.services import queue as service
from app.services.queue import QueueFilter
from app.staff import bp
from app.vocabulary import LIFE_AREA_LABELS, REQUEST_STATUS_LABELS, label
from referral_rules.vocabulary import URGENCY_CRISIS, URGENCY_NORMAL, URGENCY_URGENT

#: The most rows a download of the queue holds; a larger list asks for a narrower filter.
EXPORT_MAX = 10_000
EXPORT_PAGE = 500  # read page by page (keyset), as the queue does
#: Referrals to the team shown under the queue (the earliest answer dates first).
INCOMING_SHOWN = 50
#: Labels of the filter choices that the shared vocabularies do not name.
STATUS_CHOICES = {
    "open": _l("Open (received or being handled)"),
    REQUEST_NEW: _l("Received, nobody picked it up yet"),
    REQUEST_IN_PROGRESS: _l("Being handled"),
    REQUEST_CLOSED: _l("Closed"),
    "all": _l("All"),
}
_PRIORITY_NAMES = {URGENCY_CRISIS: _l("Crisis"), URGENCY_URGENT: _l("Urgent"),
                   URGENCY_NORMAL: _l("Normal")}
#: The priority filter's choices, in the queue's priority order (the most pressing first).
PRIORITY_CHOICES = {code: _PRIORITY_NAMES[code] for code in service.PRIORITIES}
DEADLINE_CHOICES = {
    "overdue": _l("Past a deadline"),
    "referral_overdue": _l("A referral got no answer in time"),
    "escalated": _l("A referral was escalated to the team lead"),
    "legal_overdue": _l("Past a legal deadline"),
    "0": _l("Deadline today"),
    "3": _l("Deadline within 3 days"),
    "7": _l("Deadline within 7 days"),
    "14": _l("Deadline within 14 days"),
}
SORT_CHOICES = {
    "priority": _l("Most urgent first, then oldest"),
    "newest": _l("Newest first"),
    "oldest": _l("Oldest first"),
    "deadline": _l("Earliest deadline first"),
}


@dataclass(frozen=True)
class Tab:
    id: int | None  # the saved filter's id; None for the plain queue
    name: str
    filter: QueueFilter
    count: service.Count


def _args() -> dict[str, list[str]]:
    return request.args.to_dict(flat=False)


def _queue_url(qfilter: QueueFilter) -> str:
    """The queue showing ``qfilter``."""
    # As Any: url_for types its own keywords (_anchor, _external …), which a filter's
    # parameters never are.
    query: dict[str, Any] = dict(qfilter.params())
    return url_for("staff.queue", **query)


def _coordinator_name(item: SupportRequest, colleagues: dict[int, str]) -> str:
    """The request's coordinator: the colleague's name, or the account's for one who has left
    the team since (only then is the account loaded)."""
    if not item.coordinator_id:
        return ""
    return colleagues.get(item.coordinator_id) or (
        item.coordinator.name if item.coordinator is not None else "")


@bp.route("/")
@roles_required(*TEAM_ROLES)
def queue() -> Any:
    return _queue_page(_args(), request.args.get("cursor"))


def _queue_page(params: dict[str, list[str]], cursor: str | None,
                save_form: SaveFilterForm | None = None) -> Any:
    scope = service.Scope.of(current_user)
    choices = service.choices_for(current_user)
    parsed = service.parse(params, choices, cursor)
    current = parsed.filter
    saved = service.saved_filters(current_user)
    saved_filters = [service.stored_filter(item, choices).filter for item in saved]
    default = QueueFilter()
    wanted = list(dict.fromkeys([current, default, *saved_filters]))  # each counted once
    totals = dict(zip(wanted, service.counts(scope, wanted), strict=True))
    tabs = [Tab(None, _("All open requests"), default, totals[default])]
    tabs += [Tab(item.id, item.name, qfilter, totals[qfilter])
             for item, qfilter in zip(saved, saved_filters, strict=True)]
    # The tab of the current filter is marked whatever the sort.
    active = next((tab for tab in tabs if replace(tab.filter, sort=current.sort) == current),
                  None)
    found = service.page(scope, current, parsed.cursor)
    live = (Referral.tenant_id == current_user.tenant_id,
            Referral.target_team_id == current_user.team_id,
            Referral.state.in_(("sent", "accepted", "in_progress")))
    incoming = db.session.scalars(
        select(Referral).where(*live).options(selectinload(Referral.request))
        .order_by(Referral.due_date, Referral.id).limit(INCOMING_SHOWN)).all()
    incoming_total = len(incoming) if len(incoming) < INCOMING_SHOWN else db.session.scalar(
        select(func.count(Referral.id)).where(*live))
    # Warm handovers asked of this team: it sees them until it takes them over or says no.
    handovers = db.session.scalars(
        select(SupportRequest).where(SupportRequest.tenant_id == current_user.tenant_id,
                                     SupportRequest.transfer_team_id == current_user.team_id)
        .order_by(SupportRequest.transfer_requested_at).limit(INCOMING_SHOWN)).all()
    if save_form is None:
        save_form = SaveFilterForm(formdata=None)
    return render_template(
        "staff/queue.html", page=found, filter=current, params=current.params(),
        total=totals[current], problems=parsed.problems, tabs=tabs, active=active, choices=choices,
        incoming=incoming, incoming_total=incoming_total, save_form=save_form,
        handovers=handovers,
        next_legal=legal.next_due, today=legal.local_today(), status_choices=STATUS_CHOICES,
        priority_choices=PRIORITY_CHOICES, deadline_choices=DEADLINE_CHOICES,
        sort_choices=SORT_CHOICES, saved_max=service.SAVED_FILTERS_MAX,
    ), (422 if save_form.errors else 200)


@bp.route("/filters", methods=["POST"])
@roles_required(*TEAM_ROLES)
def save_filter() -> Any:
    """Save the filter in the posted fields (the queue's own parameters) under a name."""
    params = {key: values for key, values in request.form.to_dict(flat=False).items()
              if key not in ("csrf_token", "name")}
    form = SaveFilterForm()
    if not form.validate_on_submit():
        return _queue_page(params, None, form)
    parsed = service.parse(params, service.choices_for(current_user))
    with form.catching_invalid_input() as outcome:
        saved = service.save_filter(current_user, form.name.data, parsed.filter)
    if not outcome.ok:
        return _queue_page(params, None, form)
    flash(_("The filter “%(name)s” is saved. It is now a tab above the queue.",
            name=saved.name), "success")
    return redirect(_queue_url(parsed.filter))


@bp.route("/filters/<int:filter_id>/delete", methods=["POST"])
@roles_required(*TEAM_ROLES)
def delete_filter(filter_id: int) -> Any:
    name = service.delete_filter(current_user, filter_id)
    flash(_("The filter “%(name)s” is deleted.", name=name), "success")
    return redirect(url_for("staff.queue"))


@bp.route("/dashboard")
@roles_required(TEAM_LEAD)
def dashboard() -> Any:
    """For the team lead: what waits for nobody, what is late, and who carries what."""
    scope = service.Scope.of(current_user)
    checks = {
        "unassigned": QueueFilter(coordinator="nobody"),
        "referral_overdue": QueueFilter(deadline="referral_overdue"),
        "escalated": QueueFilter(deadline="escalated"),
        "legal_overdue": QueueFilter(deadline="legal_overdue"),
    }
    totals = dict(zip(checks, service.counts(scope, list(checks.values())), strict=True))
    dead_letters = db.session.scalar(select(func.count(OutboxMessage.id)).where(
        OutboxMessage.tenant_id == current_user.tenant_id, OutboxMessage.state == "dead")) or 0
    load = service.workload(scope)
    colleagues = service.choices_for(current_user).colleagues
    people = [(user_id, name, *load.get(user_id, (0, 0))) for user_id, name in colleagues.items()]
    others = sum(total for user_id, (total, _urgent) in load.items()
                 if user_id is not None and user_id not in colleagues)
    return render_template("staff/dashboard.html", checks=checks, totals=totals,
                           dead_letters=dead_letters, people=people, others=others,
                           unassigned=load.get(None, (0, 0)))


@bp.route("/export.csv")
@roles_required(TEAM_LEAD)
def export_queue() -> Any:
    """The team lead downloads the queue as shown (filter and sort) for a spreadsheet.

    Only what the queue shows, no resident's name or story (data minimisation); the download
    is an audit event with the filter and the number of rows."""
    scope = service.Scope.of(current_user)
    choices = service.choices_for(current_user)
    current = service.parse(_args(), choices).filter
    requests: list[SupportRequest] = []
    open_tasks: dict[int, int] = {}
    cursor = None
    while True:
        found = service.page(scope, current, cursor, size=EXPORT_PAGE)
        requests += found.requests
        open_tasks.update(found.open_tasks)
        if len(requests) > EXPORT_MAX:
            flash(_("This list has more than %(max)s requests, too many to download. "
                    "Choose a narrower filter.", max=f"{EXPORT_MAX:,}".replace(",", ".")),
                  "error")
            return redirect(_queue_url(current))
        if found.next_cursor is None:
            break
        cursor = service.decode_cursor(found.next_cursor, current.sort)
    csv_export.queue_exported(current_user, current.params(), len(requests))
    today = legal.local_today()
    header = [_("Reference"), _("Priority"), _("Subjects"), _("Neighbourhood"), _("Status"),
              _("Coordinator"), _("Open tasks"), _("Legal deadline"), _("Received")]

    def rows() -> Any:
        for item in requests:
            deadline = legal.next_due(item)
            buurt = choices.buurten.get(item.buurt_code or "")
            yield [
                item.reference,
                str(PRIORITY_CHOICES.get(item.priority, item.priority)),
                "; ".join(str(label(LIFE_AREA_LABELS, area)) for area in item.life_areas),
                buurt[0] if buurt else (item.buurt_code or ""),
                str(label(REQUEST_STATUS_LABELS, item.status)),
                _coordinator_name(item, choices.colleagues),
                open_tasks.get(item.id, 0),
                deadline.due.isoformat() if deadline else "",
                legal.melding_date(item).isoformat(),
            ]

    filename = f"wachtrij-{today.isoformat()}.csv"
    return Response(
        list(csv_export.csv_lines(header, rows())), mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"',
                 "Cache-Control": "no-store"})
