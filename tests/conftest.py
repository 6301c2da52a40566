"""Shared fixtures. The database is SQLite by default; set TEST_DATABASE_URL to a
PostgreSQL URL to run the same suite there (``make test`` does both).

The schema is created once per run by the Alembic migrations, as in production; each test
starts from empty tables.

Rows a test needs beyond the demo municipality (another municipality, a team, a partner with
its service, an account, a request, a referral, a task) come from ``tests/factories.py``.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text


def _shared_data() -> Path | None:
    """The project's shared real data (../shared/data beside the checkout, or /work/shared)."""
    candidates = [os.environ.get("WIJKLOKET_SHARED_DATA"),
                  Path(__file__).resolve().parents[2] / "shared" / "data",
                  "/work/shared/data"]
    for candidate in candidates:
        if candidate and Path(candidate, "README.md").exists():
            return Path(candidate)
    return None


SHARED_DATA = _shared_data()


@pytest.fixture
def shared_data() -> Path:
    """The real public data in ../shared/data; tests using it skip only when it is absent."""
    if SHARED_DATA is None:
        pytest.skip("../shared/data is absent (set WIJKLOKET_SHARED_DATA to its folder)")
    return SHARED_DATA


def _database_url(tmp_dir: Path) -> str:
    return os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_dir / 'test.sqlite'}"


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="wijkloket-test-") as tmp:
        yield _database_url(Path(tmp))


def make_app(database_url: str, **overrides: Any) -> Flask:
    from app import create_app

    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "RATELIMIT_ENABLED": False,
        "MAIL_TRANSPORT": "mailbox",
        "PUBLIC_BASE_URL": "http://wijkloket.test",
        "OUTBOX_BACKOFF_BASE_SECONDS": 0.0,
        "OUTBOX_BACKOFF_MAX_SECONDS": 0.0,
        "SERVER_NAME": None,
    }
    config.update(overrides)
    return create_app(config)


@pytest.fixture(scope="session")
def migrated(database_url: str) -> str:
    """Create the schema once, with the migrations, on an empty database."""
    from flask_migrate import upgrade

    from app.extensions import db

    app = make_app(database_url)
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        upgrade()
        db.engine.dispose()
    return database_url


def _empty_tables(app: Flask) -> None:
    from app.extensions import db

    with app.app_context():
        db.session.remove()
        tables = [t.name for t in reversed(db.metadata.sorted_tables)]
        with db.engine.begin() as conn:
            if db.engine.dialect.name == "postgresql":
                conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
            else:
                for table in tables:
                    conn.execute(text(f"DELETE FROM {table}"))


class IsolatedClient(FlaskClient):
    """Each request runs in its own application context, as in production, and every HTML
    page it gets back passes ``tests.pages.check_page`` (title, lang, unique ids, labels).

    The ``app`` fixture keeps a context open for the test's own database work; without this,
    requests would share its ``g`` (and with it Flask-Login's user and the CSRF token).
    A test opts out of the page check with ``@pytest.mark.unchecked_pages``; one client with
    ``client.check_pages = False``.
    """

    check_pages = True

    def open(self, *args: Any, **kwargs: Any) -> Any:
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        if self.check_pages and _is_page(response):
            from tests.pages import check_page

            try:
                check_page(response.get_data(as_text=True))
            except AssertionError as problem:
                where = response.request.path if response.request else "?"
                raise AssertionError(f"{response.status_code} {where}: {problem}") from None
        return response


class UncheckedClient(IsolatedClient):
    """The client of a test marked ``unchecked_pages``."""

    check_pages = False


def _is_page(response: Any) -> bool:
    """An HTML page a browser would show (not a redirect, nor the empty answer to HEAD)."""
    return (response.mimetype == "text/html" and not 300 <= response.status_code < 400
            and response.request.method != "HEAD")


@pytest.fixture
def app_config() -> dict[str, Any]:
    """Override in a test module to change the app's configuration."""
    return {}


@pytest.fixture
def app(migrated: str, app_config: dict[str, Any], request: pytest.FixtureRequest
        ) -> Iterator[Flask]:
    from app.extensions import db
    from app.services import routing, rulesets

    application = make_app(migrated, **app_config)
    unchecked = request.node.get_closest_marker("unchecked_pages") is not None
    application.test_client_class = UncheckedClient if unchecked else IsolatedClient
    _empty_tables(application)
    routing._index_cache.clear()
    rulesets._ruleset_cache.clear()
    with application.app_context():
        yield application
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def demo(app: Flask) -> Any:
    from app.services.demo import seed_demo

    return seed_demo()


@pytest.fixture
def token(demo: Any) -> str:
    """A raw API token of the demo municipality (``Authorization: Bearer …``)."""
    from app.extensions import db
    from tests import factories

    raw = factories.api_token(demo)
    db.session.commit()
    return raw


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html
    )
    assert match, "no csrf_token in page"
    return match.group(1)


def login(client: FlaskClient, email: str, password: str | None = None) -> None:
    """Log ``client`` in as ``email``: the password, then the second factor.

    The code comes from the account's TOTP secret in the database (an account without a
    second factor sets one up first). A code works once, so logging the same account in again
    within 30 seconds needs the next one: the app's TOTP clock is moved to that code's window
    while it is checked, as if the test had waited.
    """
    from unittest import mock

    import pyotp
    from sqlalchemy import func, select

    from app import security
    from app.extensions import db
    from app.models import User
    from app.services.demo import DEMO_PASSWORD

    def post(url: str, data: dict[str, Any]) -> Any:
        page = client.get(url)
        assert page.status_code == 200, (url, page.status_code)
        if client.application.config.get("WTF_CSRF_ENABLED", True):
            data["csrf_token"] = csrf_token(page.get_data(as_text=True))
        return client.post(url, data=data)

    response = post("/login", {"email": email, "password": password or DEMO_PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    step_url = response.headers["Location"]
    if not step_url.startswith("/login/"):
        return  # no second factor (MFA_REQUIRED off and none set up)
    if step_url == "/login/setup":
        client.get(step_url)  # makes the secret
    # Column queries read what the app committed, not this session's cached objects.
    user_id, secret = db.session.execute(
        select(User.id, User.totp_secret).where(func.lower(User.email) == email.lower())
    ).one()
    assert secret, f"{email} has no TOTP secret"
    last = security.last_totp_step(user_id)
    step = max(int(time.time() // security.TOTP_INTERVAL), (last or 0) + 1)
    code = pyotp.TOTP(secret).generate_otp(step)
    with mock.patch.object(security, "totp_clock",
                           return_value=step * security.TOTP_INTERVAL + 1):
        response = post(step_url, {"code": code})
    # Setting up answers with the recovery codes (200); the code step redirects home.
    assert response.status_code in {200, 302}, response.get_data(as_text=True)[:500]
    with client.session_transaction() as session:
        assert "_user_id" in session, response.get_data(as_text=True)[:500]


def logged_in(app: Flask, email: str) -> FlaskClient:
    """A new client, logged in as the demo account ``email``."""
    client = app.test_client()
    login(client, email)
    return client


def hidden_fields(html: str) -> dict[str, str]:
    """What a browser posts besides the answers: the CSRF token and, on a request page,
    the version the user saw (optimistic locking)."""
    fields = {"csrf_token": csrf_token(html)}
    for name in ("version", "seen_event"):
        match = re.search(rf'name="{name}" value="([^"]*)"', html)
        if match:
            fields[name] = match.group(1)
    return fields


def post_from(client: FlaskClient, page_url: str, action_url: str, **data: Any) -> Any:
    """Open ``page_url`` (for its hidden fields), then post ``data`` to ``action_url``."""
    page = client.get(page_url)
    assert page.status_code == 200, page.status_code
    return client.post(action_url, data={**hidden_fields(page.get_data(as_text=True)), **data})


@pytest.fixture
def referral(client: FlaskClient, demo: Any) -> Any:
    """A resident's request for Wijkteam Noord, with a referral sent to Schuldhulp."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models import Referral
    from tests.integration.helpers import form_data, submit_form

    assert submit_form(client, "/demo/hulpvraag", form_data()).status_code == 302
    client.delete_cookie("session")
    return db.session.scalar(select(Referral))
