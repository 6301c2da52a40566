"""Who may see what: every route × every role, and other teams' and partners' ids."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Referral, SupportRequest, Task, Team, User
from app.services.legal import local_today
from tests.conftest import login
from tests.integration.helpers import form_data, submit_form

ROLES = {
    "anonymous": None,
    "staff_noord": "noord@demo.wijkloket.example",
    "lead_noord": "lead-noord@demo.wijkloket.example",
    "staff_zuid": "zuid@demo.wijkloket.example",
    "partner_schuldhulp": "schuldhulp@demo.wijkloket.example",
    "partner_welzijn": "welzijn@demo.wijkloket.example",
    "admin": "admin@demo.wijkloket.example",
}


@pytest.fixture
def world(client, demo):
    """A request owned by Wijkteam Noord with a referral to Schuldhulp."""
    submit_form(client, "/demo/hulpvraag", form_data(life_areas=["geld"]))
    client.delete_cookie("session")
    request = db.session.scalar(select(SupportRequest))
    referral = db.session.scalar(select(Referral))
    task = Task(tenant_id=request.tenant_id, request_id=request.id,
                team_id=request.owner_team_id, kind="crisis", reason="test")
    db.session.add(task)
    db.session.commit()
    colleague = db.session.scalar(select(User.id).where(
        User.email == "noord@demo.wijkloket.example"))
    other_team = db.session.scalar(select(Team.id).where(Team.key == "zuid"))
    return {"ref": request.reference, "referral": referral.id, "task": task.id,
            "colleague": colleague, "other_team": other_team}


# (method, url template, roles allowed; everyone else is denied)
MATRIX = [
    ("GET", "/staff/", {"staff_noord", "lead_noord", "staff_zuid"}),
    ("GET", "/staff/requests/{ref}", {"staff_noord", "lead_noord"}),
    ("POST", "/staff/requests/{ref}/pick-up", {"staff_noord", "lead_noord"}),
    ("POST", "/staff/requests/{ref}/notes", {"staff_noord", "lead_noord"}),
    ("POST", "/staff/requests/{ref}/contacts", {"staff_noord", "lead_noord"}),
    ("POST", "/staff/requests/{ref}/wmo", {"staff_noord", "lead_noord"}),
    ("POST", "/staff/requests/{ref}/assign", {"staff_noord", "lead_noord"}),
    ("POST", "/staff/requests/{ref}/bsn", {"staff_noord", "lead_noord"}),
    ("POST", "/staff/requests/{ref}/bsn/reveal", {"staff_noord", "lead_noord"}),
    ("POST", "/staff/requests/{ref}/handover", {"staff_noord", "lead_noord"}),
    ("POST", "/staff/requests/{ref}/handover/cancel", {"staff_noord", "lead_noord"}),
    ("GET", "/staff/notifications", {"staff_noord", "lead_noord", "staff_zuid"}),
    ("GET", "/staff/access-log", {"lead_noord"}),
    ("GET", "/staff/replies", {"lead_noord"}),
    ("POST", "/staff/requests/{ref}/handover/accept", set()),  # asked of Zuid only later
    ("GET", "/admin/access-log", {"admin"}),
    ("POST", "/staff/tasks/{task}/done", {"staff_noord", "lead_noord"}),
    ("GET", "/staff/requests/new", {"staff_noord", "lead_noord", "staff_zuid"}),
    ("GET", "/staff/map", {"staff_noord", "lead_noord", "staff_zuid"}),
    ("GET", "/staff/map.json", {"staff_noord", "lead_noord", "staff_zuid"}),
    ("GET", "/staff/cracks", {"lead_noord"}),
    ("GET", "/staff/referrals/{referral}", set()),  # sent to a partner, not to a team
    ("GET", "/partner/", {"partner_schuldhulp", "partner_welzijn"}),
    ("GET", "/partner/referrals/{referral}", {"partner_schuldhulp"}),
    ("POST", "/partner/referrals/{referral}/accept", {"partner_schuldhulp"}),
    ("GET", "/admin/", {"admin"}),
    ("GET", "/admin/outbox", {"admin"}),
    ("GET", "/admin/mailbox", {"admin"}),
]


@pytest.mark.parametrize("role", list(ROLES))
def test_every_route_allows_exactly_the_roles_in_the_matrix(app, world, role):
    app.config["WTF_CSRF_ENABLED"] = False
    client = app.test_client()  # one login per role; each route is asked with it
    if ROLES[role]:
        login(client, ROLES[role])
    for method, template, allowed in MATRIX:
        url = template.format(**world)
        # Valid answers for every form; the version keeps the optimistic lock satisfied.
        data = None
        if method == "POST":
            db.session.expire_all()
            data = {"version": db.session.scalar(select(SupportRequest.version)),
                    "note-body": "Note", "contact-kind": "called", "step": "investigation_done",
                    "day": local_today().isoformat(), "assign-colleague": world["colleague"],
                    "bsn": "111222333", "handover-team": world["other_team"],
                    "handover-reason": "Verhuisd"}
        response = client.open(url, method=method, data=data)
        if role in allowed:
            assert response.status_code in {200, 302}, (role, url, response.status_code)
            if response.status_code == 302:
                assert "/login" not in response.headers["Location"], (role, url)
        elif role == "anonymous":
            assert response.status_code == 302 and "/login" in response.headers["Location"]
        else:
            assert response.status_code in {403, 404}, (role, url, response.status_code)


def test_a_partner_list_shows_only_its_own_referrals(app, world):
    client = app.test_client()
    login(client, ROLES["partner_welzijn"])
    assert world["ref"] not in client.get("/partner/").get_data(as_text=True)


def test_another_teams_queue_does_not_show_the_request(app, world):
    client = app.test_client()
    login(client, ROLES["staff_zuid"])
    assert world["ref"] not in client.get("/staff/").get_data(as_text=True)


def test_a_wrong_password_does_not_log_in(client, demo):
    from tests.conftest import csrf_token

    page = client.get("/login").get_data(as_text=True)
    response = client.post("/login", data={"email": ROLES["admin"], "password": "wrong",
                                           "csrf_token": csrf_token(page)})
    assert response.status_code == 200
    assert client.get("/admin/").status_code == 302


def test_another_municipality_s_request_is_not_found_by_anyone_here(app, world):
    """Ids and references of another tenant answer 404 for every role of this tenant."""
    from app.models import Team, Tenant

    other = Tenant(slug="elders", name="Elders", gemeentecode="GM9998", ruleset="demo")
    db.session.add(other)
    db.session.flush()
    team = Team(tenant_id=other.id, key="t", name="Team Elders", kind="wijkteam")
    db.session.add(team)
    db.session.flush()
    mine = db.session.scalar(select(SupportRequest))
    foreign = SupportRequest(
        tenant_id=other.id, reference="WL-2026-999999", status_salt="x", channel="web",
        language="nl", for_whom="zelf", life_areas=["geld"], description="Elders",
        urgency="normaal", priority="normaal", owner_team_id=team.id, decision={"routes": []},
        ruleset_version=mine.ruleset_version)
    db.session.add(foreign)
    db.session.commit()
    for role, email in ROLES.items():
        if email is None:
            continue
        client = app.test_client()
        login(client, email)
        for url in ("/staff/requests/WL-2026-999999", "/staff/access-log?reference=WL-2026-999999",
                    "/admin/access-log?reference=WL-2026-999999"):
            response = client.get(url)
            assert response.status_code in {403, 404} or "Elders" not in response.get_data(
                as_text=True), (role, url)
