"""The access log page (NEN 7513): for a team lead over the team's requests, for an
administrator over the whole municipality. Read-only: the log has no edit or delete."""

from __future__ import annotations

from typing import Any

from flask import render_template, request
from flask_login import current_user
from sqlalchemy import select

from app.auth import roles_required
from app.extensions import db
from app.models import User
from app.roles import TEAM_LEAD
from app.services import access_log
from app.staff import bp


def _posint(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() else None


def render_access_log(*, team_id: int | None, nav: str) -> Any:
    reference = (request.args.get("reference") or "").strip()[:20] or None
    user_id = _posint("user")
    entries, next_before = access_log.query(current_user.tenant_id, reference=reference,
                                            user_id=user_id, team_id=team_id,
                                            before_id=_posint("before"))
    users = db.session.execute(select(User.id, User.name).where(
        User.tenant_id == current_user.tenant_id).order_by(User.name)).all()
    return render_template("staff/access_log.html", entries=entries, users=users,
                           reference=reference or "", user_id=user_id,
                           next_before=next_before, nav=nav)


@bp.route("/access-log")
@roles_required(TEAM_LEAD)
def access_log_page() -> Any:
    """Who saw or changed the requests of the lead's team."""
    return render_access_log(team_id=current_user.team_id, nav="staff/nav.html")
