"""The partner API: a partner's own systems act on its referrals, as the portal does.

The same services decide authorization and state changes; another partner's referral id
answers 404, an impossible step 409, a missing reason or outcome 422.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask import g, request

from app.api import bp
from app.calendar import today as local_today
from app.extensions import db
from app.lifecycle import REFERRAL_STATES
from app.models import Contract, Referral, SupportRequest
from app.roles import PARTNER
from app.services import capacity, transfers
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


def _stamp(moment: dt.datetime | None) -> str | None:
    return moment.isoformat() + "Z" if moment else None


def _handover(other: Referral, successor: Referral) -> dict[str, Any]:
    transfer = successor.transfer
    return {"partner": other.target_name,
            "starts_on": transfer.on.isoformat() if transfer else None,
            "note": successor.handover_note, "note_at": _stamp(successor.handover_note_at)}


def handover_json(referral: Referral, successor: Referral | None) -> dict[str, Any]:
    """A contract transfer as the partner sees it: the successor reads whom it takes over
    from and the old partner's note; the old partner reads to whom, from when, its note, and
    whether it may still write it (until the successor answers)."""
    previous = referral.transferred_from
    return {
        "taken_over_from": _handover(previous, referral) if previous is not None else None,
        "handed_over_to": None if successor is None else {
            **_handover(successor, successor),
            "may_write_note": transfers.note_open(successor)},
    }


def referral_json(referral: Referral, successor: Referral | None = None) -> dict[str, Any]:
    """What a partner sees of a referral (the resident consented to share it); ``successor``
    is the referral that takes this one over in a contract transfer, if any."""
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
            "contact": contact_json(row),
            "coordinating_team": row.owner_team.name,
        },
        **handover_json(referral, successor),
    }


def contact_json(row: SupportRequest) -> dict[str, Any]:
    """How a partner may reach the resident. When contact is not safe: never the resident's
    own e-mail address or phone number, only the safe way they gave (if any)."""
    if row.contact_unsafe:
        return {"name": row.contact_name, "email": None, "phone": None, "preferred": None,
                "safe": False, "safe_phone": row.safe_phone, "safe_times": row.safe_times}
    return {"name": row.contact_name, "email": row.contact_email, "phone": row.contact_phone,
            "preferred": row.contact_preferred, "safe": True, "safe_phone": None,
            "safe_times": None}


@bp.get("/referrals")
def list_referrals() -> Any:
    actor = _partner_actor()
    if actor is None:
        return _forbidden()
    query = referral_service.received_referrals(actor)
    state = request.args.get("state")
    if state:
        if state not in REFERRAL_STATES:
            return {"error": "invalid_state", "message": f"Unknown state {state!r}.",
                    "fields": {"state": [f"One of: {', '.join(REFERRAL_STATES)}."]}}, 422
        query = query.where(Referral.state == state)
    rows = db.session.scalars(query.order_by(Referral.due_date, Referral.id).limit(500)).all()
    successors = transfers.successors_of([row.id for row in rows])
    return {"referrals": [referral_json(row, successors.get(row.id)) for row in rows]}


@bp.get("/referrals/<int:referral_id>")
def get_referral(referral_id: int) -> Any:
    actor = _partner_actor()
    if actor is None:
        return _forbidden()
    referral = referral_service.referral_for(actor, referral_id)  # type: ignore[arg-type]
    return referral_json(referral, transfers.successor_of(referral))


@bp.put("/referrals/<int:referral_id>/handover-note")
def put_handover_note(referral_id: int) -> Any:
    """The old partner writes (or changes) its note for the successor, until it answers."""
    actor = _partner_actor()
    if actor is None:
        return _forbidden()
    user: Any = actor
    successor = transfers.add_handover_note(user, referral_id, _text(_body(), "note"))
    assert successor.transferred_from is not None  # the referral the note is written on
    return referral_json(successor.transferred_from, successor)


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
    return referral_json(referral, transfers.successor_of(referral))


# --- Services and their capacity ---------------------------------------------------------------

def service_json(contract: Contract) -> dict[str, Any]:
    """One of the partner's services (a contract) with its capacity."""
    return {
        "key": contract.key,
        "product": contract.product,
        "lot": contract.lot,
        "domains": list(contract.domains),
        "areas": list(contract.areas or ()),
        "starts_on": contract.starts_on.isoformat(),
        "ends_on": contract.ends_on.isoformat() if contract.ends_on else None,
        "accepting": contract.accepting,
        "accepts_again_on": (contract.accepts_again_on.isoformat()
                             if contract.accepts_again_on else None),
        "waiting_weeks": contract.waiting_weeks,
        "has_room_today": capacity.has_room(contract, local_today()),
    }


@bp.get("/services")
def list_services() -> Any:
    actor = _partner_actor()
    if actor is None:
        return _forbidden()
    return {"services": [service_json(row) for row in capacity.services_of(actor)]}


def _capacity_body(body: dict[str, Any]) -> tuple[capacity.CapacityData | None,
                                                  dict[str, list[str]]]:
    """The capacity a PUT body gives, or why it is not valid (per field)."""
    errors: dict[str, list[str]] = {}
    accepting = body.get("accepting")
    if not isinstance(accepting, bool):
        errors["accepting"] = ["Required: true or false."]
    again = body.get("accepts_again_on")
    day: dt.date | None = None
    if again is not None:
        try:
            day = dt.date.fromisoformat(again) if isinstance(again, str) else None
        except ValueError:
            day = None
        if day is None:
            errors["accepts_again_on"] = ["A date as YYYY-MM-DD, or null."]
    weeks = body.get("waiting_weeks")
    if weeks is not None and (isinstance(weeks, bool) or not isinstance(weeks, int)):
        errors["waiting_weeks"] = ["A whole number of weeks, or null."]
    if errors:
        return None, errors
    return capacity.CapacityData(accepting=bool(accepting), accepts_again_on=day,
                                 waiting_weeks=weeks), {}


@bp.put("/services/<key>/capacity")
def put_capacity(key: str) -> Any:
    actor = _partner_actor()
    if actor is None:
        return _forbidden()
    data, errors = _capacity_body(_body())
    if data is None:
        return {"error": "invalid_request", "message": "Some fields are not valid.",
                "fields": errors}, 422
    return service_json(capacity.set_capacity(actor, key, data))
