"""The workspace's page about the path from day activities to work (Heerlen's tender, task
3): who moved on, from which step to which and in how long, per district, and the downloads.

What each figure means and how it is protected is said in :mod:`app.services.progression`
(``published_figures``); this module reads the form, lays the tables out and serves them.
"""

from __future__ import annotations

from typing import Any

from flask import Response, abort, redirect, render_template, request, url_for
from flask_login import current_user

from app.auth import roles_required
from app.beleid import PERIOD_NAMES, _tenant, bp
from app.forms.progression_figures import ProgressionFiguresForm
from app.i18n import _
from app.roles import FIGURES_ROLES
from app.services import export, small_numbers
from app.services import progression as service
from app.services.figures import Figure, choices_for, quick_periods
from app.services.legal import local_today
from disclosure import Rules

#: What a cell says where its figure cannot exist (a move to the same step).
NO_FIGURE = "–"


def cell_text(figure: Figure | None, rules: Rules) -> str:
    """A cell as the page and the downloads write it: a suppressed count in words."""
    if figure is None:
        return NO_FIGURE
    return small_numbers.cell_text(figure, rules)


def _read_form() -> tuple[ProgressionFiguresForm, dict[str, str], service.PathFilter | None]:
    wijken = choices_for(current_user.tenant_id).wijken
    form = ProgressionFiguresForm(formdata=request.args)
    form.fill_choices(wijken)
    return form, wijken, form.path_filter(wijken, local_today())


@bp.route("/progression")
@roles_required(*FIGURES_ROLES)
def progression() -> Any:
    """The path's figures for a period and, optionally, a district; with a choice that is
    not right, the form with its messages and no figures."""
    form, wijken, wanted = _read_form()
    result = service.published_figures(_tenant(), wanted, wijken) if wanted else None
    periods = [(name, str(title()), *quick_periods(local_today())[name])
               for name, title in PERIOD_NAMES.items()]
    return render_template("beleid/progression.html", form=form, result=result,
                           periods=periods, cell_text=cell_text)


def _sheet(table: service.PathTable, rules: Rules, wanted: service.PathFilter, *,
           numbers: bool) -> export.Sheet:
    """A table as a sheet, the period under it: numbers as numbers (``numbers``, .ods) or
    as Dutch spreadsheets read them in a CSV file (no thousands separator, a decimal
    comma); a suppressed count in the page's words, never its number."""

    def value(figure: Figure | None) -> Any:
        if figure is None or not figure.shown or figure.value is None:
            return cell_text(figure, rules)
        if numbers:
            return figure.value
        if isinstance(figure.value, float):
            return f"{figure.value:.1f}".replace(".", ",")
        return str(figure.value)

    rows: list[list[Any]] = [[row.label, *(value(cell) for cell in row.cells)]
                             for row in (*table.rows, *((table.total,) if table.total else ()))]
    period = [_("Period"), _("%(start)s to %(end)s", start=wanted.start.isoformat(),
                             end=wanted.end.isoformat())]
    return export.Sheet(table.title, [table.row_header, *table.columns], [*rows, [], period])


@bp.route("/progression/downloads/<key>.csv", defaults={"file_format": "csv"})
@bp.route("/progression/downloads/<key>.ods", defaults={"file_format": "ods"})
@roles_required(*FIGURES_ROLES)
def progression_download(key: str, file_format: str) -> Any:
    """One table (or, as .ods, every table: ``all``) as a spreadsheet, with the page's
    choices. The download is an audit event."""
    if key not in service.TABLE_KEYS and not (key == "all" and file_format == "ods"):
        abort(404)
    _form, wijken, wanted = _read_form()
    if wanted is None:  # the page says what is not right
        query = request.query_string.decode("latin-1")
        return redirect(url_for("beleid.progression") + (f"?{query}" if query else ""))
    result = service.published_figures(_tenant(), wanted, wijken)
    tables = result.tables if key == "all" else [t for t in result.tables if t.key == key]
    service.exported(current_user._get_current_object(), wanted, key, file_format)
    name = (f"pad-naar-werk-{key}-{wanted.start.isoformat()}-{wanted.end.isoformat()}"
            f".{file_format}")
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if file_format == "ods":
        sheets = [_sheet(table, result.rules, wanted, numbers=True) for table in tables]
        return Response(export.ods_document(sheets),
                        mimetype="application/vnd.oasis.opendocument.spreadsheet",
                        headers=headers)
    sheet = _sheet(tables[0], result.rules, wanted, numbers=False)
    return Response(export.csv_lines(sheet.header, sheet.rows), mimetype="text/csv",
                    headers=headers)
