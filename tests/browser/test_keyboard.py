"""The resident's pages work with the keyboard alone, and the focus is always visible."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from sqlalchemy import select

from tests.browser.helpers import INTAKE_STEPS, KeyboardOnly, Site

# What a visible focus indicator is, in the page's own terms: a real outline or a box
# shadow while :focus-visible matches, on an element that is on the screen.
_FOCUS_LOOK = """() => {
  const e = document.activeElement;
  if (!e || e === document.body) return null;
  const style = getComputedStyle(e), box = e.getBoundingClientRect();
  return {
    element: e.outerHTML.slice(0, 120),
    focusVisible: e.matches(':focus-visible'),
    outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2,
    shadow: style.boxShadow !== 'none',
    onScreen: box.width > 0 && box.height > 0 && box.bottom > 0 && box.right > 0
              && box.top < window.innerHeight && box.left < window.innerWidth,
  };
}"""


def _reference_on_the_page(page: Any) -> str:
    text = page.locator(".reference").first.inner_text()
    assert re.fullmatch(rf"WL-{dt.date.today().year}-\d{{6}}", text), text
    return text


def test_the_whole_form_can_be_completed_with_the_keyboard_alone(page, site, language):
    from app.models import SupportRequest

    page.goto(site.path("", language))
    keys = KeyboardOnly(page)
    keys.tab_to(lambda e: e["tag"] == "a" and e["href"].endswith("/hulpvraag"), "Start")
    with page.expect_navigation():
        keys.press("Enter")

    keys.complete(INTAKE_STEPS)

    reference = _reference_on_the_page(page)
    with site.database() as session:
        stored = session.scalar(select(SupportRequest).where(
            SupportRequest.reference == reference))
        assert stored.language == language
        assert stored.contact_preferred == "telefoon"
        assert stored.urgency == "spoed"
        assert stored.email_updates is True
        assert stored.housing == "huur"
        assert sorted(stored.life_areas) == ["geld", "wonen"]


def test_with_the_keyboard_an_error_leads_to_the_answer_to_fix(page, site):
    page.goto(site.path("hulpvraag", "en"))
    keys = KeyboardOnly(page)
    keys.send()

    # The summary takes the focus itself (autofocus), once the page is rendered.
    page.wait_for_function("document.activeElement.classList.contains('error-summary')")
    summary = keys.focused()
    assert summary and "error-summary" in summary["classes"], summary
    first = keys.tab_to(lambda e: e["tag"] == "a", "the first error")
    assert first["href"] == "#for_whom"
    keys.tab_to(lambda e: e["href"] == "#age", "the age's error")
    keys.press("Enter")  # a field: the link puts the focus in it
    assert (keys.focused() or {}).get("id") == "age"

    keys.tab_to(lambda e: e["href"] == "#for_whom", "the first error", backwards=True)
    keys.press("Enter")  # a group: to its fieldset, and the next Tab is into its options
    keys.press("Tab")
    assert (keys.focused() or {}).get("name") == "for_whom"

    keys.complete(INTAKE_STEPS)
    _reference_on_the_page(page)


def _check_focus_on_every_stop(page: Any) -> int:
    """Tab round the page once (from wherever the focus is); every stop shows its focus.
    Returns the number of stops."""
    keys = KeyboardOnly(page)
    seen: list[str] = []
    for _ in range(keys.max_presses):
        keys.press("Tab")
        look = page.evaluate(_FOCUS_LOOK)
        if look is None:  # between the last stop and the first
            continue
        if look["element"] in seen:
            break
        seen.append(look["element"])
        assert look["focusVisible"], look
        assert look["outline"] or look["shadow"], f"no visible focus on {look['element']}"
        assert look["onScreen"], f"focused but off screen: {look['element']}"
    else:
        raise AssertionError("Tab never came round to the first stop again")
    return len(seen)


@pytest.mark.parametrize("where", ["home", "intake with errors", "status lookup"])
def test_every_stop_of_the_tab_order_shows_the_focus(page, site, language, where):
    if where == "home":
        page.goto(site.path("", language))
    elif where == "status lookup":
        page.goto(site.path("status", language))
    else:
        page.goto(site.path("hulpvraag", language))
        KeyboardOnly(page).send()
    assert _check_focus_on_every_stop(page) >= 4


def test_the_skip_link_comes_first_and_leads_to_the_content(page, site: Site, language):
    page.goto(site.path("hulpvraag", language))
    keys = KeyboardOnly(page)
    keys.press("Tab")
    first = keys.focused()
    assert first and first["href"] == "#main", first
    assert page.evaluate(_FOCUS_LOOK)["onScreen"]
    keys.press("Enter")
    keys.press("Tab")
    inside = page.evaluate("document.querySelector('main').contains(document.activeElement)")
    assert inside, keys.focused()
