"""The path from day activities on to work (Heerlen's tender, task 3): the steps a person
takes, as staff and partners record them on the request, and the figures about them.

A step is a code of :data:`PROGRESSION_STEPS` with the Dutch date it began and who recorded
it; nothing else (no free text: the person's story stays in the casework, not here). Lives
are not linear, so a step back is recorded like any other. This module is the one place
that records or removes a step; both are audited and committed here.

Who records:

* staff of the owning team, while the request is open;
* the receiver (a partner's account, or a team) of a referral in a domain of
  :data:`PROGRESSION_DOMAINS` (day activities, work), once it accepted the referral and also
  after completing it (the path often goes on after the day activities end).

A wrongly recorded step is removed by the one who recorded it.

The figures come in two forms: :func:`progression_figures` gives the exact counts (for the
code that protects them), :func:`published_figures` the tables the municipality's workspace
shows and downloads, every count through the small-number rules; :func:`exported` audits a
download.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from flask_babel import format_date
from sqlalchemy import Date, String, func, select
from sqlalchemy.orm import selectinload

from app.calendar import today as local_today
from app.extensions import db
from app.i18n import _
from app.models import ProgressionStep, Referral, SupportRequest, Tenant, User
from app.roles import PARTNER, TEAM_ROLES
from app.services import audit
from app.services.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.services.figures import Figure
from app.services.legal import melding_date
from app.services.referrals import receives
from app.services.request_states import ensure_open
from app.services.small_numbers import rules_for
from app.vocabulary import PROGRESSION_STEP_LABELS, label
from disclosure import Protected, Rules, Status, protect
from referral_rules.vocabulary import PROGRESSION_DOMAINS, PROGRESSION_RANK, PROGRESSION_STEPS

#: The referral states in which its receiver records steps: working with the person, or done
#: (a person often moves on after the day activities ended).
RECORDING_STATES = ("accepted", "in_progress", "completed")
#: The audit actions of the path, as the request's timeline shows them (with :func:`event_text`).
EVENTS = ("request.progression_recorded", "request.progression_removed")


# --- Recording ------------------------------------------------------------------------------

def shows_path(referral: Referral) -> bool:
    """Whether the receiver of ``referral`` sees and records the path to work on it."""
    return referral.domain in PROGRESSION_DOMAINS


def steps_of(request: SupportRequest) -> list[ProgressionStep]:
    """The request's steps in the order of their dates (the order they were recorded on one
    day)."""
    return list(db.session.scalars(select(ProgressionStep).where(
        ProgressionStep.tenant_id == request.tenant_id,
        ProgressionStep.request_id == request.id,
    ).options(selectinload(ProgressionStep.recorded_by),
              selectinload(ProgressionStep.recorded_by_partner))
        .order_by(ProgressionStep.happened_on, ProgressionStep.id)))


def event_text(details: Mapping[str, Any]) -> str | None:
    """What a path event of the timeline says: the step and its date, in the reader's
    language (the audit event keeps the codes)."""
    step, day = details.get("step"), details.get("happened_on")
    if step not in PROGRESSION_STEP_LABELS or not isinstance(day, str):
        return None
    return _("%(step)s, since %(date)s", step=label(PROGRESSION_STEP_LABELS, step),
             date=format_date(dt.date.fromisoformat(day), "medium"))


def _owning_staff(user: User, request: SupportRequest) -> bool:
    return user.role in TEAM_ROLES and user.team_id is not None \
        and user.team_id == request.owner_team_id


def _not_yours() -> NotFound:
    return NotFound(_("This request does not exist or is not for your team."))


def _check_receiver(user: User, request: SupportRequest, referral: Referral) -> None:
    """Raise unless ``user`` may record a step on ``referral`` now."""
    if referral.request_id != request.id or not receives(user, referral):
        raise _not_yours()
    if not shows_path(referral):
        raise Forbidden(_("Steps on the path to work are recorded on referrals for day "
                          "activities or work."))
    if referral.state in RECORDING_STATES:
        return
    if referral.state == "sent":
        raise Conflict(_("Accept the referral first. Then you can record steps on the path "
                         "to work."))
    raise Conflict(_("This referral has ended. You can no longer record steps on it."))


def _check_recorder(user: User, request: SupportRequest,
                    referral: Referral | None) -> Referral | None:
    """Raise unless ``user`` may record a step on ``request`` (through ``referral``, or as
    staff of the owning team, or as the receiver of one of its referrals); return the
    referral it is recorded on (None for the owning team)."""
    if user.tenant_id != request.tenant_id and user.role != PARTNER:
        raise _not_yours()  # a regional partner's receiving is checked below
    if referral is not None:
        _check_receiver(user, request, referral)
        return referral
    if _owning_staff(user, request):
        ensure_open(request)
        return None
    received = [r for r in request.referrals if receives(user, r)]
    if not received:
        raise _not_yours()
    # The receiver's best referral decides: one that allows it, else the clearest refusal.
    received.sort(key=lambda r: (shows_path(r), r.state in RECORDING_STATES))
    _check_receiver(user, request, received[-1])
    return received[-1]


def _latest_before(request: SupportRequest, day: dt.date) -> str | None:
    """The step the person was at on ``day`` as recorded so far."""
    return db.session.scalar(select(ProgressionStep.step).where(
        ProgressionStep.tenant_id == request.tenant_id,
        ProgressionStep.request_id == request.id,
        ProgressionStep.happened_on <= day,
    ).order_by(ProgressionStep.happened_on.desc(), ProgressionStep.id.desc()).limit(1))


def record_step(user: User, request: SupportRequest, step: str | None,
                happened_on: dt.date | None, *, referral: Referral | None = None,
                today: dt.date | None = None) -> ProgressionStep:
    """Record that the person behind ``request`` is at ``step`` since ``happened_on`` (a
    Dutch date). Commits, with an audit event.

    ``referral``: the referral its receiver records on (their referral page); without it the
    user is staff of the owning team, or the receiver of one of the request's referrals.

    Raises NotFound when the user may not reach the request; Forbidden for a receiver of a
    referral outside day activities and work; Conflict for a closed request or a referral
    that is not (or no longer) accepted; InvalidInput (field ``step`` or ``happened_on``) for
    an unknown step, a date in the future or before the request came in, and for the step the
    person already was at on that date.
    """
    referral = _check_recorder(user, request, referral)
    if step not in PROGRESSION_STEPS:
        raise InvalidInput(_("Choose a step."), "step")
    if happened_on is None:
        raise InvalidInput(_("Enter a date."), "happened_on")
    if happened_on > (today or local_today()):
        raise InvalidInput(_("The date cannot be in the future."), "happened_on")
    if happened_on < melding_date(request):
        raise InvalidInput(_("The date cannot be before the request came in."), "happened_on")
    if _latest_before(request, happened_on) == step:
        raise InvalidInput(_("On that date the person was already at this step. Choose "
                             "another step or date."), "step")
    row = ProgressionStep(tenant_id=request.tenant_id, request_id=request.id, step=step,
                          happened_on=happened_on, recorded_by_id=user.id,
                          recorded_by_partner_id=(referral.target_partner_id
                                                  if referral is not None else None))
    db.session.add(row)
    db.session.flush()
    audit.record("request.progression_recorded", tenant_id=request.tenant_id,
                 object_type="support_request", object_id=request.id, actor=user,
                 step_id=row.id, step=step, happened_on=happened_on.isoformat(),
                 referral_id=referral.id if referral is not None else None)
    db.session.commit()
    return row


def remove_step(user: User, request: SupportRequest, step_id: int) -> ProgressionStep:
    """Remove a wrongly recorded step of ``request``; only the user who recorded it may, and
    only while they still reach the request (the view found it for them). The audit event
    keeps what was removed. Commits; NotFound for another request's step, Forbidden for
    someone else's."""
    row = db.session.get(ProgressionStep, step_id)
    if row is None or row.tenant_id != request.tenant_id or row.request_id != request.id:
        raise NotFound(_("This step does not exist."))
    if row.recorded_by_id != user.id:
        raise Forbidden(_("Only the person who recorded a step can remove it."))
    audit.record("request.progression_removed", tenant_id=request.tenant_id,
                 object_type="support_request", object_id=request.id, actor=user,
                 step_id=row.id, step=row.step, happened_on=row.happened_on.isoformat())
    db.session.delete(row)
    db.session.commit()
    return row


# --- Figures ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Transition:
    """People's moves from one step to the next (consecutive steps of one person)."""

    from_step: str
    to_step: str
    count: int
    #: Median days between the two steps' dates; None when there is no move.
    median_days: float | None

    @property
    def forward(self) -> bool:
        """A step further along the path (False: a step back)."""
        return PROGRESSION_RANK[self.to_step] > PROGRESSION_RANK[self.from_step]


@dataclass(frozen=True)
class PathFigures:
    """The path in a period, for one wijk or all together."""

    #: People (requests) with a step dated in the period.
    people: int
    #: Of them, those with a step in the period further along than their first step.
    moved_on: int
    #: Of them, those who stepped back in the period.
    moved_back: int
    #: Moves dated in the period, from → to, in the path's order.
    transitions: tuple[Transition, ...]
    #: Median days between consecutive steps over all moves in the period; None without any.
    median_days: float | None


@dataclass(frozen=True)
class WijkPath:
    #: The CBS wijk code; None for people without a known wijk (no fixed address, unknown).
    wijk_code: str | None
    figures: PathFigures


@dataclass(frozen=True)
class ProgressionFigures:
    date_from: dt.date
    date_to: dt.date
    wijk_code: str | None
    total: PathFigures
    #: Per wijk with steps in the period, by wijk code (the unknown wijk last).
    by_wijk: tuple[WijkPath, ...]


@dataclass(frozen=True)
class _Step:
    """One step dated in the period, with the person's step before it and their first."""

    request_id: int
    wijk_code: str | None
    step: str
    happened_on: dt.date
    previous: str | None
    previous_on: dt.date | None
    first: str


def progression_figures(tenant: Tenant, date_from: dt.date, date_to: dt.date,
                        wijk_code: str | None = None) -> ProgressionFigures:
    """How many people moved on along the path in ``date_from``‥``date_to`` (Dutch dates,
    both included), from which step to which and in how many days, for the tenant or one of
    its wijken, and per wijk.

    A step counts in the period of its date; the step before it and the person's first step
    may lie before the period. The counts are exact: the caller applies the small-number
    rules before showing them to anyone. Raises ValueError for a period that ends before it
    begins.
    """
    if date_to < date_from:
        raise ValueError("the period ends before it begins")
    steps = _steps_in_period(tenant.id, date_from, date_to, wijk_code)
    wijken: dict[str | None, list[_Step]] = defaultdict(list)
    for row in steps:
        wijken[row.wijk_code].append(row)
    order = sorted(wijken, key=lambda code: (code is None, code or ""))
    return ProgressionFigures(
        date_from=date_from, date_to=date_to, wijk_code=wijk_code,
        total=_figures(steps),
        by_wijk=tuple(WijkPath(code, _figures(wijken[code])) for code in order))


def _steps_in_period(tenant_id: int, date_from: dt.date, date_to: dt.date,
                     wijk_code: str | None) -> list[_Step]:
    """One query: every step up to the period's end, each with the person's step before it
    and their first (window functions, on SQLite and PostgreSQL alike), kept when dated in
    the period."""
    person = (ProgressionStep.request_id,)
    in_order = (ProgressionStep.happened_on, ProgressionStep.id)
    conditions = [ProgressionStep.tenant_id == tenant_id,
                  SupportRequest.tenant_id == tenant_id,
                  ProgressionStep.happened_on <= date_to]
    if wijk_code is not None:
        conditions.append(SupportRequest.wijk_code == wijk_code)
    path = (
        select(
            ProgressionStep.request_id,
            SupportRequest.wijk_code,
            ProgressionStep.step,
            ProgressionStep.happened_on,
            func.lag(ProgressionStep.step, type_=String).over(
                partition_by=person, order_by=in_order).label("previous"),
            func.lag(ProgressionStep.happened_on, type_=Date).over(
                partition_by=person, order_by=in_order).label("previous_on"),
            func.first_value(ProgressionStep.step, type_=String).over(
                partition_by=person, order_by=in_order).label("first"),
        )
        .join(SupportRequest, SupportRequest.id == ProgressionStep.request_id)
        .where(*conditions)
        .subquery()
    )
    rows = db.session.execute(select(path).where(path.c.happened_on >= date_from))
    return [_Step(request_id=row.request_id, wijk_code=row.wijk_code, step=row.step,
                  happened_on=_as_date(row.happened_on), previous=row.previous,
                  previous_on=None if row.previous_on is None else _as_date(row.previous_on),
                  first=row.first) for row in rows]


def _as_date(value: dt.date | str) -> dt.date:
    # SQLite hands a window function's date back as text when its type is not carried over.
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def _figures(steps: Sequence[_Step]) -> PathFigures:
    people = {row.request_id for row in steps}
    moved_on = {row.request_id for row in steps
                if PROGRESSION_RANK[row.step] > PROGRESSION_RANK[row.first]}
    counts: Counter[tuple[str, str]] = Counter()
    days: dict[tuple[str, str], list[int]] = defaultdict(list)
    moved_back: set[int] = set()
    for row in steps:
        if row.previous is None or row.previous == row.step:
            continue  # a first step, or the same step again: no move
        pair = (row.previous, row.step)
        counts[pair] += 1
        assert row.previous_on is not None
        days[pair].append((row.happened_on - row.previous_on).days)
        if PROGRESSION_RANK[row.step] < PROGRESSION_RANK[row.previous]:
            moved_back.add(row.request_id)
    transitions = tuple(
        Transition(from_step=a, to_step=b, count=counts[(a, b)], median_days=_median(days[(a, b)]))
        for a, b in sorted(counts, key=lambda p: (PROGRESSION_RANK[p[0]], PROGRESSION_RANK[p[1]])))
    return PathFigures(people=len(people), moved_on=len(moved_on), moved_back=len(moved_back),
                       transitions=transitions,
                       median_days=_median([d for gaps in days.values() for d in gaps]))


def _median(values: Iterable[int]) -> float | None:
    values = list(values)
    return float(statistics.median(values)) if values else None


# --- Published figures -----------------------------------------------------------------------
#
# What the workspace shows of the path, every count protected with the tenant's rules
# (``app.services.small_numbers.rules_for``) through ``disclosure``:
#
# - *people* (per wijk, and in total): people with a step dated in the period, split into
#   those who moved on beyond their first step and the others; one table with its row and
#   column totals. Beside it the median days between two consecutive steps of the wijk's
#   moves, shown only for at least ``min_count`` moves;
# - *moves*: the moves dated in the period, from the step before (rows) to the step after
#   (columns), one table with its row and column totals. A person who goes back and forth
#   counts once per move. A step to the same step is no move: the reader knows those cells
#   are 0, so they are never counted on to hide another cell;
# - *days*: the median days of each move of the table above, shown only where the move was
#   made at least ``min_count`` times.

#: The tables of the published figures, in the order of the page (their keys name the
#: downloads).
TABLE_KEYS: Final = ("people", "moves", "days")
#: The row of the people without a known wijk (no fixed address, not placed, another map).
UNKNOWN_WIJK: Final = "unknown"
#: The audit action of a download of the published figures.
EXPORTED_EVENT: Final = "progression.exported"


@dataclass(frozen=True)
class PathFilter:
    """A period of Dutch days (both included) and, optionally, one wijk of the tenant."""

    start: dt.date
    end: dt.date
    wijk: str | None = None

    def params(self) -> dict[str, str]:
        """The filter as query-string parameters (the form's names), an empty wijk left out."""
        values = {"start": self.start.isoformat(), "end": self.end.isoformat()}
        return {**values, "wijk": self.wijk} if self.wijk else values


@dataclass(frozen=True)
class PathRow:
    code: str
    label: str
    #: Published figures; None where the figure cannot exist (a move to the same step).
    cells: tuple[Figure | None, ...]


@dataclass(frozen=True)
class PathTable:
    key: str
    title: str
    row_header: str
    columns: tuple[str, ...]
    rows: tuple[PathRow, ...]
    total: PathRow | None = None


@dataclass(frozen=True)
class PublishedPath:
    filter: PathFilter
    rules: Rules
    tables: tuple[PathTable, ...]

    def table(self, key: str) -> PathTable | None:
        return next((table for table in self.tables if table.key == key), None)


def published_figures(tenant: Tenant, wanted: PathFilter,
                      wijken: Mapping[str, str]) -> PublishedPath:
    """The tables of the path for ``wanted``, protected with the tenant's rules (what each
    one means: the comment above). ``wijken``: the tenant's wijken, code → name, in the
    order of the rows; a request with a wijk code outside them counts as no known wijk.
    One query (:func:`progression_figures`'s). Raises ValueError for a period that ends
    before it begins."""
    if wanted.end < wanted.start:
        raise ValueError("the period ends before it begins")
    rules = rules_for(tenant)
    steps = _steps_in_period(tenant.id, wanted.start, wanted.end, wanted.wijk)
    if wanted.wijk is not None:
        names = {wanted.wijk: wijken.get(wanted.wijk, wanted.wijk)}
    else:
        names = {**wijken, UNKNOWN_WIJK: _("No district known (no fixed address, address "
                                            "unknown, elsewhere)")}
    groups: dict[str, list[_Step]] = {code: [] for code in names}
    for row in steps:
        groups[row.wijk_code if row.wijk_code in names else UNKNOWN_WIJK].append(row)
    total = _figures(steps)
    return PublishedPath(filter=wanted, rules=rules, tables=(
        _people_table(names, {code: _figures(rows) for code, rows in groups.items()}, total,
                      rules),
        _moves_table(total, rules),
        _days_table(total, rules)))


def exported(user: User, wanted: PathFilter, table: str, file_format: str) -> None:
    """Audit that ``user`` downloaded a table of the path's figures (aggregates, no person's
    data) with this filter; commit."""
    audit.record("progression.exported", tenant_id=user.tenant_id, object_type="tenant",
                 object_id=user.tenant_id, actor=user, filter=wanted.params(), table=table,
                 format=file_format)
    db.session.commit()


def _figure(cell: Any) -> Figure:
    return Figure(cell.status, cell.value)


def _moves(figures: PathFigures) -> int:
    return sum(transition.count for transition in figures.transitions)


def _median_figure(median: float | None, moves: int, rules: Rules) -> Figure:
    """A median of ``moves`` moves: not shown for a group under the minimum."""
    if moves < rules.min_count or median is None:
        return Figure(Status.SMALL)
    return Figure(Status.SHOWN, median)


def _people_table(names: Mapping[str, str], by_group: Mapping[str, PathFigures],
                  total: PathFigures, rules: Rules) -> PathTable:
    codes = list(names)
    counts = [[by_group[code].moved_on, by_group[code].people - by_group[code].moved_on]
              for code in codes]
    table = protect(counts, rules)
    assert table.row_totals is not None and table.column_totals is not None
    assert table.total is not None
    rows = tuple(
        PathRow(code, names[code], (
            _figure(table.cells[r][0]), _figure(table.cells[r][1]),
            _figure(table.row_totals[r]),
            _median_figure(by_group[code].median_days, _moves(by_group[code]), rules)))
        for r, code in enumerate(codes))
    total_row = PathRow("total", _("Total"), (
        _figure(table.column_totals[0]), _figure(table.column_totals[1]), _figure(table.total),
        _median_figure(total.median_days, _moves(total), rules)))
    return PathTable("people", _("People on the path, by district"), _("District"),
                     (_("Moved on"), _("Not moved on (yet)"), _("People with a step"),
                      _("Median days between two steps")), rows, total_row)


def _step_labels() -> tuple[str, ...]:
    return tuple(str(label(PROGRESSION_STEP_LABELS, step)) for step in PROGRESSION_STEPS)


def _moves_table(total: PathFigures, rules: Rules) -> PathTable:
    found = {(t.from_step, t.to_step): t.count for t in total.transitions}
    counts = [[found.get((before, after), 0) for after in PROGRESSION_STEPS]
              for before in PROGRESSION_STEPS]
    table = protect_moves(counts, rules)
    assert table.row_totals is not None and table.column_totals is not None
    assert table.total is not None
    rows = tuple(
        PathRow(before, step_label, (
            *(None if r == c else _figure(cell) for c, cell in enumerate(table.cells[r])),
            _figure(table.row_totals[r])))
        for r, (before, step_label) in enumerate(zip(PROGRESSION_STEPS, _step_labels(),
                                                     strict=True)))
    total_row = PathRow("total", _("Total"), (
        *(_figure(cell) for cell in table.column_totals), _figure(table.total)))
    return PathTable("moves", _("Moves from one step to another"),
                     _("From (rows) / to (columns)"), (*_step_labels(), _("Total")), rows,
                     total_row)


def _days_table(total: PathFigures, rules: Rules) -> PathTable:
    found = {(t.from_step, t.to_step): t for t in total.transitions}

    def median(before: str, after: str) -> Figure | None:
        if before == after:
            return None
        transition = found.get((before, after))
        if transition is None:
            return Figure(Status.SMALL)
        return _median_figure(transition.median_days, transition.count, rules)

    rows = tuple(
        PathRow(before, step_label, tuple(median(before, after) for after in PROGRESSION_STEPS))
        for before, step_label in zip(PROGRESSION_STEPS, _step_labels(), strict=True))
    return PathTable("days", _("Median days from one step to the next"),
                     _("From (rows) / to (columns)"), _step_labels(), rows)


def protect_moves(counts: Sequence[Sequence[int]], rules: Rules) -> Protected:
    """:func:`disclosure.protect` of a square table of moves (from × to, same order) with its
    row and column totals, whose diagonal is 0 by definition and known to be: a step to the
    same step is no move, so those cells are never suppressed, and nothing is protected by
    leaning on them (a reader who knows they are 0 would undo it). Their cells in the result
    mean nothing. Raises ValueError for a table that is not square, or a move to the same
    step."""
    rows = [list(row) for row in counts]
    if not rows or any(len(row) != len(rows) for row in rows):
        raise ValueError("a table of moves is square")
    if any(rows[i][i] for i in range(len(rows))):
        raise ValueError("a step to the same step is no move")
    return protect(rows, rules, known={(i, i) for i in range(len(rows))})


__all__ = ["EXPORTED_EVENT", "RECORDING_STATES", "TABLE_KEYS", "PathFigures", "PathFilter",
           "PathRow", "PathTable", "ProgressionFigures", "PublishedPath", "Transition",
           "WijkPath", "exported", "progression_figures", "protect_moves", "published_figures",
           "record_step", "remove_step", "shows_path", "steps_of"]
