"""A contract that ends (``/beleid/contracts/transfer``, issue 14): a team lead, a policy
advisor or an administrator transfers a partner's open referrals to a successor. The page
previews what would happen in counts only (never a resident), and starts it on
confirmation; :mod:`app.services.transfers` checks and does it, all or nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.auth import roles_required
from app.beleid import _tenant, bp
from app.forms.transfers import TransferForm
from app.i18n import _
from app.roles import TRANSFER_ROLES
from app.services import contracts, transfers
from app.services.legal import local_today


def _page(form: TransferForm, plan: transfers.Plan | None, status: int = 200) -> Any:
    return render_template("beleid/transfer.html", form=form, plan=plan,
                           transfers=transfers.progress(_tenant().id)), status


@bp.route("/contracts/transfer", methods=["GET", "POST"])
@roles_required(*TRANSFER_ROLES)
def contract_transfer() -> Any:
    tenant = _tenant()
    form = TransferForm()
    form.fill_choices(contracts.partner_names(tenant.id))
    if not form.is_submitted():
        contract_id = request.args.get("contract", type=int)
        if contract_id is not None:  # "Transfer its referrals" on the contracts page
            contract = contracts.get(tenant.id, contract_id)
            form.from_partner.data, form.product.data = str(contract.partner_id), contract.product
            after = contract.ends_on + dt.timedelta(days=1) if contract.ends_on else None
            form.on.data = max(after, local_today()) if after else local_today()
        return _page(form, None)
    if not form.validate_on_submit():
        return _page(form, None, 422)
    if request.form.get("action") == "confirm":
        with form.catching_invalid_input() as outcome:
            transfer = transfers.start(current_user._get_current_object(), tenant,
                                       *form.values(), note=form.note.data)
        if outcome.ok:
            flash(_("The transfer to %(partner)s has started. Referrals moved: %(moved)d. "
                    "Waiting for the resident's consent: %(held)d.",
                    partner=transfer.to_partner.name, moved=transfer.counts["moved"],
                    held=transfer.counts["needs_consent"]), "success")
            return redirect(url_for("beleid.contracts"))
        return _page(form, None, 422)
    with form.catching_invalid_input() as outcome:
        plan = transfers.plan(tenant, *form.values())
    return _page(form, plan if outcome.ok else None, 200 if outcome.ok else 422)
