"""Helpers for browser tests: the live site, axe checks, screenshots, and form answers that
can be given quickly (fill, click) or with the keyboard alone.

A form is described once as a list of steps, each a list of answers: the intake has four
steps and a check page. Every test that walks the form (axe, screenshots, keyboard only)
follows ``INTAKE_STEPS``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlencode

from axe_playwright_python.sync_playwright import Axe
from flask import Flask

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-output" / "screenshots"
REFERENCE = re.compile(r"WL-\d{4}-\d{6}")
#: A request header that makes the test app answer a resident page with 429 Too Many
#: Requests, as the rate limiter would (tests/browser/conftest.py).
TOO_MANY = "X-Wijkloket-Test-Too-Many"
#: How long the cookies of a staff login are used again for another test. A session ends
#: after 30 minutes without a request (SESSION_IDLE_MINUTES), and the kept cookies are those
#: of the moment of the login, so they are renewed well before that.
LOGIN_KEPT_SECONDS = 10 * 60

_AXE = Axe()
#: (site address, e-mail address) → when the account logged in, and its browser's cookies.
_logins: dict[tuple[str, str], tuple[float, list[dict[str, Any]]]] = {}


@dataclass(frozen=True)
class Viewport:
    name: str
    width: int
    height: int

    @property
    def size(self) -> dict[str, int]:
        return {"width": self.width, "height": self.height}


#: 320 CSS pixels: a small phone, and the width WCAG 1.4.10 (Reflow) asks pages to fit.
PHONE = Viewport("phone", 320, 720)
DESKTOP = Viewport("desktop", 1280, 900)
VIEWPORTS = (PHONE, DESKTOP)


@dataclass(frozen=True)
class Site:
    """The app served for the browser: its Flask app (for database set-up) and address."""

    app: Flask
    base_url: str
    tenant: str

    def path(self, page: str = "", language: str | None = None, **query: str) -> str:
        """``/<tenant>/<page>``, with ``?lang=`` when a language is given."""
        if language:
            query = {"lang": language, **query}
        return f"/{self.tenant}/{page}" + (f"?{urlencode(query)}" if query else "")

    def submitted(self, language: str = "nl", **changes: Any) -> tuple[str, str]:
        """A resident's request, made by the intake service (as the form would):
        its reference and the path of its status page."""
        from sqlalchemy import select

        from app.models import Tenant
        from app.services.intake import IntakeData, submit_request
        from app.services.status_tokens import status_token

        answers: dict[str, Any] = {
            "for_whom": "zelf", "life_areas": ("geld",), "urgency": "normaal",
            "description": "Ik heb schulden en kom niet rond.", "consent_share": True,
            "language": language, "postcode": "9999AA", "house_number": "1", "age": 45,
            "contact_email": "bewoner@example.org", "contact_preferred": "email",
        }
        with self.app.test_request_context(), self.database() as session:
            tenant = session.scalar(select(Tenant).where(Tenant.slug == self.tenant))
            request = submit_request(tenant, IntakeData(**{**answers, **changes}))
            reference = request.reference
            return reference, f"/{self.tenant}/status/{reference}/{status_token(request)}"

    def close(self, reference: str) -> None:
        """Every referral of the request finished, and staff closed it."""
        from sqlalchemy import select

        from app.models import SupportRequest, utcnow

        with self.database() as session:
            request = session.scalar(select(SupportRequest).where(
                SupportRequest.reference == reference))
            for referral in request.referrals:
                referral.state, referral.outcome = "completed", "helped"
            request.status, request.closed_at, request.close_note = "closed", utcnow(), "Klaar."
            session.commit()

    def ask(self, reference: str, question: str) -> None:
        """The team asks the resident a question (shown on the status page)."""
        from sqlalchemy import select

        from app.models import SupportRequest, User
        from app.services.resident_questions import ask

        with self.app.test_request_context(), self.database() as session:
            request = session.scalar(select(SupportRequest).where(
                SupportRequest.reference == reference))
            staff = session.scalar(select(User).where(User.team_id == request.owner_team_id))
            ask(staff, request, question)

    def log_in(self, page: Any, email: str) -> None:
        """``page``'s browser is logged in as the staff account ``email`` (a demo account, or
        one made with its password and second factor as ``tests.factories.user`` makes it).

        The login goes through the login pages in a browser of its own, as a person would:
        the password, then the code of the authenticator app. Its cookies are kept and given
        to the next tests that log in as the same account (for ``LOGIN_KEPT_SECONDS``), so
        each account logs in about once per run; ``page`` keeps its own language.
        """
        key = (self.base_url, email.lower())
        kept = _logins.get(key)
        if kept is None or time.monotonic() - kept[0] > LOGIN_KEPT_SECONDS:
            context = page.context.browser.new_context(base_url=self.base_url, locale="nl")
            try:
                self._log_in_with_the_login_pages(context.new_page(), email)
                kept = (time.monotonic(), context.cookies())
            finally:
                context.close()
            _logins[key] = kept
        page.context.add_cookies(kept[1])

    def _log_in_with_the_login_pages(self, page: Any, email: str) -> None:
        """Type the password, then the account's current code. A code works once, so a
        second login within its 30 seconds types the next one, with the app's TOTP clock
        moved on to that code's window while it is checked (as ``tests.conftest.login``)."""
        from unittest import mock

        import pyotp
        from sqlalchemy import func, select

        from app import security
        from app.models import User
        from app.services.demo import DEMO_PASSWORD

        page.goto("/login")
        page.locator("#email").fill(email)
        page.locator("#password").fill(DEMO_PASSWORD)
        with page.expect_navigation():
            page.locator("#password").press("Enter")
        assert page.url.endswith("/login/code"), f"{email}: no code asked, at {page.url}"
        with self.database() as session:
            user_id, secret = session.execute(select(User.id, User.totp_secret).where(
                func.lower(User.email) == email.lower())).one()
            last = security.last_totp_step(user_id)
        step = max(int(time.time() // security.TOTP_INTERVAL), (last or 0) + 1)
        page.locator("#code").fill(pyotp.TOTP(secret).generate_otp(step))
        with mock.patch.object(security, "totp_clock",
                               return_value=step * security.TOTP_INTERVAL + 1), \
                page.expect_navigation():
            page.locator("#code").press("Enter")
        assert "/login" not in page.url, f"{email} was not logged in: {page.url}"

    @contextmanager
    def database(self) -> Iterator[Any]:
        """The app's database session, for setting up a state the browser then shows."""
        from app.extensions import db

        with self.app.app_context():
            try:
                yield db.session
            finally:
                db.session.remove()


def direction_of(language: str) -> str:
    from babel import Locale

    return Locale.parse(language).text_direction


def assert_accessible(page: Any, language: str) -> None:
    """axe-core finds nothing, and the page says its language and direction."""
    html = page.locator("html")
    assert html.get_attribute("lang") == language, page.url
    assert html.get_attribute("dir") == direction_of(language), page.url
    results = _AXE.run(page)
    assert results.violations_count == 0, f"{page.url}\n{results.generate_report()}"


def screenshot(page: Any, language: str, name: str, viewport: Viewport) -> Path:
    """test-output/screenshots/<language>/<name>-<viewport>.png, the whole page."""
    path = SCREENSHOTS / language / f"{name}-{viewport.name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
    return path


_TOO_WIDE = """() => [...document.body.querySelectorAll('*')]
  .filter(e => { const box = e.getBoundingClientRect();
                 return box.width && (box.right > window.innerWidth + 0.5 || box.left < -0.5); })
  .map(e => e.outerHTML.slice(0, 80))"""


def assert_no_sideways_scrolling(page: Any) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, (f"{page.url} is {overflow}px wider than the window:\n"
                           + "\n".join(page.evaluate(_TOO_WIDE)[-5:]))


def check_every_width(page: Any, language: str, name: str) -> None:
    """At phone and at desktop width: axe finds nothing, nothing needs scrolling sideways,
    and a screenshot is written."""
    for viewport in VIEWPORTS:
        page.set_viewport_size(viewport.size)
        assert_accessible(page, language)
        assert_no_sideways_scrolling(page)
        screenshot(page, language, name, viewport)
    page.set_viewport_size(PHONE.size)


# --- Form answers ------------------------------------------------------------------------------

AnswerKind = Literal["text", "radio", "checkbox", "select"]


@dataclass(frozen=True)
class Answer:
    """One answer: type ``value`` into, choose or tick the control named ``name``."""

    kind: AnswerKind
    name: str
    value: str


@dataclass(frozen=True)
class FormStep:
    """One page of a form: its answers in page order, and the button that sends it."""

    name: str
    answers: tuple[Answer, ...]
    submit: str = "button[type=submit]"


def text(name: str, value: str) -> Answer:
    return Answer("text", name, value)


def radio(name: str, value: str) -> Answer:
    return Answer("radio", name, value)


def tick(name: str, value: str = "y") -> Answer:
    return Answer("checkbox", name, value)


def select(name: str, value: str) -> Answer:
    return Answer("select", name, value)


INTAKE_STEPS: tuple[FormStep, ...] = (
    FormStep("who", (
        radio("for_whom", "zelf"),
        text("age", "45"),
    )),
    FormStep("where", (
        text("postcode", "9999 AA"),
        text("house_number", "1"),
        select("housing", "huur"),
    )),
    FormStep("what", (
        tick("life_areas", "geld"),
        tick("life_areas", "wonen"),
        text("description", "Ik heb schulden en ik ben bang dat ik mijn huis kwijtraak."),
        radio("urgency", "spoed"),
    )),
    FormStep("contact", (
        text("contact_name", "Test Bewoner"),
        text("contact_email", "bewoner@example.org"),
        text("contact_phone", "06 12345678"),
        radio("contact_preferred", "telefoon"),
        tick("email_updates"),
        radio("consent_share", "yes"),
    )),
    #: Check your answers, then send: nothing to answer.
    FormStep("check", ()),
)


def with_answers(steps: tuple[FormStep, ...], **changes: str) -> tuple[FormStep, ...]:
    """The same steps with other values for some single-valued answers (by name)."""
    return tuple(
        FormStep(step.name, tuple(
            Answer(a.kind, a.name, changes.get(a.name, a.value)) for a in step.answers
        ), step.submit)
        for step in steps
    )


def control(page: Any, answer: Answer) -> Any:
    if answer.kind in {"radio", "checkbox"}:
        return page.locator(f'[name="{answer.name}"][value="{answer.value}"]')
    return page.locator(f'[name="{answer.name}"]')


def give_answers(page: Any, step: FormStep) -> None:
    """The quick way (fill, check): for tests about what comes after the form."""
    for answer in step.answers:
        target = control(page, answer)
        if answer.kind == "text":
            target.fill(answer.value)
        elif answer.kind == "select":
            target.select_option(answer.value)
        else:
            target.check()


def send(page: Any, step: FormStep) -> None:
    with page.expect_navigation():
        page.locator(step.submit).click()


def complete_form(page: Any, steps: tuple[FormStep, ...] = INTAKE_STEPS) -> None:
    for step in steps:
        give_answers(page, step)
        send(page, step)


# --- The keyboard alone ------------------------------------------------------------------------

_FOCUSED = """() => {
  const e = document.activeElement;
  if (!e || e === document.body) return null;
  return {tag: e.tagName.toLowerCase(), type: e.getAttribute('type') || '', id: e.id,
          name: e.getAttribute('name') || '', value: 'value' in e ? String(e.value) : '',
          checked: !!e.checked, href: e.getAttribute('href') || '',
          classes: e.getAttribute('class') || '', text: (e.innerText || '').trim()};
}"""


@dataclass
class KeyboardOnly:
    """Answers a form with key presses only: Tab, Shift+Tab, arrows, Space, typing, Enter.

    It reads which element has the focus (as a sighted keyboard user sees the focus ring),
    and never clicks, fills or focuses anything itself.
    """

    page: Any
    max_presses: int = 250
    presses: list[str] = field(default_factory=list)

    def press(self, key: str) -> None:
        self.presses.append(key)
        self.page.keyboard.press(key)

    def focused(self) -> dict[str, Any] | None:
        return self.page.evaluate(_FOCUSED)

    def tab_to(self, wanted: Callable[[dict[str, Any]], bool], what: str, *,
               backwards: bool = False) -> dict[str, Any]:
        """Press Tab (or Shift+Tab) until the focused element is the wanted one; no key when
        it already is."""
        now = self.focused()
        if now and wanted(now):
            return now
        for _ in range(self.max_presses):
            self.press("Shift+Tab" if backwards else "Tab")
            now = self.focused()
            if now and wanted(now):
                return now
        raise AssertionError(f"Tab never reached {what} ({len(self.presses)} keys pressed)")

    def answer(self, answer: Answer) -> None:
        name = answer.name
        if answer.kind == "checkbox":
            now = self.tab_to(lambda e: e["name"] == name and e["value"] == answer.value,
                              f"checkbox {name}={answer.value}")
            if not now["checked"]:
                self.press("Space")
        elif answer.kind == "radio":
            # A radio group is one Tab stop; the arrow keys move the choice within it.
            now = self.tab_to(lambda e: e["name"] == name, f"radio group {name}")
            for _ in range(20):
                if now.get("value") == answer.value:
                    break
                self.press("ArrowDown")
                now = self.focused() or {}
            assert now.get("value") == answer.value, f"arrows never reached {name}={answer.value}"
            if not now["checked"]:
                self.press("Space")
        elif answer.kind == "select":
            now = self.tab_to(lambda e: e["name"] == name, f"select {name}")
            self.press("Home")
            for _ in range(30):
                now = self.focused() or {}
                if now.get("value") == answer.value:
                    break
                self.press("ArrowDown")
            assert now.get("value") == answer.value, f"arrows never chose {name}={answer.value}"
        else:
            self.tab_to(lambda e: e["name"] == name, f"field {name}")
            self.press("ControlOrMeta+a")
            self.press("Delete")
            self.page.keyboard.type(answer.value)
            self.presses.append(f"type:{answer.value}")

    def send(self) -> None:
        """Tab to the form's submit button and press Enter."""
        self.tab_to(lambda e: e["tag"] == "button" and e["type"] == "submit", "the submit button")
        with self.page.expect_navigation():
            self.press("Enter")

    def complete(self, steps: tuple[FormStep, ...] = INTAKE_STEPS) -> None:
        for step in steps:
            for answer in step.answers:
                self.answer(answer)
            self.send()
