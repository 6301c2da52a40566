"""Every resident page, in every language (and right-to-left), in every state a resident can
see: axe-core finds no violations at phone and at desktop width, and a screenshot of each is
written to test-output/screenshots/<language>/."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.browser.helpers import (
    INTAKE_STEPS,
    REFERENCE,
    TOO_MANY,
    Site,
    check_every_width,
    complete_form,
    give_answers,
    send,
    with_answers,
)


def _submitted(page: Any, site: Site, language: str, **changes: str) -> str:
    """Send a complete intake through the form; the confirmation page is open."""
    page.goto(site.path("hulpvraag", language))
    complete_form(page, with_answers(INTAKE_STEPS, **changes))
    match = REFERENCE.search(page.locator(".reference").first.inner_text())
    assert match, page.url
    return match.group(0)


def home(page: Any, site: Site, language: str) -> None:
    page.goto(site.path("", language))


def at_step(index: int) -> Callable[[Any, Site, str], None]:
    """The form's step ``index`` (0-based), the steps before it answered."""
    def go(page: Any, site: Site, language: str) -> None:
        page.goto(site.path("hulpvraag", language))
        complete_form(page, INTAKE_STEPS[:index])
    return go


def nothing_answered_at_step(index: int) -> Callable[[Any, Site, str], None]:
    """Step ``index`` sent without any answer: the error summary is shown."""
    def go(page: Any, site: Site, language: str) -> None:
        at_step(index)(page, site, language)
        send(page, INTAKE_STEPS[index])
        assert page.locator(".error-summary").is_visible()
    return go


def wrong_answers(page: Any, site: Site, language: str) -> None:
    """Answers that each give a different message, on the step with the most checks."""
    contact = INTAKE_STEPS.index(next(s for s in INTAKE_STEPS if s.name == "contact"))
    at_step(contact)(page, site, language)
    step = with_answers(INTAKE_STEPS, contact_email="", contact_phone="12",
                        contact_preferred="email")[contact]
    give_answers(page, step)
    send(page, step)
    assert page.locator(".error-summary li").count() >= 3


def crisis_chosen(page: Any, site: Site, language: str) -> None:
    """Danger or crisis chosen: the box appears at once (with the script)."""
    what = INTAKE_STEPS.index(next(s for s in INTAKE_STEPS if s.name == "what"))
    at_step(what)(page, site, language)
    page.locator('[name="urgency"][value="crisis"]').check()
    assert page.locator("#crisis-help").is_visible()


def crisis_next_step(page: Any, site: Site, language: str) -> None:
    """The page after choosing danger or crisis starts with what to do now."""
    _at_check_with(page, site, language, stop_before="contact", urgency="crisis")
    assert page.locator("main > .crisis-box").is_visible()


def check_crisis(page: Any, site: Site, language: str) -> None:
    _at_check_with(page, site, language, urgency="crisis")
    assert page.locator("main > .crisis-box").is_visible()


def _at_check_with(page: Any, site: Site, language: str, stop_before: str = "check",
                   **changes: str) -> None:
    page.goto(site.path("hulpvraag", language))
    steps = with_answers(INTAKE_STEPS, **changes)
    complete_form(page, steps[:[s.name for s in steps].index(stop_before)])


def privacy(page: Any, site: Site, language: str) -> None:
    page.goto(site.path("privacy", language))


def confirmation(page: Any, site: Site, language: str) -> None:
    _submitted(page, site, language)


def confirmation_crisis(page: Any, site: Site, language: str) -> None:
    _submitted(page, site, language, urgency="crisis")
    assert page.locator("#crisis-help").is_visible()


def status_lookup(page: Any, site: Site, language: str) -> None:
    page.goto(site.path("status", language))


def status_lookup_not_found(page: Any, site: Site, language: str) -> None:
    page.goto(site.path("status", language, reference="WL-2026-000000", code="wrong"))
    assert page.locator(".error-summary").is_visible()


def status(page: Any, site: Site, language: str) -> None:
    _reference, path = site.submitted(language)
    page.goto(f"{path}?lang={language}")
    assert page.locator(".timeline li").count() >= 2


def status_question(page: Any, site: Site, language: str) -> None:
    reference, path = site.submitted(language)
    site.ask(reference, "Woont u alleen? Wie helpt u nu in huis?")
    page.goto(f"{path}?lang={language}")
    assert page.locator("textarea[name=body]").count() == 1


def status_question_missing(page: Any, site: Site, language: str) -> None:
    status_question(page, site, language)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert page.locator(".error-summary").is_visible()


def status_closed(page: Any, site: Site, language: str) -> None:
    reference, path = site.submitted(language)
    site.close(reference)
    page.goto(f"{path}?lang={language}")
    assert page.locator("input[name=answer]").count() == 3


def status_feedback_missing(page: Any, site: Site, language: str) -> None:
    status_closed(page, site, language)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert page.locator(".error-summary").is_visible()


def status_feedback_sent(page: Any, site: Site, language: str) -> None:
    status_closed(page, site, language)
    page.locator("input[name=answer][value=ja]").check()
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert page.locator(".notice-success").is_visible()


def status_contact_not_safe(page: Any, site: Site, language: str) -> None:
    """Contact is not safe: the page says only that the question is being handled, and
    asks for the code word."""
    _reference, path = site.submitted(language, contact_safe=False, code_word="Zonnebloem")
    page.goto(f"{path}?lang={language}")
    assert page.locator("input[name=code_word]").count() == 1
    assert page.locator(".timeline").count() == 0


def status_wrong_code_word(page: Any, site: Site, language: str) -> None:
    status_contact_not_safe(page, site, language)
    page.locator("input[name=code_word]").fill("Madelief")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert page.locator(".error-summary").is_visible()


def received_not_stored(page: Any, site: Site, language: str) -> None:
    """The hidden anti-spam field filled in: nothing is stored, yet the page looks received and
    gives the municipality's phone number and opening hours."""
    _at_check_with(page, site, language)
    page.evaluate("document.getElementById('website').value = 'http://spam.example'")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert page.locator('main a[href^="tel:"]').count() == 1
    assert page.locator("main .opening-hours li").count() == 2


def too_many_sent(page: Any, site: Site, language: str) -> None:
    """Sending was refused: too many questions from this network (429). The answers are
    kept, and the page says when to try again and how else to reach the municipality."""
    _at_check_with(page, site, language)
    page.set_extra_http_headers({TOO_MANY: "yes"})
    with page.expect_navigation() as navigation:
        page.locator("main form button[type=submit]").click()
    assert navigation.value.status == 429
    assert page.locator(f'main a[href^="/{site.tenant}/hulpvraag/"]').count() == 1
    assert page.locator('main a[href^="tel:"]').count() == 1


def too_many_lookups(page: Any, site: Site, language: str) -> None:
    """Too many status look-ups from this network (429)."""
    page.set_extra_http_headers({TOO_MANY: "yes"})
    response = page.goto(site.path("status", language))
    assert response.status == 429


def page_not_found(page: Any, site: Site, language: str) -> None:
    response = page.goto(site.path("bestaat-niet", language))
    assert response.status == 404


#: name (also the screenshot's) → how the resident gets there. Each step of the form and
#: its error state (for a step with questions) come from INTAKE_STEPS.
RESIDENT_PAGES: dict[str, Callable[[Any, Site, str], None]] = {
    "01-home": home,
    **{f"02-form-{number}-{step.name}": at_step(number - 1)
       for number, step in enumerate(INTAKE_STEPS, start=1)},
    **{f"03-form-{number}-{step.name}-nothing-answered": nothing_answered_at_step(number - 1)
       for number, step in enumerate(INTAKE_STEPS, start=1) if step.answers},
    "04-form-wrong-answers": wrong_answers,
    "04-form-crisis-chosen": crisis_chosen,
    "04-form-crisis-next-step": crisis_next_step,
    "04-form-check-crisis": check_crisis,
    "05-confirmation": confirmation,
    "06-confirmation-crisis": confirmation_crisis,
    "07-status-lookup": status_lookup,
    "08-status-lookup-not-found": status_lookup_not_found,
    "09-status": status,
    "09-status-question": status_question,
    "09-status-question-missing": status_question_missing,
    "10-status-closed": status_closed,
    "11-status-feedback-missing": status_feedback_missing,
    "12-status-feedback-sent": status_feedback_sent,
    "12-status-contact-not-safe": status_contact_not_safe,
    "12-status-wrong-code-word": status_wrong_code_word,
    "13-page-not-found": page_not_found,
    "14-privacy": privacy,
    "15-received-not-stored": received_not_stored,
    "16-too-many-sent": too_many_sent,
    "16-too-many-lookups": too_many_lookups,
}


@pytest.mark.parametrize("name", list(RESIDENT_PAGES))
def test_a_resident_page_has_no_accessibility_violations(page, site, language, name):
    RESIDENT_PAGES[name](page, site, language)
    check_every_width(page, language, name)

