"""Security of the staff side: the second factor, lockout, password policy, session lifetime,
security headers and cookies (BIO / NEN 7510 minded)."""

from __future__ import annotations

import datetime as dt
import importlib.util
import re
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

import pyotp
import pytest
from sqlalchemy import func, select

from app import security
from app.config import DEV_SECRET, load_config
from app.extensions import db
from app.models import AuditEvent, User, utcnow
from app.services.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET
from tests import factories
from tests.conftest import csrf_token, login
from tests.integration.helpers import api_body, check_page

STAFF = "noord@demo.wijkloket.example"
PARTNER = "schuldhulp@demo.wijkloket.example"
EVERY_ROLE = {
    "staff": STAFF,
    "team_lead": "lead-noord@demo.wijkloket.example",
    "partner": PARTNER,
    "admin": "admin@demo.wijkloket.example",
}
HOME = {"staff": "/staff/", "team_lead": "/staff/", "partner": "/partner/", "admin": "/admin/"}
GOOD_PASSWORD = "Rode fiets langs de Maas 7"  # noqa: S105 - a test value


@pytest.fixture
def app_config(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Default configuration; a test changes it with ``indirect`` parametrisation."""
    return getattr(request, "param", {})


# --- helpers ---------------------------------------------------------------------------------


def account(email: str = STAFF) -> User:
    db.session.expire_all()
    user = db.session.scalar(select(User).where(func.lower(User.email) == email))
    assert user is not None
    return user


def english(client: Any) -> None:
    """Show this client's pages in English (the session keeps the language across logins)."""
    assert client.get("/login?lang=en").status_code == 200


def send(client: Any, url: str, **data: Any) -> Any:
    """Open ``url`` for its CSRF token, then post ``data`` to it."""
    page = client.get(url)
    assert page.status_code == 200, (url, page.status_code)
    return client.post(url, data={"csrf_token": csrf_token(page.get_data(as_text=True)), **data})


def password_step(client: Any, email: str = STAFF, password: str = DEMO_PASSWORD) -> Any:
    return send(client, "/login", email=email, password=password)


def text(response: Any) -> str:
    return response.get_data(as_text=True)


def logged_in_as(client: Any) -> str | None:
    with client.session_transaction() as session:
        return session.get("_user_id")


def wrong_code(secret: str) -> str:
    """Six digits that are none of the codes accepted now."""
    totp = pyotp.TOTP(secret)
    now = int(time.time() // 30)
    valid = {totp.generate_otp(step) for step in range(now - 2, now + 3)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in valid)


@contextmanager
def next_unused_code(user: User) -> Any:
    """The code of the first time step this account has not used, with the app's clock in it."""
    step = max(int(time.time() // 30), (security.last_totp_step(user.id) or 0) + 1)
    with mock.patch.object(security, "totp_clock", return_value=step * 30 + 1):
        yield pyotp.TOTP(user.totp_secret).generate_otp(step)


def audit_actions() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


# --- the second factor -----------------------------------------------------------------------


def test_after_the_password_the_account_is_not_logged_in_until_the_code(client, demo):
    english(client)
    response = password_step(client)
    assert response.status_code == 302 and response.headers["Location"] == "/login/code"
    assert logged_in_as(client) is None
    assert client.get("/staff/").status_code == 302  # to the login page

    page = text(client.get("/login/code"))
    assert "Enter your code" in page and 'autocomplete="one-time-code"' in page
    response = send(client, "/login/code", code=pyotp.TOTP(DEMO_TOTP_SECRET).now())
    assert response.status_code == 302 and response.headers["Location"] == "/staff/"
    assert client.get("/staff/").status_code == 200
    login_event = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "user.login")).one()
    assert login_event.details["method"] == "totp"
    assert isinstance(login_event.details["totp_step"], int)


@pytest.mark.parametrize("role", list(EVERY_ROLE))
def test_every_role_needs_the_second_factor(client, demo, role):
    response = password_step(client, EVERY_ROLE[role])
    assert response.headers["Location"] == "/login/code"
    assert client.get(HOME[role]).status_code == 302
    login(client, EVERY_ROLE[role])
    assert client.get(HOME[role]).status_code == 200


def test_a_wrong_code_is_refused_and_counted(client, demo):
    english(client)
    password_step(client)
    response = send(client, "/login/code", code=wrong_code(DEMO_TOTP_SECRET))
    assert response.status_code == 200
    assert "The code is not correct, or it was used already." in text(response)
    assert logged_in_as(client) is None
    assert account().failed_logins == 1
    assert "user.login_failed" in audit_actions()


def test_a_code_works_only_once(client, demo):
    english(client)
    code = pyotp.TOTP(DEMO_TOTP_SECRET).now()
    password_step(client)
    assert send(client, "/login/code", code=code).status_code == 302
    client.post("/logout", data={"csrf_token": csrf_token(text(client.get("/staff/")))})
    assert logged_in_as(client) is None

    password_step(client)
    response = send(client, "/login/code", code=code)
    assert response.status_code == 200
    assert "it was used already" in text(response)
    assert logged_in_as(client) is None


def test_a_recovery_code_works_once(client, demo):
    english(client)
    user = account()
    shown, hashes = security.new_recovery_codes()
    user.recovery_codes = hashes
    db.session.commit()
    assert all(h.startswith("$argon2id$") for h in hashes) and not set(shown) & set(hashes)

    password_step(client)
    response = send(client, "/login/code", code=f" {shown[0].upper()} ")
    assert response.status_code == 302 and logged_in_as(client)
    assert len(account().recovery_codes) == 9
    login_event = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "user.login")).one()
    assert login_event.details["method"] == "recovery_code"

    client.post("/logout", data={"csrf_token": csrf_token(text(client.get("/staff/")))})
    password_step(client)
    response = send(client, "/login/code", code=shown[0])
    assert response.status_code == 200 and logged_in_as(client) is None
    assert len(account().recovery_codes) == 9


def test_a_new_account_sets_up_its_app_and_gets_ten_recovery_codes(client, demo):
    english(client)
    user = account(PARTNER)
    user.totp_secret, user.mfa_enabled_at, user.recovery_codes = None, None, []
    db.session.commit()

    response = password_step(client, PARTNER)
    assert response.headers["Location"] == "/login/setup"
    assert client.get("/login/code").headers["Location"] == "/login/setup"
    page = text(client.get("/login/setup"))
    secret = account(PARTNER).totp_secret
    assert secret and len(secret) == 32
    assert "<svg" in page and 'class="qr-code"' in page and "https://" not in page.split("<svg")[1]
    assert security.grouped_secret(secret) in page
    assert text(client.get("/login/setup")).count(security.grouped_secret(secret)) == 1  # kept
    assert logged_in_as(client) is None

    response = send(client, "/login/setup", code=wrong_code(secret))
    assert "The code is not correct." in text(response) and logged_in_as(client) is None

    response = send(client, "/login/setup", code=pyotp.TOTP(secret).now())
    assert response.status_code == 200
    page = text(response)
    assert "Your recovery codes" in page and response.headers["Cache-Control"] == "no-store"
    user = account(PARTNER)
    assert user.mfa_enabled_at is not None and len(user.recovery_codes) == 10
    assert logged_in_as(client) and client.get("/partner/").status_code == 200
    # The codes are on the page once and only their hashes are stored; each one logs in.
    codes = re.findall(r"<code[^>]*>([a-z2-9]{5}-[a-z2-9]{5})</code>", page)
    assert len(set(codes)) == 10
    assert not any(code in str(user.recovery_codes) for code in codes)
    assert {"user.mfa_enabled", "user.login"} <= set(audit_actions())

    other = client.application.test_client()
    password_step(other, PARTNER)
    assert send(other, "/login/code", code=codes[3]).status_code == 302


def test_a_login_that_waits_too_long_between_the_steps_starts_again(client, demo):
    english(client)
    password_step(client)
    with client.session_transaction() as session:
        session["mfa_pending"] = {**session["mfa_pending"], "until": time.time() - 1}
    response = client.get("/login/code", follow_redirects=True)
    assert "Logging in took too long. Log in again." in text(response)


@pytest.mark.parametrize("app_config", [{"SECRET_KEY": DEV_SECRET}], indirect=True)
def test_the_local_demo_shows_the_code_of_a_demo_account(client, demo):
    english(client)
    password_step(client)
    page = text(client.get("/login/code"))
    assert "Demo only." in page
    shown = page.split("The code for this demo account is now ")[1][:6]
    assert send(client, "/login/code", code=shown).status_code == 302


def test_the_code_is_never_shown_without_the_demo_key(client, demo):
    english(client)
    password_step(client)
    assert "Demo only." not in text(client.get("/login/code"))


@pytest.mark.parametrize("app_config", [{"MFA_REQUIRED": False}], indirect=True)
def test_without_mfa_required_an_account_without_a_second_factor_logs_in_with_its_password(
        client, demo):
    user = account()
    user.totp_secret, user.mfa_enabled_at = None, None
    db.session.commit()
    assert password_step(client).headers["Location"] == "/staff/"
    assert password_step(client.application.test_client(), PARTNER).headers["Location"] \
        == "/login/code"  # it has one: it is asked


def test_recovery_codes_can_be_renewed_with_a_code_from_the_app(client, demo):
    english(client)
    login(client, STAFF)
    assert "0 codes left" in text(client.get("/account"))
    with next_unused_code(account()) as code:
        response = send(client, "/account/recovery-codes", code=code)
    assert response.status_code == 200 and "Your old recovery codes no longer work." in text(
        response)
    assert len(account().recovery_codes) == 10
    assert "user.recovery_codes_renewed" in audit_actions()


def test_the_login_and_account_pages_are_well_formed(client, demo):
    user = account(PARTNER)
    user.totp_secret, user.mfa_enabled_at = None, None
    db.session.commit()
    partner = client.application.test_client()
    password_step(partner, PARTNER)
    check_page(text(partner.get("/login/setup")))
    setup = send(partner, "/login/setup", code=pyotp.TOTP(account(PARTNER).totp_secret).now())
    check_page(text(setup))

    check_page(text(client.get("/login")))
    password_step(client)
    check_page(text(client.get("/login/code")))
    login(client, STAFF)
    for url in ("/account", "/account/password", "/account/recovery-codes"):
        check_page(text(client.get(url)))


# --- lockout ---------------------------------------------------------------------------------

FAILED = "The e-mail address or password is not correct, or the account is locked for a while."


def test_five_wrong_passwords_lock_the_account_with_the_same_message_as_an_unknown_address(
        client, demo):
    english(client)
    for attempt in range(1, 6):
        response = password_step(client, password=f"wrong-{attempt}")
        assert response.status_code == 200 and FAILED in text(response)
    user = account()
    assert user.locked_until is not None and user.locked_until > utcnow() + dt.timedelta(
        minutes=14)
    assert audit_actions().count("user.login_failed") == 5 and "user.locked" in audit_actions()

    locked = password_step(client)  # the right password
    assert locked.status_code == 200 and logged_in_as(client) is None
    unknown = password_step(client, "nobody@demo.wijkloket.example", "whatever-it-is")
    assert unknown.status_code == 200
    assert "After 5 wrong attempts an account is locked for 15 minutes." in text(locked)

    def message(response: Any) -> str:
        page = text(response)
        return page[page.index('role="alert"'):page.index("</div>", page.index('role="alert"'))]

    assert message(locked) == message(unknown)
    assert "user.login_refused" in audit_actions()
    failed = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "user.login_failed", AuditEvent.object_id.is_(None))).one()
    assert failed.details["email"] == "nobody@demo.wijkloket.example"


def test_a_locked_account_can_log_in_again_after_the_period(client, demo):
    user = account()
    user.locked_until = utcnow() + dt.timedelta(minutes=15)
    user.failed_logins = 3
    db.session.commit()
    assert password_step(client).status_code == 200

    user = account()
    user.locked_until = utcnow() - dt.timedelta(seconds=1)
    db.session.commit()
    login(client, STAFF)
    user = account()
    assert user.failed_logins == 0 and user.locked_until is None


def test_five_wrong_codes_lock_the_account_and_say_so(client, demo):
    english(client)
    password_step(client)
    for _attempt in range(4):
        assert send(client, "/login/code", code=wrong_code(DEMO_TOTP_SECRET)).status_code == 200
    response = send(client, "/login/code", code=wrong_code(DEMO_TOTP_SECRET))
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    page = text(client.get("/login"))
    assert "too many wrong attempts" in page and "locked for 15 minutes" in page
    assert account().locked_until is not None
    assert client.get("/login/code").headers["Location"] == "/login"  # the pending step is gone


def test_a_known_password_alone_does_not_reset_the_failure_count(client, demo):
    password_step(client)
    send(client, "/login/code", code=wrong_code(DEMO_TOTP_SECRET))
    password_step(client)
    assert account().failed_logins == 1


# --- password policy -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("kort-wachtw", "Use at least 12 characters."),
        ("Wachtwoord2024!", "too common"),
        ("p@ssw0rd1234!", "too common"),
        ("qwertyuiop123", "too common"),
        ("123456789012", "too common"),
        ("aaaaaaaaaaaaaa", "too common"),
        ("abcabcabcabc", "too common"),
        ("Welkom01Welkom01", "too common"),
        ("Amsterdam1975", "too common"),
        ("ikhouvanjou!!", "too common"),
        ("noord@demo.wijkloket.example", "e-mail address"),
        ("Noord-12345678", "e-mail address"),
        (GOOD_PASSWORD, None),
        ("correct horse battery staple", None),
        ("Kwetsbare-Buurt-Koffie-73", None),
    ],
)
def test_the_password_policy(app, password, problem):
    with app.test_request_context("/?lang=en"):
        found = security.password_problem(password, STAFF)
    if problem is None:
        assert found is None
    else:
        assert found is not None and problem in found, found


def test_the_common_password_list_is_generated_by_its_script():
    path = Path(security.COMMON_PASSWORDS).with_name("make_common_passwords.py")
    spec = importlib.util.spec_from_file_location("make_common_passwords", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert security.COMMON_PASSWORDS.read_text(encoding="utf-8") == module.render()
    assert 2000 < len(security.common_passwords()) < 20000


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"new_password": "te-kort", "repeat_password": "te-kort"},
         "Use at least 12 characters."),
        ({"new_password": "Wachtwoord2024!", "repeat_password": "Wachtwoord2024!"},
         "This password is too common or too easy to guess."),
        ({"new_password": STAFF, "repeat_password": STAFF},
         "Do not use your e-mail address in your password."),
        ({"repeat_password": GOOD_PASSWORD + "!"}, "The two new passwords are not the same."),
        ({"current_password": "not-my-password"}, "Your current password is not correct."),
        ({"new_password": DEMO_PASSWORD, "repeat_password": DEMO_PASSWORD},
         "Choose a new password that is different from your current one."),
    ],
)
def test_changing_the_password_refuses_with_a_message(client, demo, fields, message):
    english(client)
    login(client, STAFF)
    data = {"current_password": DEMO_PASSWORD, "new_password": GOOD_PASSWORD,
            "repeat_password": GOOD_PASSWORD, **fields}
    response = send(client, "/account/password", **data)
    assert response.status_code == 200
    assert message in text(response)
    assert account().password_changed_at is None


def test_changing_the_password_ends_the_other_sessions(app, client, demo):
    english(client)
    other = app.test_client()
    english(other)
    login(other, STAFF)
    login(client, STAFF)
    response = send(client, "/account/password", current_password=DEMO_PASSWORD,
                    new_password=GOOD_PASSWORD, repeat_password=GOOD_PASSWORD)
    assert response.status_code == 302 and response.headers["Location"] == "/account"
    assert account().password_changed_at is not None
    assert client.get("/staff/").status_code == 200  # this session goes on
    response = other.get("/staff/", follow_redirects=True)
    assert "the password or the second step of your account was changed" in text(response)
    assert logged_in_as(other) is None
    assert "user.password_changed" in audit_actions()
    login(app.test_client(), STAFF, GOOD_PASSWORD)


def test_the_command_line_applies_the_password_policy(app, demo):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["user", "set-password", STAFF, "--password", "kort"])
    assert result.exit_code != 0 and "Use at least 12 characters." in result.output
    result = runner.invoke(args=["user", "set-password", STAFF, "--password", "Wachtwoord2024!"])
    assert result.exit_code != 0 and "too common" in result.output
    result = runner.invoke(args=["user", "set-password", STAFF, "--password", GOOD_PASSWORD])
    assert result.exit_code == 0, result.output
    assert account().password_changed_at is not None
    login(app.test_client(), STAFF, GOOD_PASSWORD)


def test_the_command_line_resets_the_second_factor_and_unlocks(app, client, demo):
    runner = app.test_cli_runner()
    user = account()
    user.locked_until = utcnow() + dt.timedelta(minutes=10)
    db.session.commit()
    assert runner.invoke(args=["user", "unlock", STAFF]).exit_code == 0
    assert runner.invoke(args=["user", "reset-mfa", STAFF]).exit_code == 0
    user = account()
    assert user.locked_until is None and user.totp_secret is None and user.mfa_enabled_at is None
    assert password_step(client).headers["Location"] == "/login/setup"
    assert runner.invoke(args=["user", "unlock", "nobody@example.org"]).exit_code != 0


# --- session lifetime ------------------------------------------------------------------------


def test_the_session_ends_after_30_minutes_without_activity(client, demo):
    english(client)
    login(client, STAFF)
    with client.session_transaction() as session:
        session["seen"] = time.time() - 29 * 60
    assert client.get("/staff/").status_code == 200  # and that counts as activity
    with client.session_transaction() as session:
        session["seen"] = time.time() - 31 * 60
    response = client.get("/staff/")
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    page = text(client.get("/login"))
    assert "You were logged out because you did nothing for 30 minutes." in page
    assert logged_in_as(client) is None
    assert "user.session_ended" in audit_actions()


def test_the_session_ends_12_hours_after_logging_in_even_when_active(client, demo):
    english(client)
    login(client, STAFF)
    with client.session_transaction() as session:
        session["auth_at"] = time.time() - 12 * 3600 - 1
    response = client.get("/staff/", follow_redirects=True)
    assert "You were logged out because you were logged in for 12 hours." in text(response)


def test_a_session_of_a_deactivated_account_ends(client, demo):
    login(client, STAFF)
    user = account()
    user.active = False
    db.session.commit()
    assert client.get("/staff/").headers["Location"] == "/login"


# --- headers, cookies, CSRF, rate limit, API -------------------------------------------------


def assert_security_headers(response: Any) -> None:
    headers = response.headers
    csp = headers["Content-Security-Policy"]
    for directive in ("default-src 'self'", "script-src 'self'", "style-src 'self'",
                      "object-src 'none'", "frame-ancestors 'none'", "base-uri 'self'"):
        assert directive in csp, (directive, csp)
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] in {"same-origin", "no-referrer"}
    assert headers["X-Frame-Options"] == "DENY"
    assert "camera=()" in headers["Permissions-Policy"]
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"


def test_security_headers_on_a_resident_a_staff_and_an_error_page(client, demo):
    resident = client.get("/demo/hulpvraag")
    assert resident.status_code == 200
    assert_security_headers(resident)
    assert "Strict-Transport-Security" not in resident.headers  # plain HTTP: the local demo

    login_page = client.get("/login")
    assert_security_headers(login_page)
    assert login_page.headers["Cache-Control"] == "no-store"

    login(client, STAFF)
    staff = client.get("/staff/")
    assert staff.status_code == 200
    assert_security_headers(staff)
    assert staff.headers["Cache-Control"] == "no-store"

    missing = client.get("/demo/no/such/page")
    assert missing.status_code == 404
    assert_security_headers(missing)


def test_https_answers_ask_the_browser_to_keep_using_https(client, demo):
    response = client.get("/login", base_url="https://wijkloket.test")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


@pytest.mark.parametrize("app_config", [{"ENV_NAME": "production"}], indirect=True)
def test_production_always_sends_hsts(client):
    assert "Strict-Transport-Security" in client.get("/login").headers


def test_the_session_cookie_is_http_only_and_same_site(client, demo):
    response = password_step(client)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_production_cookies_are_secure(monkeypatch):
    monkeypatch.setenv("WIJKLOKET_ENV", "production")
    config = load_config({"SECRET_KEY": "a-real-secret-for-this-test"})
    assert config["SESSION_COOKIE_SECURE"] and config["REMEMBER_COOKIE_SECURE"]
    assert config["SESSION_COOKIE_HTTPONLY"] and config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_a_login_without_the_csrf_token_is_refused(client, demo):
    response = client.post("/login", data={"email": STAFF, "password": DEMO_PASSWORD})
    assert response.status_code == 400
    assert logged_in_as(client) is None


@pytest.mark.parametrize("app_config", [{"RATELIMIT_ENABLED": True}], indirect=True)
def test_too_many_login_attempts_from_one_address_get_a_clear_page(client, demo):
    english(client)
    token = csrf_token(text(client.get("/login")))
    data = {"csrf_token": token, "email": "nobody@demo.wijkloket.example", "password": "x"}
    statuses = [client.post("/login", data=data).status_code for _attempt in range(10)]
    assert statuses == [200] * 10
    response = client.post("/login", data=data)
    assert response.status_code == 429
    assert "There were too many login attempts from your network." in text(response)
    assert response.headers["Retry-After"] == "60"
    assert_security_headers(response)


def test_the_api_with_a_token_needs_no_second_factor(client, demo):
    raw = factories.api_token(demo)
    db.session.commit()
    response = client.post("/api/v1/requests", json=api_body(),
                           headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 201, response.json
    assert "Set-Cookie" not in response.headers
