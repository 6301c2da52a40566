"""Regions: a regional partner receives the referrals of every member municipality of its
region, each under the referring municipality's name, and nothing else of another
municipality: not a referral to another partner, not a municipality outside the region, not
when it is not regional. Each municipality's data stays in its own tenant."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, Partner, Referral, Tenant, User
from app.services import regions
from app.services.errors import NotFound
from app.services.referrals import referral_for
from app.services.tenants import TENANT_DIR, TenantConfigError, load_tenant_file
from tests import factories
from tests.conftest import logged_in, post_from

PARTNER_LOGIN = "schuldhulp@demo.wijkloket.example"


@pytest.fixture
def region(demo):
    """Demodorp and Buurdorp in one region; Schuldhulp works for both. Verweg, outside the
    region, has an organisation with the same key."""
    shared = regions.upsert_region("regio-demo", "Regio Demo")
    demo.region_id = shared.id
    buurdorp = factories.tenant("buurdorp", name="Buurdorp", gemeentecode="GM9997",
                                region_id=shared.id)
    verweg = factories.tenant("verweg", name="Verweg", gemeentecode="GM9996")
    home = _partner(demo, "schuldhulp")
    home.regional = True
    rows = {"demo": home,
            "buurdorp": factories.partner(buurdorp, "schuldhulp", name="Schuldhulp Demodorp",
                                          regional=True),
            "buurdorp_other": factories.partner(buurdorp, "welzijn", name="Welzijn Buurdorp"),
            "verweg": factories.partner(verweg, "schuldhulp", name="Schuldhulp Verweg",
                                        regional=True)}
    made = {}
    for name, tenant in (("buurdorp", buurdorp), ("buurdorp_other", buurdorp),
                         ("verweg", verweg)):
        request = factories.support_request(factories.team(tenant), domains=("schulden",))
        made[name] = factories.referral(request, "schulden", rows[name])
    hidden = factories.referral(made["buurdorp"].request, "schulden", rows["buurdorp"],
                                state="proposed")  # not shared before consent
    db.session.commit()
    return {"rows": rows, "referrals": made, "proposed": hidden, "buurdorp": buurdorp,
            "verweg": verweg}


def _partner(tenant: Tenant, key: str) -> Partner:
    return db.session.scalar(select(Partner).where(Partner.tenant_id == tenant.id,
                                                   Partner.key == key))


def _user() -> User:
    return db.session.scalar(select(User).where(User.email == PARTNER_LOGIN))


def test_a_regional_partner_acts_for_its_rows_in_every_member_municipality(region):
    ids = regions.partner_ids(_user())
    assert ids == {region["rows"]["demo"].id, region["rows"]["buurdorp"].id}
    assert regions.municipality_names(_user()) == {
        region["rows"]["demo"].tenant_id: "Demodorp", region["buurdorp"].id: "Buurdorp"}


def test_the_portal_lists_the_members_referrals_under_their_municipality(app, region):
    client = logged_in(app, PARTNER_LOGIN)
    html = client.get("/partner/").get_data(as_text=True)
    mine = region["referrals"]["buurdorp"]
    assert mine.request.reference in html and "Buurdorp" in html
    for other in (region["referrals"]["buurdorp_other"], region["referrals"]["verweg"]):
        assert other.request.reference not in html
    page = client.get(f"/partner/referrals/{mine.id}")
    assert page.status_code == 200 and "Buurdorp" in page.get_data(as_text=True)


def test_a_member_municipalitys_referral_is_accepted_and_logged_in_that_tenant(app, region):
    client = logged_in(app, PARTNER_LOGIN)
    mine = region["referrals"]["buurdorp"]
    url = f"/partner/referrals/{mine.id}"
    assert post_from(client, url, f"{url}/accept").status_code == 302
    db.session.refresh(mine)
    assert mine.state == "accepted"
    events = db.session.scalars(select(AuditEvent).where(
        AuditEvent.object_type == "referral", AuditEvent.object_id == mine.id)).all()
    assert {event.action for event in events} >= {"referral.viewed", "referral.accepted"}
    assert {event.tenant_id for event in events} == {region["buurdorp"].id}


def test_nothing_else_of_another_municipality_is_reachable(app, region):
    client = logged_in(app, PARTNER_LOGIN)
    for other in (region["referrals"]["buurdorp_other"], region["referrals"]["verweg"],
                  region["proposed"]):
        assert client.get(f"/partner/referrals/{other.id}").status_code == 404
        with pytest.raises(NotFound):
            referral_for(_user(), other.id)
    reference = region["referrals"]["buurdorp"].request.reference
    assert client.get(f"/staff/requests/{reference}").status_code in {403, 404}


def test_a_partner_that_is_not_regional_sees_only_its_own_municipality(app, region):
    region["rows"]["demo"].regional = False
    db.session.commit()
    assert regions.partner_ids(_user()) == {region["rows"]["demo"].id}
    client = logged_in(app, PARTNER_LOGIN)
    mine = region["referrals"]["buurdorp"]
    assert mine.request.reference not in client.get("/partner/").get_data(as_text=True)
    assert client.get(f"/partner/referrals/{mine.id}").status_code == 404


def test_leaving_the_region_ends_the_access(app, region):
    region["buurdorp"].region_id = None
    db.session.commit()
    with pytest.raises(NotFound):
        referral_for(_user(), region["referrals"]["buurdorp"].id)


def test_the_api_token_of_a_regional_partner_sees_the_same(client, region, demo):
    token = factories.api_token(demo, partner=region["rows"]["demo"], name="api-regio")
    db.session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    listed = client.get("/api/v1/referrals", headers=headers).get_json()["referrals"]
    assert [row["id"] for row in listed] == [region["referrals"]["buurdorp"].id]
    for other in (region["referrals"]["buurdorp_other"], region["referrals"]["verweg"]):
        assert client.get(f"/api/v1/referrals/{other.id}", headers=headers).status_code == 404
    accepted = client.post(f"/api/v1/referrals/{region['referrals']['buurdorp'].id}/accept",
                           headers=headers)
    assert accepted.status_code == 200 and accepted.get_json()["state"] == "accepted"
    db.session.expire_all()
    assert db.session.get(Referral, region["referrals"]["buurdorp"].id).state == "accepted"


# --- The tenant file -------------------------------------------------------------------------

def _tenant_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "demo.yaml"
    (tmp_path / "logos").symlink_to(TENANT_DIR / "logos")
    path.write_text(text, encoding="utf-8")
    return path


def test_the_tenant_file_names_the_region_and_its_regional_partners(demo, tmp_path):
    text = (TENANT_DIR / "demo.yaml").read_text(encoding="utf-8")
    text = text.replace("  - {key: schuldhulp, name: Schuldhulp Demodorp,",
                        "  - {key: schuldhulp, regional: true, name: Schuldhulp Demodorp,")
    assert "regional: true" in text
    with pytest.raises(TenantConfigError, match="region"):
        load_tenant_file(_tenant_file(tmp_path, text))
    assert _partner(demo, "schuldhulp").regional is False  # nothing changed
    (tmp_path / "demo.yaml").unlink()
    (tmp_path / "logos").unlink()
    loaded = load_tenant_file(_tenant_file(
        tmp_path, text + "region: {key: regio-demo, name: Regio Demo}\n")).tenant
    assert loaded.region_id is not None
    assert _partner(demo, "schuldhulp").regional is True
    assert [tenant.slug for tenant in regions.members(loaded.region_id)] == ["demo"]
    (tmp_path / "demo.yaml").unlink()
    (tmp_path / "logos").unlink()
    with pytest.raises(TenantConfigError, match="'region' needs"):
        load_tenant_file(_tenant_file(tmp_path, text + "region: {key: regio-demo}\n"))
