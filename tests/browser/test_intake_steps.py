"""The intake in steps in a real browser: it works without JavaScript (the script only adds
to it), danger or crisis shows what to do, answers survive the language switcher and the
back link, and the back button never sends a question twice."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.browser.helpers import (
    INTAKE_STEPS,
    REFERENCE,
    Site,
    complete_form,
    give_answers,
    send,
    with_answers,
)

WHAT = [step.name for step in INTAKE_STEPS].index("what")


def _stored_with(site: Site, description: str) -> int:
    from app.models import SupportRequest

    with site.database() as session:
        return session.scalar(select(func.count(SupportRequest.id)).where(
            SupportRequest.description == description))


def test_the_whole_form_works_without_javascript(page_without_script, site):
    page = page_without_script
    page.goto(site.path("hulpvraag", "en"))
    steps = with_answers(INTAKE_STEPS, description="Zonder script verstuurd.", urgency="crisis")
    complete_form(page, steps[:WHAT])
    give_answers(page, steps[WHAT])
    # Without the script the box does not appear on this page ...
    assert not page.locator("#crisis-help").is_visible()
    send(page, steps[WHAT])
    # ... the next page starts with it, before anything else.
    first = page.locator("main > *").first
    assert first.get_attribute("class") == "crisis-box" and first.is_visible()
    assert "0800-2000" in first.inner_text() and "0800-0113" in first.inner_text()
    complete_form(page, steps[WHAT + 1:])
    assert REFERENCE.search(page.locator(".reference").first.inner_text())
    assert _stored_with(site, "Zonder script verstuurd.") == 1


def test_with_the_script_choosing_crisis_shows_what_to_do_at_once(page, site):
    page.goto(site.path("hulpvraag", "en"))
    complete_form(page, INTAKE_STEPS[:WHAT])
    box = page.locator("#crisis-help")
    assert not box.is_visible()
    page.locator('[name="urgency"][value="crisis"]').check()
    assert box.is_visible()
    assert "112" in box.inner_text()
    page.locator('[name="urgency"][value="normaal"]').check()
    assert not box.is_visible()


def test_the_language_switcher_keeps_every_answer_also_the_ones_on_the_page(page, site):
    page.goto(site.path("hulpvraag", "nl"))
    complete_form(page, INTAKE_STEPS[:WHAT])
    page.locator('[name="description"]').fill("Nog niet verstuurd.")
    with page.expect_navigation():
        page.locator('.language a[data-lang="en"]').click()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator('[name="description"]').input_value() == "Nog niet verstuurd."
    # The earlier steps, through the back links.
    with page.expect_navigation():
        page.locator(".back-link").click()
    assert page.locator('[name="postcode"]').input_value() == "9999 AA"
    with page.expect_navigation():
        page.locator(".back-link").click()
    assert page.locator('[name="age"]').input_value() == "45"
    assert page.locator('[name="for_whom"][value="zelf"]').is_checked()


def test_the_back_button_after_sending_never_sends_the_question_twice(page, site):
    description = "Eén keer versturen, ook na de terugknop."
    page.goto(site.path("hulpvraag", "nl"))
    complete_form(page, with_answers(INTAKE_STEPS, description=description))
    confirmation = page.url
    page.go_back()  # to the check page (shown again, or fetched: then the confirmation)
    send_again = page.locator("main form button[type=submit]")
    if send_again.count():
        with page.expect_navigation():
            send_again.click()
    assert page.url == confirmation
    assert _stored_with(site, description) == 1


def test_a_change_link_on_the_check_page_leads_to_the_answer_and_back(page, site):
    page.goto(site.path("hulpvraag", "en"))
    complete_form(page, INTAKE_STEPS[:-1])
    with page.expect_navigation():
        page.locator('a[href$="#house_number"]').click()
    assert page.url.endswith("/hulpvraag/waar#house_number")
    page.locator('[name="house_number"]').fill("3")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert page.url.endswith("/hulpvraag/controleren")
    assert "3" in page.locator(".check-list").nth(1).inner_text()
