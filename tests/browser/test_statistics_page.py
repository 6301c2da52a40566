"""The public statistics page (/<tenant>/cijfers) is as accessible as every resident page:
axe finds nothing at phone and at desktop width, in every language, with the quarter chooser
working without JavaScript."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.helpers import Site, check_every_width


def figures(page: Any, site: Site, language: str) -> None:
    page.goto(site.path("cijfers", language))
    assert page.locator("main table caption").count() == 3


def figures_of_a_chosen_quarter(page: Any, site: Site, language: str) -> None:
    """The chooser is a plain GET form: choosing a quarter and sending shows it."""
    page.goto(site.path("cijfers", language))
    chosen = page.locator("#period option").nth(1).get_attribute("value")
    page.locator("#period").select_option(chosen)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert f"period={chosen}" in page.url
    assert page.locator("#period").input_value() == chosen


def figures_of_a_bad_period(page: Any, site: Site, language: str) -> None:
    response = page.goto(site.path("cijfers", language, period="2015-Q0"))
    assert response.status == 400
    assert page.locator(".error-summary").is_visible()


PAGES = {
    "20-figures": figures,
    "21-figures-chosen-quarter": figures_of_a_chosen_quarter,
    "22-figures-bad-period": figures_of_a_bad_period,
}


@pytest.mark.parametrize("name", list(PAGES))
def test_the_figures_page_has_no_accessibility_violations(page, site, language, name):
    PAGES[name](page, site, language)
    check_every_width(page, language, name)
