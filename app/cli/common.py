"""What several command groups share."""

from __future__ import annotations

import click
from sqlalchemy import select

from app.extensions import db
from app.models import Tenant


def tenant_by_slug(slug: str) -> Tenant:
    """The tenant with ``slug``; a ``ClickException`` (exit 1, its message) when there is none."""
    tenant = db.session.scalar(select(Tenant).where(Tenant.slug == slug))
    if tenant is None:
        raise click.ClickException(f"No tenant with slug {slug!r}.")
    return tenant
