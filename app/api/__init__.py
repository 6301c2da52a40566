"""The JSON API (v1): intake for phone systems and partners' systems, with bearer tokens."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from flask import Blueprint, current_app, g, request, url_for
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from app.api.openapi import openapi_document
from app.extensions import db
from app.forms.intake import IntakeForm, intake_data
from app.limits import SUBMISSION_TOKEN_MAX, SUBMISSION_TOKEN_MIN
from app.models import ApiToken, SupportRequest, Tenant
from app.services import legal, tasks
from app.services.intake import find_by_submission_token, status_token, submit_request
from app.targets import referral_target_json, target_json
from referral_rules.vocabulary import CHANNELS

bp = Blueprint("api", __name__)

#: API field → (form field, expected JSON type).
_SCALARS: dict[str, tuple[str, type | tuple[type, ...]]] = {
    "for_whom": ("for_whom", str),
    "postcode": ("postcode", str),
    "house_number": ("house_number", (str, int)),
    "address": ("address", str),
    "birth_date": ("birth_date", str),
    "age": ("age", int),
    "description": ("description", str),
    "urgency": ("urgency", str),
    "housing": ("housing", str),
}
_CONTACT = {"name": "contact_name", "email": "contact_email", "phone": "contact_phone",
            "preferred": "contact_preferred"}
_FORM_TO_API = {form: api for api, (form, _t) in _SCALARS.items()} | {
    form: f"contact.{api}" for api, form in _CONTACT.items()
} | {"life_areas": "life_areas", "consent_share": "consent_share",
     "no_fixed_address": "no_fixed_address"}


_KNOWN_FIELDS = set(_SCALARS) | {
    "contact", "life_areas", "no_fixed_address", "consent_share", "channel", "language",
    "submission_token",
}


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> tuple[str, str]:
    """A fresh bearer token and the hash we store."""
    token = "wl_" + secrets.token_urlsafe(32)
    return token, hash_token(token)


def _error(status: int, error: str, message: str, **extra: Any) -> tuple[dict[str, Any], int]:
    return {"error": error, "message": message, **extra}, status


@bp.before_request
def authenticate() -> Any:
    # The description and the public statistics (open data) are for anyone, without a token.
    if request.endpoint in {"api.openapi", "api.public_statistics", "api.public_statistics_csv"}:
        return None
    header = request.headers.get("Authorization", "")
    scheme, _sep, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return _error(401, "unauthorized", "Send 'Authorization: Bearer TOKEN'.")
    row = db.session.scalar(
        select(ApiToken).where(
            ApiToken.token_hash == hash_token(token.strip()), ApiToken.revoked_at.is_(None)
        )
    )
    if row is None:
        return _error(401, "unauthorized", "The token is not valid.")
    g.api_token = row
    g.tenant = db.session.get(Tenant, row.tenant_id)
    return None


def _type_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    names = {str: "a string", int: "an integer", bool: "a boolean", list: "a list"}
    return " or ".join(names[k] for k in kinds)


def _to_formdata(body: dict[str, Any]) -> tuple[MultiDict[str, str], dict[str, list[str]]]:
    """Translate the JSON body to form data; collect type errors per API field."""
    data: MultiDict[str, str] = MultiDict()
    errors: dict[str, list[str]] = {}

    def check(name: str, value: Any, kind: type | tuple[type, ...]) -> bool:
        if isinstance(value, bool) and kind is not bool:
            ok = False
        else:
            ok = isinstance(value, kind)
        if not ok:
            errors[name] = [f"Must be {_type_name(kind)}."]
        return ok

    for api_name, (form_name, kind) in _SCALARS.items():
        value = body.get(api_name)
        if value is not None and check(api_name, value, kind):
            data.add(form_name, str(value))
    for flag in ("no_fixed_address", "consent_share"):
        value = body.get(flag)
        if value is not None and check(flag, value, bool):
            if flag == "consent_share":
                data.add(flag, "yes" if value else "no")
            elif value:
                data.add(flag, "y")
    areas = body.get("life_areas")
    if areas is not None and check("life_areas", areas, list):
        for area in areas:
            if not isinstance(area, str):
                errors["life_areas"] = ["Must be a list of strings."]
                break
            data.add("life_areas", area)
    contact = body.get("contact")
    if contact is not None and check("contact", contact, dict):
        for api_name, form_name in _CONTACT.items():
            value = contact.get(api_name)
            if value is not None and check(f"contact.{api_name}", value, str):
                data.add(form_name, value)
    return data, errors


@bp.post("/requests")
def create_request() -> Any:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return _error(400, "invalid_json", "The body must be a JSON object.")
    unknown = sorted(set(body) - _KNOWN_FIELDS)
    formdata, errors = _to_formdata(body)
    for name in unknown:
        errors[name] = ["Unknown field."]
    channel = body.get("channel", "web")
    if channel not in CHANNELS:
        errors["channel"] = [f"Must be one of: {', '.join(CHANNELS)}."]
    language = body.get("language", current_app.config["BABEL_DEFAULT_LOCALE"])
    if language not in current_app.config["LANGUAGES"]:
        errors["language"] = [
            f"Must be one of: {', '.join(current_app.config['LANGUAGES'])}."
        ]
    token = body.get("submission_token")
    if token is not None and (not isinstance(token, str) or not
                              SUBMISSION_TOKEN_MIN <= len(token) <= SUBMISSION_TOKEN_MAX):
        errors["submission_token"] = [f"Must be a string of {SUBMISSION_TOKEN_MIN} to "
                                      f"{SUBMISSION_TOKEN_MAX} characters."]
    elif token:
        formdata.add("submission_token", token)
    form = IntakeForm(formdata=formdata, meta={"csrf": False})
    if not form.validate():
        for field, messages in form.errors.items():
            errors.setdefault(_FORM_TO_API.get(field, field), [str(m) for m in messages])
    if errors:
        return _error(422, "invalid_request", "Some fields are not valid.", fields=errors)
    data = intake_data(form, channel=channel, language=language)
    existing = find_by_submission_token(g.tenant, data.submission_token)
    created = existing or submit_request(g.tenant, data)
    body = request_json(created)
    if existing is None:
        # Only the call that created the request learns the status page's secret.
        body["status_url"] = url_for("resident.status", tenant=g.tenant.slug,
                                     reference=created.reference, token=status_token(created),
                                     _external=True)
    return body, 201


def request_json(row: SupportRequest) -> dict[str, Any]:
    """The public JSON shape of a request."""
    return {
        "reference": row.reference,
        "status": row.status,
        "priority": row.priority,
        "owner_team": {"id": row.owner_team.id, "name": row.owner_team.name},
        "buurt_code": row.buurt_code,
        "routes": [
            {
                "domain": route["domain"],
                "target": _route_target(row, route["domain"]),
                "rule_ids": route["rule_ids"],
                "reason": " ".join(reason["title"] for reason in route["reasons"]),
            }
            for route in row.decision["routes"]
        ],
        "referrals": [
            {
                "id": referral.id,
                "domain": referral.domain,
                "target": referral_target_json(referral),
                "state": referral.state,
                "due_date": referral.due_date.isoformat(),
            }
            for referral in row.referrals
        ],
        "open_tasks": [
            {"id": task.id, "kind": task.kind, "reason": task.reason}
            for task in row.tasks if tasks.is_open(task)
        ],
        "legal_deadlines": [
            {"kind": deadline.kind, "started": deadline.started.isoformat(),
             "due": deadline.due.isoformat(),
             "done": deadline.done.isoformat() if deadline.done else None}
            for deadline in legal.deadlines(row)
        ],
        "ruleset_version": row.ruleset_version,
        "created_at": row.created_at.isoformat() + "Z",
    }


def _route_target(row: SupportRequest, domain: str) -> dict[str, Any]:
    """Whoever got the domain's referral; the owning team handles a route without one."""
    for referral in row.referrals:
        if referral.domain == domain:
            return referral_target_json(referral)
    return target_json(row.owner_team)


@bp.get("/requests/<reference>")
def get_request(reference: str) -> Any:
    if g.api_token.partner_id is not None:  # partners see referrals, not requests
        return _error(403, "forbidden", "A partner's token cannot read requests.")
    row = db.session.scalar(
        select(SupportRequest).where(
            SupportRequest.reference == reference, SupportRequest.tenant_id == g.tenant.id
        )
    )
    if row is None:
        return _error(404, "not_found", "No request with this reference.")
    return request_json(row)


@bp.get("/openapi.json")
def openapi() -> Any:
    return openapi_document()


# The partner routes and the open data (public statistics) routes, on bp.
from app.api import partner_api, public_statistics  # noqa: E402,F401
