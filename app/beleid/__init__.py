"""The municipality's workspace (``/beleid``): figures for policy advisors and contract
managers, team leads and administrators. Aggregates only: no name, no story, no request.

What each figure means is said in :mod:`app.services.figures`; this module reads the form,
lays the protected numbers out (tables and SVG bar charts) and serves the downloads.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from flask_login import current_user

from app.auth import roles_required
from app.extensions import db
from app.forms.figures import FiguresForm
from app.i18n import _
from app.models import Tenant
from app.roles import FIGURES_ROLES
from app.services import export, small_numbers
from app.services import figures as service
from app.services.legal import local_today
from disclosure import Rules

bp = Blueprint("beleid", __name__)

#: The quick choices of the period, in the order of the page.
PERIOD_NAMES = {
    "this_quarter": lambda: _("This quarter"),
    "last_quarter": lambda: _("Last quarter"),
    "this_year": lambda: _("This year"),
    "last_year": lambda: _("Last year"),
}


def cell_text(figure: service.Figure, rules: Rules) -> str:
    """A cell as the page and the downloads write it: a suppressed count in words."""
    return small_numbers.cell_text(figure, rules)


# --- Charts ----------------------------------------------------------------------------------

CHART_WIDTH = 640
BAR_AREA = 520  # the longest bar; the rest of the width holds its number
ROW_HEIGHT = 50  # a label line above a bar


@dataclass(frozen=True)
class Bar:
    label: str
    text: str
    y: int
    width: float
    shown: bool


@dataclass(frozen=True)
class BarChart:
    """A horizontal bar chart of a table's first column, drawn by beleid/chart.html."""

    id: str
    title: str
    width: int
    height: int
    bars: tuple[Bar, ...]


def bar_chart(table: service.Table, rules: Rules) -> BarChart:
    """The bars of ``table``: a suppressed count gets no bar, only its words."""
    values = [row.cells[0].value or 0 for row in table.rows if row.cells[0].shown]
    largest = max(values, default=0) or 1
    bars = tuple(
        Bar(label=row.label, text=cell_text(row.cells[0], rules), y=index * ROW_HEIGHT,
            width=round(BAR_AREA * (row.cells[0].value or 0) / largest, 1)
            if row.cells[0].shown else 0.0,
            shown=row.cells[0].shown)
        for index, row in enumerate(table.rows))
    return BarChart(id=f"chart-{table.key}", title=table.title, width=CHART_WIDTH,
                    height=max(len(bars), 1) * ROW_HEIGHT, bars=bars)


# --- Pages -----------------------------------------------------------------------------------


def _tenant() -> Tenant:
    tenant = db.session.get(Tenant, current_user.tenant_id)
    assert tenant is not None
    return tenant


def _read_form() -> tuple[FiguresForm, service.Choices, service.FigureFilter | None]:
    choices = service.choices_for(current_user.tenant_id)
    form = FiguresForm(formdata=request.args)
    form.fill_choices(choices)
    return form, choices, form.figure_filter(choices, local_today())


@bp.route("/")
@roles_required(*FIGURES_ROLES)
def figures() -> Any:
    """The figures for a period and a filter, the areas also on a map; with a choice that
    is not right, the form with its messages and no figures."""
    from app.beleid import maps

    form, choices, wanted = _read_form()
    result = service.figures(_tenant(), wanted, choices) if wanted is not None else None
    periods = [(name, str(title()), *service.quick_periods(local_today())[name])
               for name, title in PERIOD_NAMES.items()]
    charts = {table.key: bar_chart(table, result.rules)
              for table in result.tables if table.chart} if result else {}
    area_map = maps.figures_map(current_user.tenant_id, result) if result else None
    return render_template("beleid/figures.html", form=form, result=result, charts=charts,
                           area_map=area_map, periods=periods, cell_text=cell_text,
                           table_keys=service.TABLE_KEYS)


#: What a cell says where no figure can be (a move from a step to the same step).
NO_FIGURE = "–"


def _sheet(table: Any, rules: Rules, start: dt.date, end: dt.date, *,
           numbers: bool) -> export.Sheet:
    """A table of the workspace (rows with a label and cells, an optional total) as a
    sheet, the period under it: numbers as numbers (``numbers``, .ods) or as Dutch
    spreadsheets read them in a CSV file (no thousands separator, a decimal comma); a
    suppressed count in the page's words, never its number."""

    def value(figure: service.Figure | None) -> Any:
        if figure is None:
            return NO_FIGURE
        if not figure.shown or figure.value is None:
            return cell_text(figure, rules)
        if numbers:
            return figure.value
        if isinstance(figure.value, float):
            return f"{figure.value:.1f}".replace(".", ",")
        return str(figure.value)

    rows: list[list[Any]] = [[row.label, *(value(cell) for cell in row.cells)]
                             for row in (*table.rows, *((table.total,) if table.total else ()))]
    period = [_("Period"), _("%(start)s to %(end)s", start=start.isoformat(),
                             end=end.isoformat())]
    return export.Sheet(table.title, [table.row_header, *table.columns], [*rows, [], period])


def known_download(key: str, file_format: str, keys: Sequence[str]) -> None:
    """404 unless ``key`` names a table (or, as .ods, ``all`` of them)."""
    if key not in keys and not (key == "all" and file_format == "ods"):
        abort(404)


def back_to_page(endpoint: str) -> Any:
    """A download asked with a choice that is not right: the page, which says what."""
    query = request.query_string.decode("latin-1")
    return redirect(url_for(endpoint) + (f"?{query}" if query else ""))


def tables_download(tables: Sequence[Any], key: str, file_format: str, rules: Rules,
                    start: dt.date, end: dt.date, *, name: str) -> Response:
    """The table ``key`` (or, as .ods, every table: ``all``) of ``tables`` as a CSV or
    OpenDocument file named ``name-key-start-end``."""
    chosen = list(tables) if key == "all" else [t for t in tables if t.key == key]
    filename = f"{name}-{key}-{start.isoformat()}-{end.isoformat()}.{file_format}"
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    if file_format == "ods":
        sheets = [_sheet(table, rules, start, end, numbers=True) for table in chosen]
        return Response(export.ods_document(sheets),
                        mimetype="application/vnd.oasis.opendocument.spreadsheet",
                        headers=headers)
    sheet = _sheet(chosen[0], rules, start, end, numbers=False)
    return Response(export.csv_lines(sheet.header, sheet.rows), mimetype="text/csv",
                    headers=headers)


@bp.route("/downloads/<key>.csv", defaults={"file_format": "csv"})
@bp.route("/downloads/<key>.ods", defaults={"file_format": "ods"})
@roles_required(*FIGURES_ROLES)
def download(key: str, file_format: str) -> Any:
    """One table (or, as .ods, every table: ``all``) as a spreadsheet, with the page's
    filter. The download is an audit event."""
    known_download(key, file_format, service.TABLE_KEYS)
    _form, choices, wanted = _read_form()
    if wanted is None:
        return back_to_page("beleid.figures")
    result = service.figures(_tenant(), wanted, choices)
    service.exported(current_user._get_current_object(), wanted, key, file_format)
    return tables_download(result.tables, key, file_format, result.rules, wanted.start,
                           wanted.end, name="cijfers")


# The workspace's other pages register their routes on ``bp``.
from app.beleid import (  # noqa: E402, F401
    contracts,
    outcomes,
    progression,
    punctuality,
    region,
    transfers,
)
