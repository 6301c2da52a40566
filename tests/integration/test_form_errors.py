"""Bad input on the resident form: a message per field, a summary, nothing lost or stored."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import SupportRequest
from tests.integration.helpers import check_page, form_data, submit_form

CASES = [
    ("postcode", {"postcode": "12345"}, "Enter a postcode like 1234 AB."),
    ("postcode", {"postcode": "SW1A 1AA"}, "Enter a postcode like 1234 AB."),
    ("house_number", {"house_number": "abc"}, "Enter a house number like 12 or 12a."),
    ("contact_email", {"contact_email": "not-an-address"}, "Enter an e-mail address like"),
    ("contact_phone", {"contact_phone": "12"}, "Enter a phone number like 06 12345678."),
    ("for_whom", {"for_whom": None}, "Choose who the question is for."),
    ("life_areas", {"life_areas": None}, "Choose at least one subject."),
    ("description", {"description": "x" * 4001}, "Use at most 4000 characters."),
    ("description", {"description": "   "}, "Tell us in a few words what is going on."),
    ("age", {"age": "140"}, "Enter an age between 0 and 120."),
    ("age", {"age": None}, "Enter a date of birth or an age."),
    ("consent_share", {"consent_share": None}, "Choose whether we may share your question."),
    ("contact_email", {"contact_email": "", "contact_phone": "", "contact_preferred": None},
     "Enter an e-mail address or a phone number."),
]


@pytest.mark.parametrize(("field", "changes", "message"), CASES)
def test_bad_input_comes_back_with_a_message_and_keeps_what_was_typed(
    client, demo, field, changes, message
):
    data = form_data(**{"description": "Mijn verhaal blijft staan.", **changes})
    response = submit_form(client, "/demo/hulpvraag?lang=en", data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    check_page(html)
    assert "error-summary" in html
    assert f'href="#{field}"' in html
    assert message in html
    if "description" not in changes:
        assert "Mijn verhaal blijft staan." in html
    if "contact_name" not in changes:
        assert 'value="Test Bewoner"' in html
    assert db.session.scalar(select(func.count(SupportRequest.id))) == 0


def test_messages_are_dutch_by_default(client, demo):
    response = submit_form(client, "/demo/hulpvraag", form_data(postcode="12"))
    html = response.get_data(as_text=True)
    assert 'lang="nl"' in html
    assert "Vul een postcode in" in html


def test_a_wrong_csrf_token_gives_a_friendly_page(client, demo):
    response = client.post("/demo/hulpvraag", data={**form_data(), "csrf_token": "forged"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    check_page(html)
    assert "Traceback" not in html


def test_a_body_over_the_limit_is_refused_with_413(client, demo):
    response = client.post("/demo/hulpvraag", data={"description": "x" * 100_000})
    assert response.status_code == 413


def test_an_unknown_language_falls_back_to_dutch(client, demo):
    html = client.get("/demo/hulpvraag?lang=xx").get_data(as_text=True)
    assert 'lang="nl"' in html


def test_an_unknown_municipality_is_404(client, demo):
    assert client.get("/nergensdorp/hulpvraag").status_code == 404
