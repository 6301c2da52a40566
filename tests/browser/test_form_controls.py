"""What axe does not check on the resident's forms: every group of options has a fieldset and
a legend, contact fields say what they hold (autocomplete), and an error is said in words."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.helpers import INTAKE_STEPS, Site, give_answers, send

# Every visible control with its label text, and every radio/checkbox group in one fieldset
# with a legend; returns the problems found.
_CONTROL_PROBLEMS = """() => {
  const problems = [];
  for (const c of document.querySelectorAll('input:not([type=hidden]), select, textarea')) {
    const what = c.outerHTML.slice(0, 100);
    if (![...c.labels].some(label => label.innerText.trim())) problems.push('no label: ' + what);
    const group = document.querySelectorAll(`[name="${c.name}"]`);
    if (c.type === 'radio' || (c.type === 'checkbox' && group.length > 1)) {
      const fieldset = c.closest('fieldset');
      const legend = fieldset && fieldset.querySelector(':scope > legend');
      if (!legend || !legend.innerText.trim()) problems.push('no fieldset with a legend: ' + what);
      else if ([...group].some(other => other.closest('fieldset') !== fieldset))
        problems.push('group split over fieldsets: ' + c.name);
    }
  }
  return problems;
}"""


def _feedback_form(page: Any, site: Site, language: str) -> None:
    reference, path = site.submitted(language)
    site.close(reference)
    page.goto(f"{path}?lang={language}")


def _intake_with_errors(page: Any, site: Site, language: str) -> None:
    page.goto(site.path("hulpvraag", language))
    send(page, INTAKE_STEPS[0])


def _every_step(page: Any, site: Site, language: str) -> None:
    """Each step of the intake in turn, checked on the way (the last: the check page)."""
    page.goto(site.path("hulpvraag", language))
    for step in INTAKE_STEPS[:-1]:
        assert page.evaluate(_CONTROL_PROBLEMS) == [], step.name
        give_answers(page, step)
        send(page, step)


FORMS = {
    "intake": lambda page, site, language: page.goto(site.path("hulpvraag", language)),
    "intake, every step": _every_step,
    "intake with errors": _intake_with_errors,
    "status lookup": lambda page, site, language: page.goto(site.path("status", language)),
    "feedback": _feedback_form,
}


@pytest.mark.parametrize("form", FORMS)
def test_every_control_has_a_label_and_every_group_a_legend(page, site, form):
    FORMS[form](page, site, "nl")
    assert page.locator("main input:not([type=hidden])").count() > 0
    assert page.evaluate(_CONTROL_PROBLEMS) == []


def test_contact_fields_tell_the_browser_what_they_hold(page, site):
    expected = {
        "contact_name": ("text", "name"),
        "contact_email": ("email", "email"),
        "contact_phone": ("tel", "tel"),
        "postcode": ("text", "postal-code"),
        "address": ("text", "street-address"),
        "birth_date": ("date", "bday"),
    }
    page.goto(site.path("hulpvraag", "nl"))
    seen = set()
    for step in INTAKE_STEPS:  # the fields are spread over the steps
        for name, (kind, autocomplete) in expected.items():
            field = page.locator(f'[name="{name}"]')
            if field.count():
                seen.add(name)
                assert (field.get_attribute("type") or "text",
                        field.get_attribute("autocomplete")) == (kind, autocomplete), name
        if step.name != "check":
            give_answers(page, step)
            send(page, step)
    assert seen == set(expected)


def test_an_error_is_said_in_words_not_only_in_red(page, site):
    _intake_with_errors(page, site, "en")
    assert page.title().startswith("Error:")
    messages = page.locator(".field-error")
    assert messages.count() == page.locator(".error-summary li").count() >= 2
    for index in range(messages.count()):
        message = messages.nth(index)
        assert message.inner_text().startswith("Error:")
        error_id = message.get_attribute("id")
        described = page.locator(f'[aria-describedby~="{error_id}"]')
        assert described.count() == 1, error_id
    for field in page.locator('.field-invalid input[type="text"]').all():
        assert field.get_attribute("aria-invalid") == "true"
