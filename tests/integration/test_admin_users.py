"""Administrators manage their municipality's accounts: a new account gets an e-mail with a
one-time link to set a password, then sets up its second step; deactivate, reactivate, reset
the second step, unlock, a new link; every action in the audit log; nothing of another
municipality is found."""

from __future__ import annotations

import re
import time
from typing import Any
from unittest import mock

import pyotp
import pytest
from itsdangerous import TimestampSigner
from sqlalchemy import func, select

from app import security
from app.extensions import db
from app.i18n import force_locale
from app.models import AuditEvent, CapturedMail, OutboxMessage, Partner, Team, User
from app.services import accounts
from app.services.demo import DEMO_PASSWORD
from app.services.errors import Conflict
from app.worker import process_batch
from tests import factories
from tests.conftest import csrf_token, login
from tests.integration.helpers import check_page

ADMIN = "admin@demo.wijkloket.example"
STAFF = "noord@demo.wijkloket.example"
NEW = "nieuwe.collega@demo.wijkloket.example"
GOOD_PASSWORD = "Groene thee bij de buurtkamer 9"  # noqa: S105 - a test value
FAILED_LOGIN = "The e-mail address or password is not correct"
LINK = re.compile(r"http://wijkloket\.test(/set-password/\S+)")


# --- helpers ---------------------------------------------------------------------------------


def text(response: Any) -> str:
    return response.get_data(as_text=True)


def english(client: Any) -> Any:
    """Pages in English (the session keeps the language through logging in and out)."""
    assert client.get("/login?lang=en").status_code == 200
    return client


def as_admin(app: Any, email: str = ADMIN) -> Any:
    client = english(app.test_client())
    login(client, email)
    return client


def send(client: Any, url: str, page: str | None = None, **data: Any) -> Any:
    """Post ``data`` to ``url`` with the CSRF token of ``page`` (default: ``url``)."""
    html = client.get(page or url)
    assert html.status_code == 200, (page or url, html.status_code)
    return client.post(url, data={"csrf_token": csrf_token(text(html)), **data})


def account(email: str) -> User:
    db.session.expire_all()
    user = db.session.scalar(select(User).where(func.lower(User.email) == email.lower()))
    assert user is not None, email
    return user


def team_id(key: str) -> int:
    return db.session.scalar(select(Team.id).where(Team.key == key))


def partner_id(key: str) -> int:
    return db.session.scalar(select(Partner.id).where(Partner.key == key))


def create(admin: Any, **changes: Any) -> Any:
    data = {"name": "Nina Nieuw", "email": NEW, "role": "staff", "team": team_id("noord"),
            "partner": "", **changes}
    return send(admin, "/admin/users/new", **{k: v for k, v in data.items() if v is not None})


def detail_url(user: User) -> str:
    return f"/admin/users/{user.id}"


def act(admin: Any, user: User, action: str) -> Any:
    """Press a button on the account page."""
    return send(admin, f"{detail_url(user)}/{action}", page=detail_url(user))


def delivered_link(email: str) -> str:
    """Deliver the outbox, then the path of the newest password link mailed to ``email``."""
    process_batch()
    mail = db.session.scalars(select(CapturedMail).where(CapturedMail.recipient == email)
                              .order_by(CapturedMail.id.desc())).first()
    assert mail is not None, f"no mail to {email}"
    found = LINK.search(mail.body)
    assert found, mail.body
    return found.group(1)


def actions_about(user: User) -> list[tuple[str, int | None]]:
    rows = db.session.execute(
        select(AuditEvent.action, AuditEvent.actor_id).where(
            AuditEvent.object_type == "user", AuditEvent.object_id == user.id)
        .order_by(AuditEvent.id))
    return [(action, actor_id) for action, actor_id in rows]


def choose_password(client: Any, link: str, password: str = GOOD_PASSWORD,
                    repeat: str | None = None) -> Any:
    opened = client.get(link)
    assert opened.status_code == 302 and opened.headers["Location"] == "/set-password", \
        (opened.status_code, text(opened)[:300])
    return send(client, "/set-password", new_password=password,
                repeat_password=password if repeat is None else repeat)


def enrol(client: Any, email: str) -> Any:
    """The first-login set-up of the second step, with a code from the new secret."""
    page = client.get("/login/setup")
    assert page.status_code == 200
    user = account(email)
    step = max(int(time.time() // 30), (security.last_totp_step(user.id) or 0) + 1)
    with mock.patch.object(security, "totp_clock", return_value=step * 30 + 1):
        return client.post("/login/setup", data={
            "csrf_token": csrf_token(text(page)),
            "code": pyotp.TOTP(user.totp_secret).generate_otp(step)})


def logged_in_as(client: Any) -> str | None:
    with client.session_transaction() as session:
        return session.get("_user_id")


@pytest.fixture
def admin(app: Any, demo: Any) -> Any:
    return as_admin(app)


@pytest.fixture
def elsewhere(demo: Any) -> dict[str, Any]:
    """Another municipality with a team, an administrator and a staff member."""
    other = factories.tenant("elders", name="Elders")
    team = factories.team(other, "elders", name="Team Elders")
    people = {
        "admin": factories.user(other, role="admin", email="admin@elders.example",
                                name="Elders admin"),
        "staff": factories.user(other, role="staff", team=team, email="staff@elders.example",
                                name="Elders staff"),
    }
    db.session.commit()
    return {"tenant": other, "team": team, **people}


# --- a new account, from the invitation to the first login -----------------------------------


def test_a_new_account_gets_a_link_sets_a_password_and_sets_up_its_second_step(app, admin):
    response = create(admin)
    assert response.status_code == 302, text(response)[:800]
    user = account(NEW)
    assert response.headers["Location"] == detail_url(user)
    assert (user.name, user.role, user.team_id, user.partner_id) == (
        "Nina Nieuw", "staff", team_id("noord"), None)
    assert user.active and user.mfa_enabled_at is None and user.password_changed_at is None
    assert "is made" in text(admin.get(response.headers["Location"]))

    # Written to the outbox in the same transaction, in Dutch (the staff language) …
    invitation = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.event == "user.invited")).one()
    assert invitation.recipient == NEW and invitation.state == "pending"
    assert "Demodorp" in invitation.payload["subject"]
    # … and delivered by the worker to the mailbox the administrator reads.
    link = delivered_link(NEW)
    mailbox = text(admin.get("/admin/mailbox"))
    assert NEW in mailbox

    # Nobody can log in before the password is chosen: the account has no known password.
    person = english(app.test_client())
    refused = send(person, "/login", email=NEW, password=DEMO_PASSWORD)
    assert refused.status_code == 200 and FAILED_LOGIN in text(refused)

    # The link leads to a page without the token in its address or in the page.
    token = link.rsplit("/", 1)[1]
    opened = person.get(link)
    assert opened.status_code == 302 and opened.headers["Location"] == "/set-password"
    page = text(person.get("/set-password"))
    check_page(page)
    assert token not in page and NEW in page
    chosen = send(person, "/set-password", new_password=GOOD_PASSWORD,
                  repeat_password=GOOD_PASSWORD)
    # Straight on to setting up the second step, as after a first login.
    assert chosen.status_code == 302 and chosen.headers["Location"] == "/login/setup"
    assert logged_in_as(person) is None
    done = enrol(person, NEW)
    assert done.status_code == 200 and "recovery" in text(done).lower()
    assert logged_in_as(person) == str(user.id)
    assert person.get("/staff/").status_code == 200

    user = account(NEW)
    assert user.password_changed_at is not None and user.mfa_enabled_at is not None
    admin_id = account(ADMIN).id
    actions = [a for a in actions_about(user) if a[0] != "user.login_failed"]
    assert actions[:3] == [("user.created", admin_id), ("user.invited", admin_id),
                           ("user.password_set", user.id)]
    assert ("user.mfa_enabled", user.id) in actions_about(user)

    # The link worked once; the password works from now on.
    again = english(app.test_client()).get(link)
    assert again.status_code == 410 and "used already" in text(again)
    login(app.test_client(), NEW, GOOD_PASSWORD)


def test_the_account_pages_are_well_formed(admin, demo):
    assert create(admin).status_code == 302
    for url in ("/admin/users", "/admin/users/new", detail_url(account(NEW)),
                detail_url(account(STAFF)), "/admin/users?role=partner&status=active&q=w"):
        response = admin.get(url)
        assert response.status_code == 200, url
        check_page(text(response))


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": ""}, "name", "Enter the name."),
        ({"name": "x" * 201}, "name", "Use at most 200 characters."),
        ({"name": "Nina\r\nBcc: iemand@example.org"}, "name", "Use letters, spaces"),
        ({"email": ""}, "email", "Enter the e-mail address."),
        ({"email": "geen-adres"}, "email", "Enter an e-mail address like name@example.nl."),
        ({"email": STAFF.upper()}, "email", "There is already an account with this e-mail"),
        ({"role": None}, "role", "Choose a role."),
        ({"role": "superuser"}, "role", "Choose a role."),
        ({"team": ""}, "team", "Choose the team of this staff member or team lead."),
        ({"team": "abc"}, "team", "Choose the team of this staff member or team lead."),
        ({"role": "partner", "team": ""}, "partner", "Choose the partner organisation"),
    ],
)
def test_a_new_account_with_a_wrong_value_is_refused_with_a_message(admin, changes, field,
                                                                     message):
    before = db.session.scalar(select(func.count(User.id)))
    response = create(admin, **changes)
    assert response.status_code == 422
    page = text(response)
    assert message in page
    assert f'href="#{field}' in page  # the error summary leads to the field
    db.session.expire_all()
    assert db.session.scalar(select(func.count(User.id))) == before
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0


def test_a_partner_account_gets_its_organisation_and_no_team(admin):
    response = create(admin, role="partner", team=team_id("noord"),
                      partner=partner_id("schuldhulp"))
    assert response.status_code == 302
    user = account(NEW)
    assert (user.role, user.team_id, user.partner_id) == ("partner", None,
                                                          partner_id("schuldhulp"))


def test_html_in_the_name_is_shown_as_text_everywhere(admin):
    name = '<script>alert("x")</script><b>Bob</b>'
    assert create(admin, name=name).status_code == 302
    user = account(NEW)
    assert user.name == name  # stored as typed
    for url in ("/admin/users", detail_url(user), "/admin/mailbox"):
        page = text(admin.get(url))
        assert "<script>alert" not in page and "<b>Bob" not in page, url
    assert "&lt;script&gt;alert" in text(admin.get(detail_url(user)))
    process_batch()
    mail = db.session.scalar(select(CapturedMail).where(CapturedMail.recipient == NEW))
    assert name in mail.body  # a plain-text mail shows the characters as they are
    assert "&lt;" not in mail.body
    page = text(admin.get(f"/admin/mailbox/{mail.id}"))
    assert "<script>alert" not in page and "&lt;script&gt;" in page


# --- the link: tampered, expired, used, replaced ---------------------------------------------


def test_a_tampered_link_does_not_work(app, admin):
    create(admin)
    link = delivered_link(NEW)
    client = english(app.test_client())
    payload, timestamp, signature = link.rsplit("/", 1)[1].split(".")
    flipped = signature[:-2] + ("AA" if signature[-2:] != "AA" else "BB")
    for bad in (f"/set-password/{payload}.{timestamp}.{flipped}",
                f"/set-password/{payload}x.{timestamp}.{signature}",
                "/set-password/not-a-token", link[:-5]):
        response = client.get(bad)
        assert response.status_code == 404, bad
        assert "This link does not work" in text(response)
    # Signed with another key: a different application's token, or a forged one.
    other = TimestampSigner("another-secret", salt="wijkloket.set-password").sign(payload)
    assert client.get(f"/set-password/{other.decode()}").status_code == 404
    # Without a link opened first, the form cannot be used either.
    assert client.get("/set-password").status_code == 404
    page = text(client.get("/login"))
    assert client.post("/set-password", data={"csrf_token": csrf_token(page),
                                              "new_password": GOOD_PASSWORD,
                                              "repeat_password": GOOD_PASSWORD}
                       ).status_code == 404
    assert account(NEW).password_changed_at is None


def test_an_expired_link_says_so(app, admin):
    create(admin)
    user = account(NEW)
    process_batch()
    made = int(time.time()) - 73 * 3600
    with mock.patch.object(TimestampSigner, "get_timestamp", return_value=made):
        accounts.send_link(user, actor=account(ADMIN))
    link = delivered_link(NEW)
    response = english(app.test_client()).get(link)
    assert response.status_code == 410
    assert "This link has expired: it works for 72 hours." in text(response)
    check_page(text(response))


def test_an_open_page_stops_working_when_the_link_expires_meanwhile(app, admin):
    create(admin)
    client = english(app.test_client())
    assert client.get(delivered_link(NEW)).status_code == 302
    later = int(time.time()) + 73 * 3600
    with mock.patch.object(TimestampSigner, "get_timestamp", return_value=later):
        response = send(client, "/set-password", page="/login", new_password=GOOD_PASSWORD,
                        repeat_password=GOOD_PASSWORD)
    assert response.status_code == 410
    assert account(NEW).password_changed_at is None


def test_a_new_link_replaces_the_older_one(app, admin):
    create(admin)
    first = delivered_link(NEW)
    assert act(admin, account(NEW), "send-link").status_code == 302
    second = delivered_link(NEW)
    assert first != second
    client = english(app.test_client())
    old = client.get(first)
    assert old.status_code == 410 and "a newer link was sent" in text(old)
    assert choose_password(client, second).status_code == 302


def test_a_password_set_another_way_ends_the_link(app, admin):
    create(admin)
    link = delivered_link(NEW)
    result = app.test_cli_runner().invoke(args=["user", "set-password", NEW,
                                                "--password", GOOD_PASSWORD])
    assert result.exit_code == 0, result.output
    assert english(app.test_client()).get(link).status_code == 410


def test_the_link_of_a_deactivated_account_does_not_work(app, admin):
    create(admin)
    link = delivered_link(NEW)
    assert act(admin, account(NEW), "deactivate").status_code == 302
    assert english(app.test_client()).get(link).status_code == 404


@pytest.mark.parametrize(
    ("password", "repeat", "message"),
    [
        ("te-kort", None, "Use at least 12 characters."),
        ("Wachtwoord2024!", None, "This password is too common or too easy to guess."),
        (NEW, None, "Do not use your e-mail address in your password."),
        (GOOD_PASSWORD, GOOD_PASSWORD + "!", "The two new passwords are not the same."),
        ("", None, "Enter a new password."),
    ],
)
def test_the_password_policy_applies_to_the_link(app, admin, password, repeat, message):
    create(admin)
    client = english(app.test_client())
    response = choose_password(client, delivered_link(NEW), password, repeat)
    assert response.status_code == 200
    assert message in text(response)
    assert account(NEW).password_changed_at is None
    # The link still works after a refused try.
    assert send(client, "/set-password", new_password=GOOD_PASSWORD,
                repeat_password=GOOD_PASSWORD).status_code == 302


def test_an_account_with_a_password_keeps_it_until_the_new_link_is_used(app, admin):
    staff = account(STAFF)
    assert act(admin, staff, "send-link").status_code == 302
    process_batch()
    mail = db.session.scalars(select(CapturedMail).where(CapturedMail.recipient == STAFF)).one()
    assert "current password keeps working" in mail.body or "huidige wachtwoord" in mail.body
    link = LINK.search(mail.body).group(1)
    login(app.test_client(), STAFF)  # the old password still works
    client = english(app.test_client())
    response = choose_password(client, link)
    assert response.status_code == 302 and response.headers["Location"] == "/login/code"
    refused = send(english(app.test_client()), "/login", email=STAFF, password=DEMO_PASSWORD)
    assert FAILED_LOGIN in text(refused)
    login(app.test_client(), STAFF, GOOD_PASSWORD)


# --- deactivate, reactivate, reset the second step, unlock -----------------------------------


def test_a_deactivated_account_cannot_log_in_until_it_is_reactivated(app, admin):
    staff_client = english(app.test_client())
    login(staff_client, STAFF)
    staff = account(STAFF)
    response = act(admin, staff, "deactivate")
    assert response.status_code == 302
    assert "can no longer log in" in text(admin.get(response.headers["Location"]))
    assert account(STAFF).active is False
    # Its open session ends, and the password no longer logs in.
    assert staff_client.get("/staff/").headers["Location"] == "/login"
    refused = send(english(app.test_client()), "/login", email=STAFF, password=DEMO_PASSWORD)
    assert refused.status_code == 200 and FAILED_LOGIN in text(refused)
    assert "Deactivated" in text(admin.get("/admin/users?status=inactive"))

    assert act(admin, staff, "reactivate").status_code == 302
    assert account(STAFF).active is True
    login(app.test_client(), STAFF)
    admin_id = account(ADMIN).id
    assert {("user.deactivated", admin_id), ("user.reactivated", admin_id)} <= set(
        actions_about(staff))


def test_reset_second_step_makes_the_account_set_it_up_again(app, admin):
    staff = account(STAFF)
    assert staff.mfa_enabled_at is not None
    staff.recovery_codes = security.new_recovery_codes()[1]
    db.session.commit()
    assert act(admin, staff, "reset-mfa").status_code == 302
    staff = account(STAFF)
    assert (staff.totp_secret, staff.mfa_enabled_at, staff.recovery_codes) == (None, None, [])
    client = english(app.test_client())
    step = send(client, "/login", email=STAFF, password=DEMO_PASSWORD)
    assert step.headers["Location"] == "/login/setup"
    assert enrol(client, STAFF).status_code == 200
    assert ("user.mfa_reset", account(ADMIN).id) in actions_about(staff)


def test_unlock_lifts_a_lock_after_failed_logins(app, admin):
    client = english(app.test_client())
    for attempt in range(5):
        send(client, "/login", email=STAFF, password=f"wrong-{attempt}")
    staff = account(STAFF)
    assert security.is_locked(staff)
    page = text(admin.get(detail_url(staff)))
    assert "Unlock" in page
    assert "tag-urgent" in text(admin.get("/admin/users?q=noord@"))
    assert act(admin, staff, "unlock").status_code == 302
    staff = account(STAFF)
    assert staff.locked_until is None and staff.failed_logins == 0
    login(client, STAFF)
    assert ("user.unlocked", account(ADMIN).id) in actions_about(staff)


def test_the_command_line_and_the_page_share_the_same_rules(app, admin):
    result = app.test_cli_runner().invoke(args=[
        "user", "create", "--tenant", "demo", "--name", "Ria Regio", "--email", NEW,
        "--role", "team_lead", "--team", "zuid"])
    assert result.exit_code == 0, result.output
    user = account(NEW)
    assert (user.role, user.team_id) == ("team_lead", team_id("zuid"))
    assert actions_about(user)[:2] == [("user.created", None), ("user.invited", None)]
    assert delivered_link(NEW).startswith("/set-password/")
    result = app.test_cli_runner().invoke(args=[
        "user", "create", "--tenant", "demo", "--name", "X", "--email", "x@example.org",
        "--role", "staff", "--team", "bestaat-niet"])
    assert result.exit_code != 0 and "--team: Choose the team" in result.output


# --- role and team, the last administrator ---------------------------------------------------


def test_an_admin_changes_role_and_team(admin):
    staff = account(STAFF)
    response = send(admin, detail_url(staff), role="team_lead", team=team_id("zuid"),
                    partner=partner_id("schuldhulp"))
    assert response.status_code == 302
    staff = account(STAFF)
    assert (staff.role, staff.team_id, staff.partner_id) == ("team_lead", team_id("zuid"), None)
    event = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "user.updated", AuditEvent.object_id == staff.id)).one()
    assert event.actor_id == account(ADMIN).id
    assert event.details["changes"]["role"] == ["staff", "team_lead"]

    refused = send(admin, detail_url(staff), role="partner", team="", partner="")
    assert refused.status_code == 422 and "Choose the partner organisation" in text(refused)
    assert account(STAFF).role == "team_lead"


def test_an_admin_cannot_deactivate_or_demote_themselves(admin):
    me = account(ADMIN)
    assert "Deactivate the account" not in text(admin.get(detail_url(me)))
    response = act(admin, me, "deactivate")  # a forged post
    assert response.status_code == 409
    assert "You cannot deactivate your own account." in text(response)
    response = send(admin, detail_url(me), role="staff", team=team_id("noord"))
    assert response.status_code == 409 and "You cannot change your own role." in text(response)
    me = account(ADMIN)
    assert me.active and me.role == "admin"


def test_the_last_active_administrator_is_never_removed(app, admin):
    """Two administrators removing each other at the same moment: the second is refused
    (the first one's change is committed before the second one counts)."""
    other = account("lead-noord@demo.wijkloket.example")
    other.role, other.team_id = "admin", None
    db.session.commit()
    second = as_admin(app, other.email)
    assert act(admin, account(other.email), "deactivate").status_code == 302
    # ``second`` was removed a moment ago; its request is already past the login check.
    with force_locale("en"), pytest.raises(Conflict, match="last active administrator"):
        accounts.deactivate(account(ADMIN), actor=account(other.email))
    with force_locale("en"), pytest.raises(Conflict, match="last active administrator"):
        accounts.update(account(ADMIN), role="staff", team_id=team_id("noord"),
                        partner_id=None, actor=account(other.email))
    assert account(ADMIN).active and account(ADMIN).role == "admin"
    assert second.get("/admin/users").status_code == 302  # its session has ended
    # With another active administrator, one of them can be removed.
    assert act(admin, account(other.email), "reactivate").status_code == 302
    accounts.deactivate(account(ADMIN), actor=account(other.email))
    assert account(ADMIN).active is False


# --- list, filter, search --------------------------------------------------------------------


def test_the_list_filters_by_role_and_status_and_searches_name_and_e_mail(admin):
    everyone = text(admin.get("/admin/users"))
    for email in (STAFF, ADMIN, "schuldhulp@demo.wijkloket.example"):
        assert email in everyone
    partners = text(admin.get("/admin/users?role=partner"))
    assert "schuldhulp@demo.wijkloket.example" in partners and STAFF not in partners
    found = text(admin.get("/admin/users?q=NOORD"))
    assert STAFF in found and "lead-noord@" in found and "zuid@" not in found
    assert "Sanne Schuldhulp" in text(admin.get("/admin/users?q=sanne"))
    assert "No accounts found." in text(admin.get("/admin/users?q=%25"))  # % is a character
    assert "No accounts found." in text(admin.get("/admin/users?status=inactive"))
    # Unknown filter values are ignored, not an error.
    assert admin.get("/admin/users?role=god&status=maybe").status_code == 200


# --- another municipality, forms without their token -----------------------------------------


def test_another_municipality_s_accounts_are_not_found(app, admin, elsewhere):
    foreign = elsewhere["staff"]
    page = text(admin.get("/admin/users"))
    assert foreign.email not in page and elsewhere["admin"].email not in page
    assert foreign.email not in text(admin.get("/admin/users?q=elders"))
    assert admin.get(detail_url(foreign)).status_code == 404
    token = csrf_token(text(admin.get("/admin/users/new")))
    for action in ("deactivate", "reactivate", "reset-mfa", "unlock", "send-link"):
        response = admin.post(f"{detail_url(foreign)}/{action}", data={"csrf_token": token})
        assert response.status_code == 404, action
    response = admin.post(detail_url(foreign), data={"csrf_token": token, "role": "admin"})
    assert response.status_code == 404
    db.session.expire_all()
    assert foreign.active and foreign.role == "staff" and foreign.mfa_enabled_at is not None
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.object_type == "user", AuditEvent.object_id == foreign.id)) == 0
    # Nor can another municipality's team be given to an account of this one.
    response = send(admin, detail_url(account(STAFF)), role="staff",
                    team=elsewhere["team"].id)
    assert response.status_code == 422 and "Choose the team" in text(response)
    response = create(admin, team=elsewhere["team"].id)
    assert response.status_code == 422
    assert account(STAFF).team_id == team_id("noord")
    # And their administrator sees none of ours.
    theirs = as_admin(app, elsewhere["admin"].email)
    assert STAFF not in text(theirs.get("/admin/users"))
    assert theirs.get(detail_url(account(STAFF))).status_code == 404


def test_every_form_needs_its_csrf_token(app, admin):
    staff = account(STAFF)
    for url, data in (("/admin/users/new", {"name": "X", "email": NEW, "role": "admin"}),
                      (detail_url(staff), {"role": "admin"}),
                      (f"{detail_url(staff)}/deactivate", {}),
                      (f"{detail_url(staff)}/reset-mfa", {}),
                      (f"{detail_url(staff)}/send-link", {})):
        response = admin.post(url, data=data)
        assert response.status_code == 400, url
        assert "This page has expired" in text(response)
        response = admin.post(url, data={**data, "csrf_token": "forged"})
        assert response.status_code == 400, url
    staff = account(STAFF)
    assert staff.active and staff.role == "staff" and staff.mfa_enabled_at is not None
    assert db.session.scalar(select(func.count(User.id)).where(User.email == NEW)) == 0
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0
    # The password link's form too.
    create(admin)
    client = english(app.test_client())
    assert client.get(delivered_link(NEW)).status_code == 302
    response = client.post("/set-password", data={"new_password": GOOD_PASSWORD,
                                                  "repeat_password": GOOD_PASSWORD})
    assert response.status_code == 400
    assert account(NEW).password_changed_at is None


def test_deactivating_a_coordinator_says_that_their_open_requests_need_someone_else(
        app, client, admin):
    from app.models import SupportRequest
    from tests.integration.helpers import form_data, submit_form

    assert submit_form(client, "/demo/hulpvraag", form_data()).status_code == 302
    staff = account(STAFF)
    request = db.session.scalar(select(SupportRequest))
    request.coordinator_id = staff.id
    db.session.commit()
    warning = "still the coordinator of open requests"
    page = text(admin.get(detail_url(staff)))
    assert "Coordinator of open requests" in page and "tell the team lead" in page
    assert warning not in page
    act(admin, staff, "deactivate")
    assert warning in text(admin.get(detail_url(staff)))


def test_an_address_of_another_municipality_is_refused_without_saying_it_has_an_account(
        admin, elsewhere):
    used_elsewhere = elsewhere["staff"].email
    response = create(admin, email=used_elsewhere)
    assert response.status_code == 422
    page = text(response)
    assert "This e-mail address cannot be used for a new account here." in page
    assert "already an account" not in page
    refused = db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "accounts.address_refused"))
    assert refused is not None and refused.tenant_id != elsewhere["staff"].tenant_id
    assert used_elsewhere not in str(refused.details)
