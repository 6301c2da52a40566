"""Administration: the outbox with its dead letters, the local mailbox, the access log, and the
municipality's accounts (:mod:`app.admin.users`)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from app.auth import roles_required
from app.extensions import db
from app.i18n import _
from app.messaging.transport import outbox as outbox_service
from app.models import CapturedMail, OutboxMessage
from app.roles import ADMIN
from app.services.errors import NotFound
from app.staff.access_log import render_access_log

bp = Blueprint("admin", __name__)
OUTBOX_STATES = ("pending", "sent", "dead", "refused")


@bp.route("/")
@roles_required(ADMIN)
def index() -> Any:
    counts = dict(
        db.session.execute(
            select(OutboxMessage.state, func.count(OutboxMessage.id))
            .where(OutboxMessage.tenant_id == current_user.tenant_id)
            .group_by(OutboxMessage.state)
        ).all()
    )
    return render_template("admin/index.html", counts=counts)


@bp.route("/outbox")
@roles_required(ADMIN)
def outbox() -> Any:
    state = request.args.get("state")
    query = select(OutboxMessage).where(OutboxMessage.tenant_id == current_user.tenant_id)
    if state in OUTBOX_STATES:
        query = query.where(OutboxMessage.state == state)
    messages = db.session.scalars(query.order_by(OutboxMessage.id.desc()).limit(500)).all()
    return render_template("admin/outbox.html", messages=messages, state=state,
                           states=OUTBOX_STATES)


@bp.route("/outbox/<int:message_id>/retry", methods=["POST"])
@roles_required(ADMIN)
def retry(message_id: int) -> Any:
    if outbox_service.retry(current_user, message_id):
        flash(_("The message will be sent again."), "success")
    return redirect(url_for("admin.outbox", state="dead"))


@bp.route("/mailbox")
@roles_required(ADMIN)
def mailbox() -> Any:
    mails = db.session.scalars(
        select(CapturedMail)
        .where(CapturedMail.tenant_id == current_user.tenant_id)
        .order_by(CapturedMail.id.desc())
        .limit(200)
    ).all()
    return render_template("admin/mailbox.html", mails=mails)


@bp.route("/mailbox/<int:mail_id>")
@roles_required(ADMIN)
def mail(mail_id: int) -> Any:
    found = db.session.get(CapturedMail, mail_id)
    if found is None or found.tenant_id != current_user.tenant_id:
        raise NotFound(_("This e-mail does not exist."))
    return render_template("admin/mail.html", mail=found)


@bp.route("/access-log")
@roles_required(ADMIN)
def access_log() -> Any:
    """Who saw or changed any request of the municipality."""
    return render_access_log(team_id=None, nav="admin/nav.html")


from app.admin import users as _users  # noqa: E402, F401 - its routes are on ``bp``
