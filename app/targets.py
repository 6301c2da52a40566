"""How a referral's or a route's target is written in JSON: one shape in every answer.

The request API (routes and referrals), the partner API and ``flask geo locate --json``
describe the team or partner organisation a request goes to as a ``ReferralTarget``
(app/api/openapi.py): its kind, id, key and name. The key is the one the tenant file and
``flask token create --partner KEY`` use.
"""

from __future__ import annotations

from typing import Any

from app.models import Partner, Referral, Team

#: What a target can be.
TARGET_KINDS = ("team", "partner")


def target_json(target: Team | Partner) -> dict[str, Any]:
    """``{"kind", "id", "key", "name"}`` of a team or a partner organisation."""
    return {
        "kind": "partner" if isinstance(target, Partner) else "team",
        "id": target.id,
        "key": target.key,
        "name": target.name,
    }


def referral_target_json(referral: Referral) -> dict[str, Any]:
    """The team or partner ``referral`` went to (services.referrals always sets one)."""
    target = referral.target
    if target is None:
        raise LookupError(f"Referral {referral.id} has no target.")
    return target_json(target)
