"""The partner API: a partner's own system lists and acts on its referrals, nothing more."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.api import new_token
from app.extensions import db
from app.models import ApiToken, AuditEvent, Partner, Referral, Task
from tests.integration.helpers import api_body, form_data, submit_form


def _token(tenant_id: int, partner_key: str | None) -> str:
    partner_id = None
    if partner_key:
        partner_id = db.session.scalar(select(Partner.id).where(Partner.key == partner_key))
    raw, hashed = new_token()
    db.session.add(ApiToken(tenant_id=tenant_id, name=f"api-{partner_key}", token_hash=hashed,
                            partner_id=partner_id))
    db.session.commit()
    return raw


@pytest.fixture
def referral(client, demo):
    assert submit_form(client, "/demo/hulpvraag", form_data()).status_code == 302
    client.delete_cookie("session")
    return db.session.scalar(select(Referral))


def _call(client, token, method, path, json=None):
    return client.open(f"/api/v1{path}", method=method, json=json,
                       headers={"Authorization": f"Bearer {token}"})


def test_a_partner_lists_accepts_and_completes_its_referrals(app, client, demo, referral):
    token = _token(demo.id, "schuldhulp")
    listing = _call(client, token, "GET", "/referrals?state=sent").get_json()
    assert [r["id"] for r in listing["referrals"]] == [referral.id]
    assert listing["referrals"][0]["request"]["life_areas"] == ["geld"]
    assert _call(client, token, "POST", f"/referrals/{referral.id}/accept").get_json()[
        "state"] == "accepted"
    missing = _call(client, token, "POST", f"/referrals/{referral.id}/complete", json={})
    assert missing.status_code == 422
    done = _call(client, token, "POST", f"/referrals/{referral.id}/complete",
                 json={"outcome": "geholpen", "note": "Klaar."})
    assert done.status_code == 200
    assert done.get_json()["outcome"] == "geholpen"
    actor = db.session.scalar(select(AuditEvent.actor_label).where(
        AuditEvent.action == "referral.completed"))
    assert actor == "api-token:api-schuldhulp"
    again = _call(client, token, "POST", f"/referrals/{referral.id}/accept")
    assert again.status_code == 409
    assert again.get_json()["error"] == "conflict"


def test_decline_needs_a_reason_and_makes_a_task(app, client, demo, referral):
    token = _token(demo.id, "schuldhulp")
    assert _call(client, token, "POST", f"/referrals/{referral.id}/decline",
                 json={}).status_code == 422
    response = _call(client, token, "POST", f"/referrals/{referral.id}/decline",
                     json={"reason": "Wachtlijst."})
    assert response.status_code == 200
    assert db.session.scalar(select(Task.kind).where(Task.referral_id == referral.id)) == \
        "referral_declined"


def test_another_partner_and_a_tenant_token_see_nothing(app, client, demo, referral):
    other = _token(demo.id, "welzijn")
    assert _call(client, other, "GET", "/referrals").get_json()["referrals"] == []
    for action in ("accept", "decline", "return", "complete"):
        response = _call(client, other, "POST", f"/referrals/{referral.id}/{action}",
                         json={"reason": "x", "outcome": "geholpen"})
        assert response.status_code == 404, action
    assert _call(client, other, "GET", f"/referrals/{referral.id}").status_code == 404
    reference = referral.request.reference
    assert _call(client, other, "GET", f"/requests/{reference}").status_code == 403
    tenant_token = _token(demo.id, None)
    assert _call(client, tenant_token, "GET", "/referrals").status_code == 403
    detail = _call(client, tenant_token, "GET", f"/requests/{reference}").get_json()
    assert detail["referrals"][0]["state"] == "sent"
    assert "open_tasks" in detail


def test_token_create_for_a_partner(app, demo):
    result = app.test_cli_runner().invoke(args=["token", "create", "--tenant", "demo", "--name",
                                                "schuldhulp-crm", "--partner", "schuldhulp"])
    assert result.exit_code == 0, result.output
    stored = db.session.scalar(select(ApiToken).where(ApiToken.name == "schuldhulp-crm"))
    assert stored.partner_id is not None
    assert api_body()  # the shared helper stays importable for API tests
