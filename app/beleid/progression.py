"""The workspace's page about the path from day activities to work (Heerlen's tender, task
3): who moved on, from which step to which and in how long, per district, and the downloads.

What each figure means and how it is protected is said in :mod:`app.services.progression`
(``published_figures``); this module reads the form, lays the tables out and serves them.
"""

from __future__ import annotations

from typing import Any

from flask import render_template, request
from flask_login import current_user

from app.auth import roles_required
from app.beleid import (
    NO_FIGURE,
    PERIOD_NAMES,
    _tenant,
    back_to_page,
    bp,
    known_download,
    tables_download,
)
from app.forms.progression_figures import ProgressionFiguresForm
from app.roles import FIGURES_ROLES
from app.services import progression as service
from app.services import small_numbers
from app.services.figures import Figure, choices_for, quick_periods
from app.services.legal import local_today
from disclosure import Rules


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


@bp.route("/progression/downloads/<key>.csv", defaults={"file_format": "csv"})
@bp.route("/progression/downloads/<key>.ods", defaults={"file_format": "ods"})
@roles_required(*FIGURES_ROLES)
def progression_download(key: str, file_format: str) -> Any:
    """One table (or, as .ods, every table: ``all``) as a spreadsheet, with the page's
    choices. The download is an audit event."""
    known_download(key, file_format, service.TABLE_KEYS)
    _form, wijken, wanted = _read_form()
    if wanted is None:
        return back_to_page("beleid.progression")
    result = service.published_figures(_tenant(), wanted, wijken)
    service.exported(current_user._get_current_object(), wanted, key, file_format)
    return tables_download(result.tables, key, file_format, result.rules, wanted.start,
                           wanted.end, name="pad-naar-werk")
