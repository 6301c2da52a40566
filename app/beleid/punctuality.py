"""The punctuality page (``/beleid/punctuality``, issue 13): were referrals answered and the
Wmo's legal terms met on time, late or more than three times late, per team, partner and
domain, for a period; the downloads; and, for a team lead, the list of their team's late
items behind the counts.

What each count means is said in :mod:`app.services.punctuality`. It returns exact counts,
so this module publishes them as the figures page does: every table through
:mod:`disclosure` with the municipality's rules
(:func:`app.services.small_numbers.rules_for`), a suppressed cell in words; the three tables
of referral responses, which count the same referrals, are protected together
(:func:`_protected`). The list of late items holds references only, for the team lead of the
team concerned (and an administrator who names a team, as the service allows); a policy
advisor, who sees aggregates only, is refused it and the attempt is logged
(``roles_required`` does both).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask import render_template, request, url_for
from flask_login import current_user

from app.auth import roles_required
from app.beleid import (
    PERIOD_NAMES,
    _tenant,
    back_to_page,
    bp,
    cell_text,
    known_download,
    tables_download,
)
from app.forms.punctuality import LateItemsForm, PunctualityFilter, PunctualityForm
from app.i18n import _, ngettext
from app.models import Tenant
from app.roles import ADMIN, FIGURES_ROLES, TEAM_LEAD
from app.services import punctuality as service
from app.services.figures import Figure, Row, Table, choices_for, quick_periods
from app.services.legal import local_today
from app.services.small_numbers import rules_for
from app.vocabulary import DOMAIN_LABELS, LEGAL_DEADLINE_LABELS, label
from disclosure import Protected, Rules, protect_linked
from disclosure import Table as CountTable

#: The tables, in the order of the page (their keys name the downloads): referral responses
#: per team and per partner organisation asked to respond and per domain, and the Wmo's legal
#: terms per owning team.
TABLE_KEYS = ("teams", "partners", "domains", "legal_terms")


@dataclass(frozen=True)
class Punctuality:
    """The page's protected tables for a period."""

    wanted: PunctualityFilter
    rules: Rules
    tables: tuple[Table, ...]

    def table(self, key: str) -> Table | None:
        return next((table for table in self.tables if table.key == key), None)


def _columns() -> tuple[str, ...]:
    return (_("On time"), _("Late"), _("Of these: more than three times late"),
            _("Open: not due yet"))


#: The rows of a table: (code, name, tally).
Rows = Sequence[tuple[str, str, service.Tally]]


def _counts(rows: Rows) -> list[list[int]]:
    return [[tally.on_time, tally.late, tally.very_late, tally.open] for _c, _n, tally in rows]


def _shown(key: str, title: str, row_header: str, rows: Rows, grid: Protected | None) -> Table:
    """One protected table of tallies as the page shows it: the column totals as its total
    row. No rows: a table with none and no total."""
    if grid is None:
        return Table(key, title, row_header, _columns(), (), None, chart=False)
    assert grid.column_totals is not None
    shown = tuple(Row(code, name, tuple(Figure(cell.status, cell.value) for cell in cells))
                  for (code, name, _tally), cells in zip(rows, grid.cells, strict=True))
    total = Row("total", _("Total"),
                tuple(Figure(cell.status, cell.value) for cell in grid.column_totals))
    return Table(key, title, row_header, _columns(), shown, total, chart=False)


def _protected(tables: Sequence[Rows], rules: Rules) -> list[Protected | None]:
    """Tables of tallies protected together (None for one without rows). The row totals are
    not published (a very late one is also late, so a row does not add up), the column
    totals are.

    With more than one, the tables count the same referrals: per domain every referral
    once, per team and per partner each referral to a team or a partner (the referral
    service sets one of them), so per column the teams' total and the partners' make the
    domains'. A reader puts them side by side, so where one table suppresses a column's
    total every table does, and each protects it (:func:`disclosure.protect_linked`):
    hiding it afterwards would not do, the table's own cells add up to it."""
    filled = [rows for rows in tables if rows]
    links = [[(index, (len(rows), column)) for index, rows in enumerate(filled)]
             for column in range(len(_columns()))] if len(filled) > 1 else []
    protected = iter(protect_linked(
        [CountTable(_counts(rows), row_totals=False) for rows in filled], links, rules))
    return [next(protected) if rows else None for rows in tables]


def punctuality_tables(tenant: Tenant, wanted: PunctualityFilter) -> Punctuality:
    """Every table of the page for ``wanted``'s period, protected with ``tenant``'s rules."""
    rules = rules_for(tenant)
    referrals = service.referral_punctuality(tenant, wanted.first, wanted.last)
    terms = service.legal_punctuality(tenant, wanted.first, wanted.last)

    def named(rows: Sequence[service.Row]) -> list[tuple[str, str, service.Tally]]:
        return [(row.key, row.name, row.tally) for row in rows]

    by_domain = [(row.key, label(DOMAIN_LABELS, row.key), row.tally)
                 for row in referrals.by_domain]
    referral_tables = [
        ("teams", _("Referral responses per team asked to respond"), _("Team"),
         named(referrals.by_team)),
        ("partners", _("Referral responses per partner organisation"),
         _("Partner organisation"), named(referrals.by_partner)),
        ("domains", _("Referral responses per domain"), _("Domain"), by_domain),
    ]
    protected = _protected([rows for *_names, rows in referral_tables], rules)
    tables = [_shown(*table, grid) for table, grid in zip(referral_tables, protected,
                                                          strict=True)]
    legal_terms = named(terms.by_team)
    tables.append(_shown("legal_terms", _("Wmo legal terms per owning team"),
                         _("Owning team"), legal_terms, _protected([legal_terms], rules)[0]))
    return Punctuality(wanted=wanted, rules=rules, tables=tuple(tables))


# --- The page --------------------------------------------------------------------------------


def _read_form() -> tuple[PunctualityForm, PunctualityFilter | None]:
    form = PunctualityForm(formdata=request.args)
    return form, form.punctuality_filter(local_today())


def _periods() -> list[tuple[str, str, dt.date, dt.date]]:
    quick = quick_periods(local_today())
    return [(name, str(title()), *quick[name]) for name, title in PERIOD_NAMES.items()]


@bp.route("/punctuality")
@roles_required(*FIGURES_ROLES)
def punctuality() -> Any:
    """The punctuality of a period (empty: this quarter); with a date that is not right, the
    form with its messages and no figures."""
    form, wanted = _read_form()
    result = punctuality_tables(_tenant(), wanted) if wanted is not None else None
    return render_template("beleid/punctuality.html", form=form, result=result,
                           periods=_periods(), cell_text=cell_text,
                           late_list=current_user.role in (TEAM_LEAD, ADMIN))


@bp.route("/punctuality/downloads/<key>.csv", defaults={"file_format": "csv"})
@bp.route("/punctuality/downloads/<key>.ods", defaults={"file_format": "ods"})
@roles_required(*FIGURES_ROLES)
def punctuality_download(key: str, file_format: str) -> Any:
    """One table (or, as .ods, every table: ``all``) as a spreadsheet, for the page's period.
    The download is an audit event."""
    known_download(key, file_format, TABLE_KEYS)
    _form, wanted = _read_form()
    if wanted is None:
        return back_to_page("beleid.punctuality")
    result = punctuality_tables(_tenant(), wanted)
    service.exported(current_user._get_current_object(), wanted.first, wanted.last, key,
                     file_format)
    return tables_download(result.tables, key, file_format, result.rules, wanted.first,
                           wanted.last, name="tijdigheid")


# --- The list of late items ------------------------------------------------------------------


@dataclass(frozen=True)
class LateLine:
    """A late item as the list writes it; ``reference`` links to the request page when the
    reader may open it (a team lead: their team owns the request or was asked to answer)."""

    kind: str
    reference: str
    link: str | None
    team: str
    asked: str
    domain: str
    due: dt.date
    answered: dt.date | None
    no_answer: str  # what the list says when ``answered`` is None
    days_late: str
    very_late: str


def _late_line(item: service.LateItem, *, linked: bool) -> LateLine:
    referral = item.kind == "referral"
    if referral:
        days = ngettext("%(num)d working day", "%(num)d working days", item.days_late)
        missing = _("No answer")
    else:
        days = ngettext("%(num)d day", "%(num)d days", item.days_late)
        missing = _("Not recorded")
    return LateLine(
        kind=_("Referral response") if referral else label(LEGAL_DEADLINE_LABELS, item.kind),
        reference=item.reference,
        link=url_for("staff.request_detail", reference=item.reference) if linked else None,
        team=item.team, asked=item.partner or "–", domain=label(DOMAIN_LABELS, item.domain),
        due=item.due, answered=item.answered, no_answer=missing, days_late=days,
        very_late=_("Yes") if item.very_late else _("No"))


@bp.route("/punctuality/late")
@roles_required(TEAM_LEAD, ADMIN)
def punctuality_late() -> Any:
    """The late items of a period behind the counts, of the team lead's own team (an
    administrator chooses a team); references only. Another team's list: 403 (the
    service refuses it)."""
    teams = choices_for(current_user.tenant_id).teams
    form = LateItemsForm(formdata=request.args)
    form.fill_choices(teams)
    wanted = form.late_filter(teams, local_today())
    admin = current_user.role == ADMIN
    items: list[service.LateItem] | None = None
    if wanted is not None and (wanted.team_id is not None or not admin):
        items = service.late_items(current_user._get_current_object(), wanted.first,
                                   wanted.last, team_id=wanted.team_id)
    team_id = wanted.team_id if wanted and wanted.team_id else current_user.team_id
    lines = [_late_line(item, linked=not admin) for item in items] if items else []
    return render_template("beleid/punctuality_late.html", form=form, wanted=wanted,
                           items=items, lines=lines, team_name=teams.get(team_id, ""),
                           admin=admin)
