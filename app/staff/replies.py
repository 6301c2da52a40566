"""Standard reply texts: team leads keep them; staff use them when they write."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from app.auth import roles_required
from app.forms.replies import ReplyForm
from app.i18n import _
from app.models import ReplyTemplate
from app.roles import TEAM_LEAD
from app.services import replies
from app.staff import bp


def _page(form: ReplyForm, template: ReplyTemplate | None, status: int = 200) -> Any:
    return render_template("staff/replies.html", form=form, editing=template,
                           templates=replies.for_tenant(current_user.tenant_id),
                           placeholders=replies.PLACEHOLDERS), status


@bp.route("/replies", methods=["GET", "POST"])
@bp.route("/replies/<int:template_id>", methods=["GET", "POST"])
@roles_required(TEAM_LEAD)
def reply_templates(template_id: int | None = None) -> Any:
    template = replies.get(current_user.tenant_id, template_id) if template_id else None
    form = ReplyForm(obj=template)
    if form.validate_on_submit():
        with form.catching_invalid_input() as outcome:
            saved = replies.save(current_user, template, form.title.data, form.audience.data,
                                 form.body.data)
        if outcome.ok:
            flash(_("The text “%(title)s” is saved.", title=saved.title), "success")
            return redirect(url_for("staff.reply_templates"))
    return _page(form, template, 422 if form.errors else 200)
