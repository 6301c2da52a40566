"""Who may see what: every route × every role, and other teams' and partners' ids."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import (
    AuditEvent,
    CapturedMail,
    Notification,
    OutboxMessage,
    Referral,
    SavedFilter,
    SupportRequest,
    Team,
    User,
)
from app.services import accounts, progression, replies
from app.services.legal import local_today
from tests import factories
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
    "beleid": "beleid@demo.wijkloket.example",
}


@pytest.fixture
def world(client, demo):
    """A request owned by Wijkteam Noord with a referral to Schuldhulp."""
    submit_form(client, "/demo/hulpvraag", form_data(life_areas=["geld"]))
    client.delete_cookie("session")
    request = db.session.scalar(select(SupportRequest))
    referral = db.session.scalar(select(Referral))
    task = factories.task(request)
    db.session.commit()
    colleague = db.session.scalar(select(User.id).where(
        User.email == "noord@demo.wijkloket.example"))
    other_team = db.session.scalar(select(Team.id).where(Team.key == "zuid"))
    # An account the administrator works on, and another one with an open password link.
    account = db.session.scalar(select(User).where(User.email == "centraal@demo.wijkloket.example"))
    invited = db.session.scalar(select(User).where(User.email == "jeugd@demo.wijkloket.example"))
    accounts.send_link(invited, actor_label="test")
    link_id = db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "user.invited"))
    dead = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).first()
    dead.state = "dead"
    mail = CapturedMail(tenant_id=request.tenant_id, message_id="<m@test>", sender="a@b.example",
                        recipient="c@d.example", subject="Test", body="Test")
    db.session.add(mail)
    db.session.commit()
    # A saved filter and a notification of Noor's (staff_noord), a standard text of the tenant.
    noor = db.session.scalar(select(User).where(User.email == ROLES["staff_noord"]))
    saved = SavedFilter(tenant_id=noor.tenant_id, user_id=noor.id, name="Crisis",
                        params={"priority": ["crisis"]})
    notice = Notification(tenant_id=noor.tenant_id, user_id=noor.id, request_id=request.id,
                          kind="new_urgent", params={"reference": request.reference})
    db.session.add_all([saved, notice])
    db.session.commit()
    reply = replies.for_tenant(request.tenant_id)[0].id  # the tenant's default texts
    # A day-activities referral to Schuldhulp too, and a step on the path to work each side.
    day = factories.referral(request, "dagbesteding", referral.target_partner, state="accepted")
    schuldhulp = db.session.scalar(select(User).where(User.email == ROLES["partner_schuldhulp"]))
    staff_step = progression.record_step(noor, request, "dagbesteding", local_today()).id
    partner_step = progression.record_step(schuldhulp, request, "vrijwilligerswerk",
                                           local_today(), referral=day).id
    return {"ref": request.reference, "referral": referral.id, "task": task.id,
            "colleague": colleague, "other_team": other_team, "account": account.id,
            "link": accounts.make_link_token(invited, link_id), "dead": dead.id, "mail": mail.id,
            "filter": saved.id, "notification": notice.id, "reply": reply,
            "day": day.id, "staff_step": staff_step, "partner_step": partner_step,
            "figures_table": "requests", "partner_id": _partner_id("schuldhulp"),
            "punctuality_table": "teams", "path_table": "people",
            "contract": _contract_id("schuldhulp-2024"), "service": "schuldhulp-2024"}


def _contract_id(key: str) -> int:
    from app.models import Contract

    found = db.session.scalar(select(Contract.id).where(Contract.key == key))
    assert found is not None
    return found


def _partner_id(key: str) -> int:
    from app.models import Partner

    found = db.session.scalar(select(Partner.id).where(Partner.key == key))
    assert found is not None
    return found


EVERYONE = set(ROLES)
LOGGED_IN = EVERYONE - {"anonymous"}
STAFF = {"staff_noord", "lead_noord", "staff_zuid"}
#: The municipality's workspace of figures: policy advisors, team leads and administrators.
FIGURES = {"beleid", "lead_noord", "admin"}
#: Who makes and changes the municipality's contracts with partners.
CONTRACTS = {"beleid", "admin"}
#: An allowed role may still be refused on the content (a transition that is not possible in
#: the referral's state, a form with errors): never by a denial or a login page.
ALLOWED_ANSWERS = {200, 302, 303, 409, 422}

# (method, url template, roles allowed; everyone else is denied)
MATRIX = [
    # The password link is public: it is the way in for someone who cannot log in yet. The
    # form answers 200 with its messages (no password in the data), so nothing changes.
    ("GET", "/set-password/{link}", EVERYONE),
    ("GET", "/set-password", EVERYONE),
    ("POST", "/set-password", EVERYONE),
    ("GET", "/staff/", {"staff_noord", "lead_noord", "staff_zuid"}),
    ("GET", "/staff/requests/{ref}", {"staff_noord", "lead_noord"}),
    ("POST", "/staff/requests/{ref}/pick-up", {"staff_noord", "lead_noord"}),
    ("POST", "/staff/requests/{ref}/notes", {"staff_noord", "lead_noord"}),
    ("POST", "/staff/requests/{ref}/contacts", {"staff_noord", "lead_noord"}),
    ("POST", "/staff/requests/{ref}/wmo", {"staff_noord", "lead_noord"}),
    ("POST", "/staff/requests/{ref}/assign", {"staff_noord", "lead_noord"}),
    ("POST", "/staff/requests/{ref}/bsn", {"staff_noord", "lead_noord"}),
    ("POST", "/staff/requests/{ref}/bsn/reveal", {"staff_noord", "lead_noord"}),
    ("POST", "/staff/requests/{ref}/contact-unsafe", {"staff_noord", "lead_noord"}),
    ("POST", "/staff/requests/{ref}/contact-safe", {"staff_noord", "lead_noord"}),
    ("POST", "/staff/requests/{ref}/rights", {"staff_noord", "lead_noord"}),
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
    ("GET", "/partner/services", {"partner_schuldhulp", "partner_welzijn"}),
    # A service (contract) is its own partner's: another partner's key answers 404.
    ("POST", "/partner/services/{service}", {"partner_schuldhulp"}),
    ("GET", "/partner/referrals/{referral}", {"partner_schuldhulp"}),
    ("POST", "/partner/referrals/{referral}/accept", {"partner_schuldhulp"}),
    ("GET", "/admin/", {"admin"}),
    ("GET", "/admin/outbox", {"admin"}),
    ("GET", "/admin/mailbox", {"admin"}),
    ("GET", "/admin/mailbox/{mail}", {"admin"}),
    ("POST", "/admin/outbox/{dead}/retry", {"admin"}),
    ("GET", "/admin/users", {"admin"}),
    ("GET", "/admin/users/new", {"admin"}),
    ("POST", "/admin/users/new", {"admin"}),
    ("GET", "/admin/users/{account}", {"admin"}),
    ("POST", "/admin/users/{account}", {"admin"}),
    ("POST", "/admin/users/{account}/unlock", {"admin"}),
    ("POST", "/admin/users/{account}/reset-mfa", {"admin"}),
    ("POST", "/admin/users/{account}/send-link", {"admin"}),
    ("POST", "/admin/users/{account}/deactivate", {"admin"}),
    ("POST", "/admin/users/{account}/reactivate", {"admin"}),
    # The municipality's workspace: figures only.
    ("GET", "/beleid/", FIGURES),
    ("GET", "/beleid/downloads/{figures_table}.csv", FIGURES),
    ("GET", "/beleid/downloads/{figures_table}.ods", FIGURES),
    ("GET", "/beleid/punctuality", FIGURES),
    ("GET", "/beleid/punctuality/downloads/{punctuality_table}.csv", FIGURES),
    ("GET", "/beleid/punctuality/downloads/{punctuality_table}.ods", FIGURES),
    ("GET", "/beleid/punctuality/late", {"lead_noord", "admin"}),
    ("GET", "/beleid/outcomes", FIGURES),
    ("GET", "/beleid/outcomes/{partner_id}/statement", FIGURES),
    ("GET", "/beleid/region", FIGURES),
    ("GET", "/beleid/outcomes/{partner_id}/statement.csv", FIGURES),
    ("GET", "/beleid/outcomes/{partner_id}/statement.ods", FIGURES),
    ("GET", "/beleid/progression", FIGURES),
    ("GET", "/beleid/progression/downloads/{path_table}.csv", FIGURES),
    ("GET", "/beleid/progression/downloads/{path_table}.ods", FIGURES),
    # Contracts: the workspace reads them; policy advisors and administrators change them.
    ("GET", "/beleid/contracts", FIGURES),
    ("GET", "/beleid/contracts/new", CONTRACTS),
    ("POST", "/beleid/contracts/new", CONTRACTS),
    ("GET", "/beleid/contracts/{contract}", CONTRACTS),
    ("POST", "/beleid/contracts/{contract}", CONTRACTS),
    # A contract that ends: team leads too transfer its open referrals (counts only).
    ("GET", "/beleid/contracts/transfer", FIGURES),
    ("POST", "/beleid/contracts/transfer", FIGURES),
    # Everyone with an account has their own account pages.
    ("GET", "/account", LOGGED_IN),
    ("GET", "/account/password", LOGGED_IN),
    ("POST", "/account/password", LOGGED_IN),  # no valid data: the form answers with errors
    ("GET", "/account/recovery-codes", LOGGED_IN),
    ("POST", "/account/recovery-codes", LOGGED_IN),
    # The team's workspace.
    ("GET", "/staff/dashboard", {"lead_noord"}),
    ("GET", "/staff/export.csv", {"lead_noord"}),
    ("POST", "/staff/filters", STAFF),
    ("POST", "/staff/filters/{filter}/delete", {"staff_noord"}),  # the owner only
    ("GET", "/staff/notifications/{notification}", {"staff_noord"}),  # the addressee only
    ("POST", "/staff/notifications/read", STAFF),
    ("POST", "/staff/notifications/digest", STAFF),
    ("POST", "/staff/replies", {"lead_noord"}),
    ("GET", "/staff/replies/{reply}", {"lead_noord"}),
    ("POST", "/staff/replies/{reply}", {"lead_noord"}),
    ("POST", "/staff/requests/new", STAFF),
    ("POST", "/staff/requests/{ref}/ask", {"staff_noord", "lead_noord"}),
    ("POST", "/staff/requests/{ref}/life-areas", {"staff_noord", "lead_noord"}),
    ("POST", "/staff/requests/{ref}/referrals", {"staff_noord", "lead_noord"}),
    ("POST", "/staff/requests/{ref}/handover/refuse", set()),  # asked of Zuid only later
    # A referral to a partner: the receiving side's actions belong to the partner, not to
    # any team; the owning team sends (after consent) and withdraws.
    ("POST", "/staff/referrals/{referral}/accept", set()),
    ("POST", "/staff/referrals/{referral}/start", set()),
    ("POST", "/staff/referrals/{referral}/decline", set()),
    ("POST", "/staff/referrals/{referral}/give-back", set()),
    ("POST", "/staff/referrals/{referral}/complete", set()),
    ("POST", "/staff/referrals/{referral}/send", {"staff_noord", "lead_noord"}),
    ("POST", "/partner/referrals/{referral}/start", {"partner_schuldhulp"}),
    ("POST", "/partner/referrals/{referral}/complete", {"partner_schuldhulp"}),
    ("POST", "/partner/referrals/{referral}/decline", {"partner_schuldhulp"}),
    ("POST", "/partner/referrals/{referral}/give-back", {"partner_schuldhulp"}),
    # The old partner's handover note (here not handed over: refused on the content).
    ("POST", "/partner/referrals/{referral}/handover-note", {"partner_schuldhulp"}),
    # The path to work: the owning team on the request, the receiver on a day-activities
    # referral (Schuldhulp's debt referral has none); a step is removed by its recorder only.
    ("POST", "/staff/requests/{ref}/progression", {"staff_noord", "lead_noord"}),
    ("POST", "/staff/requests/{ref}/progression/{staff_step}/delete", {"staff_noord"}),
    ("POST", "/partner/referrals/{day}/progression", {"partner_schuldhulp"}),
    ("POST", "/partner/referrals/{referral}/progression", set()),
    ("POST", "/partner/referrals/{day}/progression/{partner_step}/delete",
     {"partner_schuldhulp"}),
    ("POST", "/staff/referrals/{day}/progression", set()),  # sent to a partner, not to a team
    ("POST", "/staff/referrals/{day}/progression/{partner_step}/delete", set()),
    # Last, as they end things for the routes above.
    ("POST", "/staff/referrals/{referral}/withdraw", {"staff_noord", "lead_noord"}),
    ("POST", "/staff/requests/{ref}/merge", {"staff_noord", "lead_noord"}),
    ("POST", "/staff/requests/{ref}/close", {"staff_noord", "lead_noord"}),
]

#: Routes outside the matrix, and why: the resident's pages and the way in are for everyone
#: (their own tests cover them); the API takes bearer tokens, not a login (tests/integration/
#: test_api.py and test_partner_api.py walk its tokens and other partners' ids).
OUTSIDE_THE_MATRIX = ("resident.", "theme.", "api.", "static", "auth.login", "auth.logout",
                      "auth.second_factor", "auth.enrol")


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
                    "handover-reason": "Verhuisd", "refuse-reason": "Geen plek",
                    "name": "Nieuwe Collega",
                    "email": "nieuw@demo.wijkloket.example", "role": "team_lead",
                    "team": world["other_team"], "progression-step": "betaald_werk",
                    "progression-happened_on": local_today().isoformat()}
        response = client.open(url, method=method, data=data)
        if role in allowed:
            assert response.status_code in ALLOWED_ANSWERS, (role, url, response.status_code)
            if response.status_code in {302, 303}:
                assert "/login" not in response.headers["Location"], (role, url)
        elif role == "anonymous":
            assert response.status_code == 302 and "/login" in response.headers["Location"]
        else:
            assert response.status_code in {403, 404}, (role, url, response.status_code)


def _pattern(path: str) -> str:
    return re.sub(r"<[^>]+>|\{[^}]+\}", "*", path)


def test_every_route_is_in_the_matrix(app):
    """A new page cannot be added without saying who may use it."""
    in_matrix = {(method, _pattern(template)) for method, template, _allowed in MATRIX}
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith(OUTSIDE_THE_MATRIX):
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            assert (method, _pattern(rule.rule)) in in_matrix, (method, rule.rule)


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
    team = factories.team(factories.tenant("elders", name="Elders"), name="Team Elders")
    factories.support_request(team, reference="WL-2026-999999", description="Elders")
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
