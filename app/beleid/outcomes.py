"""The outcomes per partner (``/beleid/outcomes``, issue 13: result-based financing): what
became of the referrals the municipality sent to each partner organisation, and the
statement per partner per quarter that the contract manager reads and downloads.

What each figure means is said in :mod:`app.services.outcomes`; this module reads the form,
lays the protected numbers out (only :meth:`Outcomes.protected` and the statement's cells,
a suppressed one in words) and serves the downloads.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask import Response, redirect, render_template, request, url_for
from flask_login import current_user

from app.auth import roles_required
from app.beleid import PERIOD_NAMES, _tenant, bp
from app.calendar import Period
from app.forms.outcomes import OutcomesFilter, OutcomesForm
from app.i18n import _
from app.roles import FIGURES_ROLES
from app.services import export, figures, public_statistics, small_numbers
from app.services import outcomes as service
from app.services.errors import InvalidInput
from app.services.legal import local_today
from app.vocabulary import DOMAIN_LABELS, FEEDBACK_LABELS, OUTCOME_LABELS, label
from disclosure import Cell, Protected, Rules
from referral_rules.vocabulary import OUTCOMES


@dataclass(frozen=True)
class Row:
    """A row of a table as the page writes it: its label and its cells' texts."""

    label: str
    cells: tuple[str, ...]


@dataclass(frozen=True)
class ShownTable:
    """A table laid out for a page: ``key`` is unique on the page (its ids), ``total`` the
    row below the others (None: no total row)."""

    key: str
    title: str
    row_header: str
    columns: tuple[str, ...]
    rows: tuple[Row, ...]
    total: Row | None = None


@dataclass(frozen=True)
class PartnerTables:
    partner_id: int
    name: str
    tables: tuple[ShownTable, ...]


def _text(cell: Cell | None, rules: Rules, *, percent: bool = False) -> str:
    """A protected cell as the page writes it; a total that is not published, in words."""
    if cell is None:
        return _("hidden")
    return small_numbers.cell_text(cell, rules, percent=percent)


def _texts(cells: Sequence[Cell | None], rules: Rules) -> tuple[str, ...]:
    return tuple(_text(cell, rules) for cell in cells)


# --- The overview ----------------------------------------------------------------------------


def _partner_tables(partner: service.ProtectedPartner, wijken: Sequence[service.Wijk],
                    rules: Rules) -> PartnerTables:
    """One partner's four tables: completed per wijk and outcome, returned and declined per
    wijk, the residents' answers per wijk with the share helped, completed per domain."""
    key = f"partner-{partner.partner_id}"
    places = [wijk.name or _("No known district") for wijk in wijken]
    outcome_columns = (*(label(OUTCOME_LABELS, code) for code in OUTCOMES), _("Total"))

    def grid(table: Protected, labels: Sequence[str]) -> tuple[tuple[Row, ...], Row]:
        """The rows with their totals beside them, and the row of the column totals."""
        assert table.row_totals is not None and table.column_totals is not None
        rows = tuple(Row(name, _texts([*cells, total], rules)) for name, cells, total
                     in zip(labels, table.cells, table.row_totals, strict=True))
        return rows, Row(_("Total"), _texts([*table.column_totals, table.total], rules))

    completed, completed_total = grid(partner.outcomes, places)
    ended, ended_total = grid(partner.ended_otherwise, places)
    # The share helped per wijk, then the partner's: a column beside the answers.
    shares = [_text(share, rules, percent=True) for share in partner.share_helped]
    answer_rows, answer_total = grid(partner.answers, places)
    answer_rows = tuple(Row(row.label, (*row.cells, share))
                        for row, share in zip(answer_rows, shares[:-1], strict=True))
    answer_total = Row(answer_total.label, (*answer_total.cells, shares[-1]))
    domains = [_("Other domains") if code is None else label(DOMAIN_LABELS, code)
               for code in partner.domains]
    by_domain, by_domain_total = grid(partner.by_domain, domains)
    return PartnerTables(partner.partner_id, partner.name, (
        ShownTable(f"{key}-completed", _("Completed referrals per district and outcome"),
                   _("District"), outcome_columns, completed, completed_total),
        ShownTable(f"{key}-ended", _("Returned and declined referrals per district"),
                   _("District"), (_("Returned by the partner"), _("Declined by the partner"),
                                   _("Total")), ended, ended_total),
        ShownTable(f"{key}-answers", _("Residents' answers per district"), _("District"),
                   (*(label(FEEDBACK_LABELS, code) for code in service.ANSWERS), _("Total"),
                    _("Of these: share helped")), answer_rows, answer_total),
        ShownTable(f"{key}-domains", _("Completed referrals per domain and outcome"),
                   _("Domain"), outcome_columns, by_domain, by_domain_total),
    ))


def _closed_quarter(wanted: OutcomesFilter, today: dt.date) -> str | None:
    """The quarter the period is, when it is exactly one that is over (its statement)."""
    quarter = Period.of(wanted.first)
    if (quarter.first_day, quarter.last_day) != (wanted.first, wanted.last):
        return None
    return quarter.code if quarter <= public_statistics.latest_period(today) else None


@bp.route("/outcomes")
@roles_required(*FIGURES_ROLES)
def outcomes() -> Any:
    """The outcomes per partner of a period (empty: the last quarter that is over) and a
    filter; with a choice that is not right, the form with its messages and no figures."""
    today = local_today()
    quick = figures.quick_periods(today)
    wijken = figures.choices_for(current_user.tenant_id).wijken
    form = OutcomesForm(formdata=request.args)
    form.fill_choices(wijken)
    wanted = form.outcomes_filter(wijken, quick["last_quarter"])
    shown: service.ProtectedOutcomes | None = None
    if wanted is not None:
        with form.catching_invalid_input() as outcome:
            found = service.outcomes_by_partner(_tenant(), wanted.first, wanted.last,
                                                wijk_code=wanted.wijk_code,
                                                domain=wanted.domain)
        if outcome.ok:
            shown = found.protected()
    partners = [_partner_tables(partner, shown.wijken, shown.rules)
                for partner in shown.partners] if shown else []
    periods = [(name, str(title()), *quick[name]) for name, title in PERIOD_NAMES.items()]
    return render_template(
        "beleid/outcomes.html", form=form, wanted=wanted if shown else None, shown=shown,
        partners=partners, periods=periods,
        quarter=_closed_quarter(wanted, today) if wanted and shown else None)


# --- The statement per partner per quarter ---------------------------------------------------


def _grid(rows: Sequence[service.StatementRow], corner: Cell, rules: Rules
          ) -> tuple[tuple[str, ...], tuple[Row, ...]]:
    """A section with categories (completed: domain × outcome) as a grid: its columns and
    rows, in the statement's order. The one cell the statement has no line for, the total of
    the totals, is ``corner`` (the statement's own total of the section)."""
    columns = tuple(dict.fromkeys(row.category for row in rows))
    items = tuple(dict.fromkeys(row.item for row in rows))
    cells = {(row.item, row.category): row.cell for row in rows}
    return columns, tuple(
        Row(item, tuple(_text(cells.get((item, column), corner), rules) for column in columns))
        for item in items)


def _statement_tables(statement: service.PartnerStatement) -> tuple[ShownTable, ...]:
    """The statement's sections as tables: completed per domain and outcome, the residents'
    answers, returned and declined per reason (the partner's own words), the totals."""
    rules = statement.rules

    def section(name: str) -> list[service.StatementRow]:
        return [row for row in statement.rows if row.section == name]

    completed = section("completed")
    columns, rows = _grid(completed, statement.totals[0].cell, rules)
    tables = [ShownTable("completed", completed[0].section_label, _("Domain"), columns,
                         rows[:-1], rows[-1])]
    answers = section("answers")
    tables.append(ShownTable(
        "answers", answers[0].section_label, _("Answer"), (_("Number"),),
        tuple(Row(row.item, (_text(row.cell, rules),)) for row in answers[:-1]),
        Row(answers[-1].item, (_text(answers[-1].cell, rules),))))
    # A section of reasons has no lines when nothing was returned (or declined); its name is
    # also the totals' line for it (completed, returned, declined: in that order).
    names = {state: row.item for state, row in zip(service.ENDED_OTHERWISE,
                                                   statement.totals[1:], strict=True)}
    for state in service.ENDED_OTHERWISE:
        tables.append(ShownTable(
            state, names[state], _("Reason"), (_("Number"),),
            tuple(Row(row.item, (_text(row.cell, rules),)) for row in section(state))))
    tables.append(ShownTable(
        "totals", statement.totals[0].section_label, _("Part"), (_("Number"),),
        tuple(Row(row.item, (_text(row.cell, rules),)) for row in statement.totals)))
    return tuple(tables)


def _share(statement: service.PartnerStatement) -> str:
    share = next(row for row in statement.rows if row.section == "share_helped")
    return _text(share.cell, statement.rules, percent=True)


def _statement_sheet(statement: service.PartnerStatement) -> export.Sheet:
    """The statement as one sheet, laid out as :func:`service.statement_csv` lays it out:
    numbers as numbers, a suppressed count in words, never its number."""
    rules = statement.rules
    meta: list[list[Any]] = [
        [statement.title, "", "", ""],
        [_("Municipality"), statement.tenant_name, "", ""],
        [_("Partner organisation"), statement.partner_name, "", ""],
        [_("Period"), statement.quarter, statement.first.isoformat(),
         statement.last.isoformat()],
        [_("Small numbers"), _("Counts are rounded to multiples of %(rounding)s; counts under "
                               "%(minimum)s are not shown.", rounding=rules.rounding,
                               minimum=rules.min_count), "", ""],
    ]
    lines = [[row.section_label, row.item, row.category, service.shown_value(row.cell, rules)]
             for row in (*statement.rows, *statement.totals)]
    return export.Sheet(statement.title, [_("Part"), _("Item"), _("Outcome"), _("Number")],
                        [*meta, *lines])


@bp.route("/outcomes/<int:partner_id>/statement")
@roles_required(*FIGURES_ROLES)
def outcomes_statement(partner_id: int) -> Any:
    """A partner's statement of a quarter (``?quarter=2026-Q3``; none: the last that is
    over). A partner of another municipality: 404; a quarter that is ill-formed or not over:
    its message and the quarter chooser, nothing else."""
    today = local_today()
    asked = request.args.get("quarter")
    try:
        statement = service.partner_statement(_tenant(), partner_id, asked, today=today)
    except InvalidInput as problem:
        if problem.field != "quarter":
            raise
        latest = public_statistics.latest_period(today)
        name = figures.choices_for(current_user.tenant_id).partners.get(partner_id, "")
        return render_template("beleid/outcomes_statement.html", statement=None,
                               error=str(problem), partner_id=partner_id, partner_name=name,
                               periods=public_statistics.recent_periods(latest, today),
                               chosen=latest)
    chosen = public_statistics.parse_period(statement.quarter, today)
    return render_template("beleid/outcomes_statement.html", statement=statement, error=None,
                           partner_id=partner_id, partner_name=statement.partner_name,
                           periods=public_statistics.recent_periods(chosen, today),
                           chosen=chosen, tables=_statement_tables(statement),
                           share=_share(statement))


@bp.route("/outcomes/<int:partner_id>/statement.csv", defaults={"file_format": "csv"})
@bp.route("/outcomes/<int:partner_id>/statement.ods", defaults={"file_format": "ods"})
@roles_required(*FIGURES_ROLES)
def outcomes_statement_download(partner_id: int, file_format: str) -> Any:
    """The statement as a spreadsheet (CSV for a Dutch Excel, or OpenDocument). A quarter
    that is not right goes back to the page, which says why. The download is an audit
    event."""
    try:
        statement = service.partner_statement(_tenant(), partner_id,
                                              request.args.get("quarter"), today=local_today())
    except InvalidInput as problem:
        if problem.field != "quarter":
            raise
        query = request.query_string.decode("latin-1")
        page = url_for("beleid.outcomes_statement", partner_id=partner_id)
        return redirect(page + (f"?{query}" if query else ""))
    service.exported(current_user._get_current_object(), statement, file_format)
    name = f"uitkomsten-{statement.partner_id}-{statement.quarter}.{file_format}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if file_format == "ods":
        return Response(export.ods_document([_statement_sheet(statement)]),
                        mimetype="application/vnd.oasis.opendocument.spreadsheet",
                        headers=headers)
    return Response(service.statement_csv(statement), mimetype="text/csv", headers=headers)
