"""The contracts (``/beleid/contracts``, issue 14): what the municipality bought or funds from
which partner, for which domains and areas, from when to when; where a partner is
responsible without a running contract; and, for policy advisors and administrators, a new
contract or a change, checked and audited by :mod:`app.services.contracts`.

Team leads read the page too; the form is for :data:`app.roles.CONTRACT_ROLES`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask import flash, redirect, render_template, url_for
from flask_babel import format_date
from flask_login import current_user

from app.auth import roles_required
from app.beleid import _tenant, bp
from app.forms.contracts import ContractForm, hints
from app.i18n import _
from app.models import Contract, Tenant
from app.roles import CONTRACT_ROLES, FIGURES_ROLES, TRANSFER_ROLES
from app.services import accounts
from app.services import contracts as service
from app.services.legal import local_today
from app.vocabulary import DOMAIN_LABELS, FUNDING_LABELS, PRODUCT_LABELS, label
from geo.contracts import ContractGap


@dataclass(frozen=True)
class GapRow:
    """From ``day``, ``domain`` has no running contract in these places."""

    day: dt.date
    domain: str
    places: str


def _gap_rows(found: Sequence[ContractGap], names: dict[str, str]) -> list[GapRow]:
    buurten = {code for code in names if code.startswith("BU")}
    rows = []
    for (day, domain), places in service.grouped_gaps(found).items():
        if set(places) >= buurten | {None}:
            text = _("the whole municipality")
        else:
            text = ", ".join(names.get(place, place) if place else _("no known address")
                             for place in places)
        rows.append(GapRow(day=day, domain=label(DOMAIN_LABELS, domain), places=text))
    return rows


def _may_change() -> bool:
    return bool(current_user.role in CONTRACT_ROLES)


@bp.route("/contracts")
@roles_required(*FIGURES_ROLES)
def contracts() -> Any:
    tenant = _tenant()
    today = local_today()
    areas = dict(service.area_choices(tenant))
    rows = service.contracts_of(tenant.id)
    return render_template(
        "beleid/contracts.html", contracts=rows, today=today,
        states={row.id: service.state_on(row, today) for row in rows},
        counts=service.referral_counts(tenant.id), held=service.held_counts(tenant.id),
        areas=areas,
        gaps=_gap_rows(service.gaps(tenant, today), areas), may_change=_may_change(),
        may_transfer=current_user.role in TRANSFER_ROLES)


def _form_page(tenant: Tenant, form: ContractForm, contract: Contract | None,
               status: int = 200) -> Any:
    events = service.history(contract) if contract is not None else []
    names = accounts.actor_names(events)
    partners = service.partner_names(tenant.id)
    areas = dict(service.area_choices(tenant))

    def shown(name: str, value: Any) -> str:
        """A value of the history as people read it: labels and names, not codes."""
        if value in (None, "", []):
            return "–"
        if name == "partner_id":
            return partners.get(value, str(value))
        if name == "product":
            return label(PRODUCT_LABELS, value)
        if name == "funding":
            return label(FUNDING_LABELS, value)
        if name == "domains":
            return ", ".join(label(DOMAIN_LABELS, code) for code in value)
        if name == "areas":
            return ", ".join(areas.get(code, code) for code in value)
        if name in ("starts_on", "ends_on"):
            return format_date(dt.date.fromisoformat(value))
        return str(value)

    return render_template("beleid/contract_form.html", form=form, contract=contract,
                           hints=hints(), events=events, actor_names=names, shown=shown,
                           state=service.state_on(contract, local_today()) if contract else None
                           ), status


def _new_form(tenant: Tenant) -> ContractForm:
    form = ContractForm()
    form.fill_choices(service.partner_names(tenant.id), service.area_choices(tenant))
    return form


def _save(tenant: Tenant, form: ContractForm, contract: Contract | None) -> Any:
    """Check what was typed; show every problem on its field, or save, commit and go back."""
    if not form.validate_on_submit():
        return _form_page(tenant, form, contract, 422)
    data = form.contract_data()
    found = service.problems(tenant, data, existing=contract)
    for field, message in found:
        target = getattr(form, "partner" if field == "partner_id" else field)
        if not target.errors:
            target.errors = [message]
    if found:
        return _form_page(tenant, form, contract, 422)
    created = contract is None
    saved = service.change(tenant, data, contract=contract,
                           actor=current_user._get_current_object())
    flash(_("The contract %(key)s is made.", key=saved.key) if created
          else _("The contract %(key)s is saved.", key=saved.key), "success")
    return redirect(url_for("beleid.contracts"))


@bp.route("/contracts/new", methods=["GET", "POST"])
@roles_required(*CONTRACT_ROLES)
def contract_new() -> Any:
    tenant = _tenant()
    form = _new_form(tenant)
    if form.is_submitted():
        return _save(tenant, form, None)
    form.starts_on.data = local_today()
    return _form_page(tenant, form, None)


@bp.route("/contracts/<int:contract_id>", methods=["GET", "POST"])
@roles_required(*CONTRACT_ROLES)
def contract_edit(contract_id: int) -> Any:
    tenant = _tenant()
    contract = service.get(tenant.id, contract_id)
    form = _new_form(tenant)
    if form.is_submitted():
        return _save(tenant, form, contract)
    form.fill_from(contract)
    return _form_page(tenant, form, contract)
