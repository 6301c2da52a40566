"""The resident's front door: no account, any language, on a phone.

The blueprint, and the pages around the question: the start page and the privacy statement.
The question itself (in steps, or on one page) is asked in :mod:`app.resident.intake`; the
status page, where the resident follows it, lives in :mod:`app.resident.status`.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, redirect, render_template, url_for
from sqlalchemy import select

from app.extensions import db
from app.models import Team, Tenant

bp = Blueprint("resident", __name__)


def tenant_or_404(slug: str) -> Tenant:
    tenant = db.session.scalar(select(Tenant).where(Tenant.slug == slug))
    if tenant is None:
        abort(404)
    return tenant


def contact_email(tenant: Tenant) -> str | None:
    """Where a resident writes to the municipality: its own address, else central intake."""
    if tenant.contact_email:
        return tenant.contact_email
    return db.session.scalar(select(Team.email).where(
        Team.tenant_id == tenant.id, Team.is_central_intake.is_(True), Team.email.is_not(None)
    ).order_by(Team.id).limit(1))


@bp.route("/")
def index() -> Any:
    return redirect(url_for("resident.home", tenant=current_app.config["DEFAULT_TENANT"]))


@bp.route("/<tenant>/")
def home(tenant: str) -> Any:
    return render_template("resident/home.html", tenant=tenant_or_404(tenant))


@bp.route("/<tenant>/privacy")
def privacy(tenant: str) -> Any:
    """The privacy statement: what is stored, why, who sees it, how long, your rights."""
    tenant_row = tenant_or_404(tenant)
    return render_template("resident/privacy.html", tenant=tenant_row,
                           contact_email=contact_email(tenant_row))


from app.resident import intake, statistics, status  # noqa: E402,F401 - their routes
