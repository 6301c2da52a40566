"""Browser tests: Playwright drives Debian's Chromium against the app on 127.0.0.1.

The app runs in a thread of the test process (werkzeug's ``make_server``) on the test database,
with the demo municipality seeded once for the package. Playwright never downloads a browser:
it launches ``/usr/bin/chromium`` (``make test`` installs it from Debian), or the executable
named by ``WIJKLOKET_CHROMIUM``.

Every test here is marked ``browser``; ``make test`` runs them in the SQLite pass only (the
PostgreSQL pass deselects them: they test pages, not the database).
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from tests.browser.helpers import PHONE, TOO_MANY, Site, direction_of
from tests.conftest import _empty_tables, make_app

DEFAULT_CHROMIUM = "/usr/bin/chromium"

# Headless and quiet: nothing phones home, no GPU, small /dev/shm in containers.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--no-first-run", "--disable-quic",
]

#: Stands in for the right-to-left languages while none is configured, so RTL is tested.
RTL_STAND_IN = "ar"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.path).parents:
            item.add_marker(pytest.mark.browser)


@functools.cache
def configured_languages() -> tuple[str, ...]:
    """``app.config["LANGUAGES"]`` of an app built like the tests build it."""
    return tuple(make_app("sqlite://").config["LANGUAGES"])


def languages_under_test() -> tuple[str, ...]:
    """The configured languages, plus an RTL stand-in when none of them is right-to-left."""
    languages = configured_languages()
    if "rtl" not in {direction_of(code) for code in languages}:
        languages = (*languages, RTL_STAND_IN)
    return languages


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "language" in metafunc.fixturenames:
        metafunc.parametrize("language", languages_under_test())


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """The system Chromium; skipped when absent, unless WIJKLOKET_CHROMIUM names it."""
    named = os.environ.get("WIJKLOKET_CHROMIUM")
    path = named or DEFAULT_CHROMIUM
    if not os.access(path, os.X_OK):
        if named:
            pytest.fail(f"WIJKLOKET_CHROMIUM={named} is not an executable")
        pytest.skip(f"{DEFAULT_CHROMIUM} is missing: `make browser` installs Debian's chromium")
    return path


@pytest.fixture(scope="session")
def browser(chromium_path: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _answer_too_many_when_asked(application: Flask) -> None:
    """A resident page asked for with the TOO_MANY header is answered as if the network had
    reached its rate limit: the 429 page residents see is rendered by its own error handler,
    without the many requests it takes to get there (the limiter is off in the tests). Only
    this test app has the hook."""
    from flask import request
    from werkzeug.exceptions import TooManyRequests

    @application.before_request
    def pretend_the_limit_is_reached() -> None:
        if request.headers.get(TOO_MANY) and request.blueprint == "resident":
            raise TooManyRequests()


def _live_app(database_url: str) -> Flask:
    from app.extensions import db
    from app.services import routing, rulesets
    from app.services.demo import seed_demo

    application = make_app(database_url, LANGUAGES=languages_under_test())
    _answer_too_many_when_asked(application)
    _empty_tables(application)
    routing._index_cache.clear()
    rulesets._ruleset_cache.clear()
    with application.app_context():
        seed_demo()
        db.session.remove()
    return application


@pytest.fixture(scope="package")
def site(migrated: str) -> Iterator[Site]:
    """The app with the demo municipality, served on 127.0.0.1 on a free port."""
    from app.extensions import db

    application = _live_app(migrated)
    server = make_server("127.0.0.1", 0, application, threaded=True)
    base_url = f"http://127.0.0.1:{server.server_port}"
    application.config["PUBLIC_BASE_URL"] = base_url
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield Site(app=application, base_url=base_url, tenant="demo")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        with application.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def page_without_script(browser: Any, site: Site) -> Iterator[Any]:
    """A phone-sized Dutch browser page with JavaScript switched off (axe cannot run in
    it): what the forms must work in."""
    context = browser.new_context(viewport=PHONE.size, base_url=site.base_url, locale="nl",
                                  java_script_enabled=False)
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


@pytest.fixture
def page(browser: Any, site: Site, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh browser profile (no cookies) with a phone-sized window, set to the test's
    language when it has one (as a resident's own browser would be)."""
    callspec = getattr(request.node, "callspec", None)
    language = callspec.params.get("language") if callspec else None
    context = browser.new_context(viewport=PHONE.size, base_url=site.base_url,
                                  locale=language or "nl", reduced_motion="reduce")
    context.set_default_timeout(10_000)
    tab = context.new_page()
    yield tab
    context.close()
