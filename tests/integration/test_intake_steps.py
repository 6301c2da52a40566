"""The resident's intake in steps: who, where, what is going on, how to reach you, check and
send. Answers are kept between pages (back links, language switcher, change links), the
question is sent once, robots and floods are stopped without stopping a resident."""

from __future__ import annotations

import logging
import random
import re
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.extensions import db
from app.models import SupportRequest
from tests.conftest import csrf_token
from tests.integration.helpers import check_page, form_data, submit_form

START = "/demo/hulpvraag"
CHECK = "/demo/hulpvraag/controleren"

ANSWERS: dict[str, dict[str, Any]] = {
    "wie": {"for_whom": "zelf", "age": "45"},
    "waar": {"postcode": "9999 AA", "house_number": "1", "housing": "huur"},
    "wat": {"life_areas": ["geld", "wonen"], "description": "Ik heb schulden.\nDe huur is hoog.",
            "urgency": "normaal"},
    "contact": {"contact_name": "Test Bewoner", "contact_email": "bewoner@example.org",
                "contact_phone": "06 12345678", "contact_preferred": "telefoon",
                "consent_share": "no"},
}


@pytest.fixture
def app_config(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Default configuration; a test changes it with ``indirect`` parametrisation."""
    return getattr(request, "param", {})


def html_of(response: Any) -> str:
    return response.get_data(as_text=True)


def submission_token(html: str) -> str:
    match = re.search(r'name="submission_token"[^>]*value="([^"]*)"', html)
    assert match, "no submission_token in page"
    return match.group(1)


def post_step(client: FlaskClient, step: str, data: dict[str, Any], query: str = "") -> Any:
    """Open the step (as the browser shows it), then send ``data`` from it. The first step
    is opened as a resident arrives: at the start of the form."""
    page = html_of(client.get(f"{START}{query}" if step == "wie" else f"{START}/{step}{query}"))
    return client.post(f"{START}/{step}{query}", data={
        "csrf_token": csrf_token(page), "submission_token": submission_token(page), **data})


def walk(client: FlaskClient, until: str | None = None, **changes: dict[str, Any]) -> None:
    """Answer the steps in order (up to, not including, ``until``)."""
    for step, answers in ANSWERS.items():
        if step == until:
            return
        response = post_step(client, step, {**answers, **changes.get(step, {})})
        assert response.status_code == 302, html_of(response)[:3000]


def send(client: FlaskClient, **extra: str) -> Any:
    page = html_of(client.get(CHECK))
    return client.post(CHECK, data={"csrf_token": csrf_token(page),
                                    "submission_token": submission_token(page), **extra})


def requests_stored() -> int:
    return db.session.scalar(select(func.count(SupportRequest.id)))


def test_the_form_starts_with_step_one_with_its_tokens(client, demo):
    response = client.get(f"{START}?lang=en")
    html = html_of(response)
    assert response.status_code == 200
    check_page(html)
    assert csrf_token(html) and submission_token(html)
    assert "Step 1 of 5" in html
    assert 'action="/demo/hulpvraag/wie"' in html
    assert 'name="for_whom"' in html and 'name="postcode"' not in html
    assert re.search(r'<ol class="progress-steps"[^>]*>', html)
    assert html.count('aria-current="step"') == 1
    assert response.headers["Cache-Control"] == "no-store"


def test_each_step_leads_to_the_next_and_then_to_the_check_page(client, demo):
    client.get(f"{START}?lang=en")
    locations = []
    for step, answers in ANSWERS.items():
        response = post_step(client, step, answers)
        assert response.status_code == 302
        locations.append(response.headers["Location"])
        page = client.get(response.headers["Location"])
        assert page.status_code == 200
        check_page(html_of(page))
    assert locations == [f"{START}/waar", f"{START}/wat", f"{START}/contact", CHECK]


def test_a_step_with_errors_shows_the_summary_for_its_own_fields_and_keeps_what_was_typed(
        client, demo):
    client.get(f"{START}?lang=en")
    response = post_step(client, "wie", {"age": "140"})
    html = html_of(response)
    assert response.status_code == 422
    check_page(html)
    assert "<title>Error: Step 1 of 5" in html
    assert 'class="error-summary"' in html
    assert 'href="#for_whom"' in html and 'href="#age"' in html
    assert "Enter an age between 0 and 120." in html
    assert 'value="140"' in html
    assert 'href="#postcode"' not in html  # the next step's fields are not checked yet


def test_a_back_link_shows_the_answers_already_given(client, demo):
    walk(client, until="wat")
    where = html_of(client.get(f"{START}/wat"))
    assert 'class="back-link" href="/demo/hulpvraag/waar"' in where
    page = html_of(client.get(f"{START}/waar"))
    assert 'value="9999 AA"' in page and 'value="1"' in page
    assert re.search(r'<option selected value="huur">|<option value="huur" selected>', page)
    first = html_of(client.get(f"{START}/wie"))
    assert re.search(r'<input checked [^>]*id="for_whom-0"[^>]*value="zelf"', first)
    assert 'value="45"' in first
    assert 'class="back-link" href="/demo/"' in first


def test_switching_language_mid_form_keeps_every_answer(client, demo):
    walk(client, until="contact")
    english = html_of(client.get(f"{START}/contact?lang=en"))
    assert 'lang="en"' in english and "Step 4 of 5" in english
    for step, expected in [("wie", 'value="45"'), ("waar", 'value="9999 AA"'),
                           ("wat", "Ik heb schulden.")]:
        assert expected in html_of(client.get(f"{START}/{step}")), step
    walk_from_contact = post_step(client, "contact", ANSWERS["contact"])
    assert walk_from_contact.headers["Location"] == CHECK
    check = html_of(client.get(CHECK))
    assert 'lang="en"' in check and "Test Bewoner" in check
    assert send(client).status_code == 302
    assert db.session.scalar(select(SupportRequest.language)) == "en"


def test_the_language_switch_with_the_script_also_keeps_what_was_typed_on_the_page(
        client, demo):
    walk(client, until="wat")
    # intake.js sends the page with the chosen language instead of following the link.
    response = post_step(client, "wat", {"description": "Half af", "switch_language": "en"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"{START}/wat?lang=en"
    html = html_of(client.get(response.headers["Location"]))
    assert 'lang="en"' in html
    assert "Half af" in html
    assert 'class="error-summary"' not in html  # not checked yet: the resident was typing


def test_the_check_page_lists_every_answer_with_a_link_to_change_it(client, demo):
    walk(client)
    response = client.get(f"{CHECK}?lang=en")
    html = html_of(response)
    assert response.status_code == 200
    check_page(html)
    assert "Step 5 of 5" in html
    assert response.headers["Cache-Control"] == "no-store"
    for shown in ["For myself", "45", "9999 AA", "Rented home", "Money, debts or benefits",
                  "Housing, or the risk of losing my home", "Ik heb schulden.\nDe huur is hoog.",
                  "Normal: it can wait a few days", "Test Bewoner", "bewoner@example.org",
                  "06 12345678", "By phone", "No, only the neighbourhood team"]:
        assert shown in html, shown
    for step, field in [("wie", "for_whom"), ("wie", "age"), ("waar", "postcode"),
                        ("wat", "description"), ("contact", "consent_share")]:
        assert f'href="/demo/hulpvraag/{step}#{field}"' in html, field
    assert 'class="back-link" href="/demo/hulpvraag/contact"' in html


def test_a_change_from_the_check_page_comes_back_to_the_check_page(client, demo):
    walk(client)
    client.get(CHECK)
    response = post_step(client, "wat", {**ANSWERS["wat"], "description": "Nieuw verhaal."})
    assert response.headers["Location"] == CHECK
    html = html_of(client.get(CHECK))
    assert "Nieuw verhaal." in html and "Test Bewoner" in html
    send(client)
    assert db.session.scalar(select(SupportRequest.description)) == "Nieuw verhaal."


def test_the_check_page_sends_back_to_a_step_that_is_not_answered(client, demo):
    walk(client, until="wat")
    response = client.get(CHECK)
    assert response.status_code == 302
    assert response.headers["Location"] == f"{START}/wat"


def test_sending_stores_the_answers_and_shows_the_confirmation(client, demo):
    walk(client)
    response = send(client)
    assert response.status_code == 302
    confirmation = client.get(response.headers["Location"])
    assert confirmation.status_code == 200
    stored = db.session.scalar(select(SupportRequest))
    assert stored.reference in html_of(confirmation)
    assert (stored.for_whom, stored.age, stored.postcode, stored.house_number) == (
        "zelf", 45, "9999AA", "1")
    assert sorted(stored.life_areas) == ["geld", "wonen"]
    assert stored.contact_phone == "+31612345678" and stored.contact_preferred == "telefoon"
    assert stored.consent_share is False
    assert stored.channel == "web" and stored.language == "nl"
    with client.session_transaction() as session:
        assert session["intake"]["demo"].get("answers") in ({}, None)  # not kept once sent


def test_sending_twice_creates_one_request(client, demo):
    walk(client)
    page = html_of(client.get(CHECK))
    data = {"csrf_token": csrf_token(page), "submission_token": submission_token(page)}
    first = client.post(CHECK, data=data)
    second = client.post(CHECK, data=data)  # a double click, or the page sent again
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert requests_stored() == 1


def test_the_back_button_after_sending_shows_the_confirmation_never_a_second_request(
        client, demo):
    walk(client)
    page = html_of(client.get(CHECK))
    data = {"csrf_token": csrf_token(page), "submission_token": submission_token(page)}
    confirmation_url = client.post(CHECK, data=data).headers["Location"]
    for step in ["contact", "wie"]:
        response = client.get(f"{START}/{step}")  # the browser's back button
        assert response.headers["Location"] == confirmation_url
    assert client.get(CHECK).headers["Location"] == confirmation_url
    # A step page from before sending, changed and sent again, and the check page again.
    stale = client.post(f"{START}/contact", data={**data, **ANSWERS["contact"]})
    assert stale.headers["Location"] == confirmation_url
    again = client.post(CHECK, data=data)
    assert again.headers["Location"] == confirmation_url
    html = html_of(client.get(confirmation_url))
    assert "Deze vraag is al verstuurd." in html
    assert requests_stored() == 1


def test_after_sending_the_form_starts_a_new_question(client, demo):
    walk(client)
    first_token = submission_token(html_of(client.get(CHECK)))
    send(client)
    page = html_of(client.get(START))
    assert submission_token(page) != first_token
    assert 'value="45"' not in page
    walk(client, wat={"description": "Een tweede vraag."})
    send(client)
    assert requests_stored() == 2


def test_a_token_of_another_browser_opens_nothing(app, client, demo):
    walk(client)
    page = html_of(client.get(CHECK))
    token = submission_token(page)
    send(client)
    other = app.test_client()
    walk(other)
    other_page = html_of(other.get(CHECK))
    response = other.post(CHECK, data={"csrf_token": csrf_token(other_page),
                                       "submission_token": token})
    assert response.headers["Location"] == START  # not the first browser's confirmation
    assert requests_stored() == 1


def test_a_step_without_answers_in_this_browser_starts_again(client, demo):
    response = client.get(f"{START}/wat?lang=en")
    assert response.status_code == 302
    assert response.headers["Location"] == START
    assert "Your answers were not kept" in html_of(client.get(START))
    assert client.get(f"{START}/bestaat-niet").status_code == 404


def test_the_whole_form_in_one_post_still_works(client, demo):
    response = submit_form(client, START, form_data())
    assert response.status_code == 302
    assert "/demo/bevestiging/" in response.headers["Location"]
    assert requests_stored() == 1


def test_a_one_page_post_with_errors_keeps_the_answers_for_the_steps(client, demo):
    response = submit_form(client, START, form_data(age="140"))
    assert response.status_code == 422
    assert 'name="postcode"' in html_of(response)  # the whole form, on one page
    page = html_of(client.get(f"{START}?lang=en"))  # e.g. the language switcher
    assert 'value="140"' in page
    assert 'value="Test Bewoner"' in html_of(client.get(f"{START}/contact"))


def test_a_one_page_form_sent_again_with_errors_after_sending_makes_no_second_request(
        client, demo):
    page = html_of(client.get(START))
    data = {"csrf_token": csrf_token(page), "submission_token": submission_token(page),
            **form_data()}
    confirmation = client.post(START, data=data).headers["Location"]
    again = client.post(START, data={**data, "age": "140"})  # back, changed, wrong
    assert again.status_code == 422
    assert submission_token(html_of(again)) == data["submission_token"]
    assert client.post(START, data={**data, "age": "50"}).headers["Location"] == confirmation
    assert requests_stored() == 1


def test_a_one_page_post_after_steps_marks_the_question_as_sent(client, demo):
    walk(client, until="contact")
    token = submission_token(html_of(client.get(START)))
    page = html_of(client.get(START))
    response = client.post(START, data={"csrf_token": csrf_token(page),
                                        "submission_token": token, **form_data()})
    assert response.status_code == 302
    assert client.get(CHECK).headers["Location"] == response.headers["Location"]
    assert requests_stored() == 1


def test_answers_too_long_to_keep_between_pages_go_on_one_page(client, demo):
    """A session cookie holds about 4 KB; a long story in another script may not fit."""
    walk(client, until="wat")
    rng = random.Random(7)
    story = "".join(chr(rng.randrange(0x4E00, 0x9FFF)) for _ in range(4000))
    response = post_step(client, "wat", {**ANSWERS["wat"], "description": story})
    html = html_of(response)
    assert response.status_code == 200
    check_page(html)
    assert story in html
    assert 'action="/demo/hulpvraag"' in html and 'name="contact_email"' in html
    assert 'value="9999 AA"' in html  # the earlier steps' answers are on it too
    for cookie in response.headers.getlist("Set-Cookie"):
        assert len(cookie) < 4096
    data = {"csrf_token": csrf_token(html), "submission_token": submission_token(html),
            **form_data(description=story)}
    assert client.post(START, data=data).status_code == 302
    assert db.session.scalar(select(SupportRequest.description)) == story


# --- Danger or crisis ------------------------------------------------------------------------


def test_choosing_crisis_makes_the_next_page_start_with_what_to_do_now(client, demo):
    walk(client, until="wat")
    page = html_of(client.get(f"{START}/wat?lang=en"))
    # On the page with the choice the box waits, hidden, for the script to show it at once.
    assert re.search(r'<div data-crisis-box hidden>', page)
    assert 'src="/static/js/intake.js"' in page and "<script>" not in page
    response = post_step(client, "wat", {**ANSWERS["wat"], "urgency": "crisis"})
    html = html_of(client.get(response.headers["Location"]))
    main = html[html.index('<main'):]
    assert main.index('class="crisis-box"') < main.index("<h1")
    for number in ["112", "0800-2000", "0800-0113"]:
        assert number in main[:main.index("<h1")]
    assert "You can still send this form. We will handle it first." in html
    back = html_of(client.get(f"{START}/wat"))
    assert "<div data-crisis-box>" in back  # chosen: shown without the script
    walk(client, wat={"urgency": "crisis"})
    assert 'class="crisis-box"' in html_of(client.get(CHECK))
    send(client)
    assert db.session.scalar(select(SupportRequest.priority)) == "crisis"


def test_without_crisis_the_next_page_has_no_crisis_box(client, demo):
    walk(client, until="contact")
    html = html_of(client.get(f"{START}/contact"))
    assert 'class="crisis-box"' not in html
    assert "0800-2000" in html  # the footer keeps the numbers on every page


# --- Robots -----------------------------------------------------------------------------------


def test_the_hidden_field_is_out_of_sight_and_labelled(client, demo):
    html = html_of(client.get(f"{START}?lang=en"))
    field = re.search(r'<input[^>]*name="website"[^>]*>', html).group(0)
    assert 'tabindex="-1"' in field and 'autocomplete="off"' in field
    assert '<label for="website">Leave this field empty.' in html
    check_page(html)


def test_a_filled_hidden_field_drops_a_one_page_post_without_telling(client, demo, caplog):
    with caplog.at_level(logging.WARNING, logger="wijkloket.resident"):
        response = submit_form(client, f"{START}?lang=en", form_data(website="http://spam"))
    assert response.status_code == 200
    html = html_of(response)
    check_page(html)
    assert "Your question has been received" in html
    assert "centraal@demodorp.example" in html  # what to do if no answer comes
    assert not re.search(r"WL-\d{4}-\d{6}", html)
    assert requests_stored() == 0
    assert "hidden anti-spam field" in caplog.text


def test_a_filled_hidden_field_on_a_step_drops_the_question_when_sent(client, demo, caplog):
    walk(client, waar={"website": "spam"})
    with caplog.at_level(logging.WARNING, logger="wijkloket.resident"):
        response = send(client)
    assert response.status_code == 200
    assert requests_stored() == 0
    assert "hidden anti-spam field" in caplog.text


# --- Too many questions from one network -------------------------------------------------------


@pytest.mark.parametrize("app_config", [{"RATELIMIT_ENABLED": True,
                                         "INTAKE_RATE_LIMIT": "2 per hour"}], indirect=True)
def test_too_many_questions_get_a_clear_page_that_keeps_the_answers(client, demo):
    client.get(f"{START}?lang=en")
    for _attempt in range(3):  # a form sent back with errors does not count
        assert submit_form(client, START, form_data(age="140")).status_code == 422
    for _attempt in range(2):
        walk(client)  # steps and changes do not count: only sending does
        walk(client)
        assert send(client).status_code == 302
        client.get(START)
    walk(client)
    response = send(client)
    html = html_of(response)
    assert response.status_code == 429
    check_page(html)
    assert "Too many attempts" in html
    assert re.search(r"Many questions were sent from your network in a short time\. "
                     r"Please wait (\d+) minutes? and try again\.", html)
    assert 0 < int(response.headers["Retry-After"]) <= 3600
    assert "Your answers are kept on this device" in html
    assert 'href="/demo/hulpvraag/controleren"' in html
    # Demodorp's own number and opening hours, for who would rather call.
    assert re.search(r'Call <a [^>]*href="tel:140999"[^>]*>14 0999</a> and ask for the '
                     r"neighbourhood team\.", html)
    assert "Monday to Thursday: 8:30\u202fAM\u2009–\u20095:00\u202fPM" in html  # Babel's spaces
    assert "0800-2000" in html and "112" in html
    assert client.get(CHECK).status_code == 200  # the answers are still there
    one_page = submit_form(client, START, form_data())
    assert one_page.status_code == 429  # the same limit for the one-page form
    assert requests_stored() == 2


@pytest.mark.parametrize("app_config", [{"RATELIMIT_ENABLED": True,
                                         "STATUS_RATE_LIMIT": "2 per hour"}], indirect=True)
def test_too_many_status_lookups_get_a_clear_page_too(client, demo):
    for _attempt in range(2):
        assert client.get("/demo/status?lang=en").status_code == 200
    response = client.get("/demo/status")
    html = html_of(response)
    assert response.status_code == 429
    check_page(html)
    assert "There were many attempts from your network in a short time." in html
    assert "Your answers are kept" not in html
    assert 'href="tel:140999"' in html


@pytest.mark.parametrize("app_config", [{"RATELIMIT_ENABLED": True,
                                         "STATUS_RATE_LIMIT": "1 per hour"}], indirect=True)
def test_without_a_phone_number_the_page_says_to_call_the_municipality(client, demo):
    demo.contact = {}
    db.session.commit()
    client.get("/demo/status?lang=en")
    html = html_of(client.get("/demo/status"))
    assert "Call the municipality of Demodorp and ask for the neighbourhood team." in html
    assert "tel:" not in html


# --- Privacy -----------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["nl", "en"])
def test_the_privacy_statement_is_there_in_every_language(client, demo, language):
    response = client.get(f"/demo/privacy?lang={language}")
    html = html_of(response)
    assert response.status_code == 200
    check_page(html)
    assert f'lang="{language}"' in html
    assert "Wmo 2015" in html and "Jeugdwet" in html and "Participatiewet" in html
    assert 'href="mailto:centraal@demodorp.example"' in html
    assert 'href="https://autoriteitpersoonsgegevens.nl"' in html


def test_the_privacy_statement_says_what_why_who_how_long_and_the_rights(client, demo):
    html = html_of(client.get("/demo/privacy?lang=en"))
    for heading in ["What we store", "Why we store it", "Who sees it", "How long we keep it",
                    "Your rights"]:
        assert re.search(f"<h2[^>]*>{heading}</h2>", html), heading
    for right in ["see which data", "correct data", "delete your data", "change your mind"]:
        assert right in html


def test_the_privacy_statement_uses_the_municipality_s_own_address(client, demo):
    demo.contact_email = "privacy@demodorp.example"
    db.session.commit()
    html = html_of(client.get("/demo/privacy?lang=en"))
    assert 'href="mailto:privacy@demodorp.example"' in html


def test_every_page_links_to_the_privacy_statement(client, demo):
    for url in ["/demo/", START, "/demo/status", "/demo/bestaat/niet", "/login"]:
        assert 'href="/demo/privacy"' in html_of(client.get(url)), url
    walk(client, until="contact")
    consent = html_of(client.get(f"{START}/contact?lang=en"))
    assert re.search(r'<a [^>]*href="/demo/privacy">Read what we do with your data', consent)


def test_an_unknown_municipality_has_no_privacy_page(client, demo):
    assert client.get("/nergensdorp/privacy").status_code == 404
