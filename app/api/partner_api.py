"""The partner API: a partner's own systems act on its referrals, as the portal does.

The same services decide authorization and state changes; another partner's referral id
answers 404, an impossible step 409, a missing reason or outcome 422.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import g, request
from sqlalchemy import select

from app.api import bp
from app.extensions import db
from app.lifecycle import REFERRAL_STATES
from app.models import Referral
from app.roles import PARTNER
from app.services import referrals as referral_service
from app.targets import referral_target_json


@dataclass(frozen=True)
class ApiActor:
    """Who acts through a partner token; shaped like a user for the services and the audit."""

    tenant_id: int
    partner_id: int
    name: str
    role: str = PARTNER
    team_id: None = None
    id: None = None

    @property
    def email(self) -> str:
        return f"api-token:{self.name}"


def _partner_actor() -> ApiActor | None:
    token = g.api_token
    if token.partner_id is None:
        return None
    return ApiActor(tenant_id=token.tenant_id, partner_id=token.partner_id, name=token.name)


def _forbidden() -> tuple[dict[str, Any], int]:
    return {"error": "forbidden", "message": "This needs a partner's token."}, 403


def referral_json(referral: Referral) -> dict[str, Any]:
    """What a partner sees of a referral (the resident consented to share it)."""
    row = referral.request
    return {
        "id": referral.id,
        "reference": row.reference,
        "domain": referral.domain,
        "target": referral_target_json(referral),
        "state": referral.state,
        "due_date": referral.due_date.isoformat(),
        "reason": referral.reason,
        "outcome": referral.outcome,
        "request": {
            "for_whom": row.for_whom,
            "age": row.age,
            "life_areas": row.life_areas,
            "description": row.description,
            "priority": row.priority,
            "contact": {"name": row.contact_name, "email": row.contact_email,
                        "phone": row.contact_phone, "preferred": row.contact_preferred},
            "coordinating_team": row.owner_team.name,
        },
    }


@bp.get("/referrals")
def list_referrals() -> Any:
    actor = _partner_actor()
    if actor is None:
        return _forbidden()
    query = select(Referral).where(
        Referral.tenant_id == actor.tenant_id, Referral.target_partner_id == actor.partner_id,
        Referral.state != "proposed",
    )
    state = request.args.get("state")
    if state:
        if state not in REFERRAL_STATES:
            return {"error": "invalid_state", "message": f"Unknown state {state!r}.",
                    "fields": {"state": [f"One of: {', '.join(REFERRAL_STATES)}."]}}, 422
        query = query.where(Referral.state == state)
    rows = db.session.scalars(query.order_by(Referral.due_date, Referral.id).limit(500)).all()
    return {"referrals": [referral_json(row) for row in rows]}


@bp.get("/referrals/<int:referral_id>")
def get_referral(referral_id: int) -> Any:
    actor = _partner_actor()
    if actor is None:
        return _forbidden()
    return referral_json(referral_service.referral_for(actor, referral_id))  # type: ignore[arg-type]


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else {}


def _text(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    return value if isinstance(value, str) else ""


@bp.post("/referrals/<int:referral_id>/<action>")
def act_on_referral(referral_id: int, action: str) -> Any:
    actor = _partner_actor()
    if actor is None:
        return _forbidden()
    body = _body()
    user: Any = actor
    if action == "accept":
        referral = referral_service.accept(user, referral_id)
    elif action == "start":
        referral = referral_service.start(user, referral_id)
    elif action == "decline":
        referral = referral_service.decline(user, referral_id, _text(body, "reason"))
    elif action == "return":
        referral = referral_service.give_back(user, referral_id, _text(body, "reason"))
    elif action == "complete":
        referral = referral_service.complete(user, referral_id, _text(body, "outcome"),
                                             _text(body, "note"))
    else:
        return {"error": "not_found", "message": f"Unknown action {action!r}."}, 404
    return referral_json(referral)
