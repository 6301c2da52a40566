"""The resident's status page: reference + secret code, plain language, nothing internal."""

from __future__ import annotations

import re

from sqlalchemy import select

from app.extensions import db
from app.models import Referral
from tests import factories
from tests.integration.helpers import api_body, check_page, form_data, submit_form


def _submit(client):
    response = submit_form(client, "/demo/hulpvraag?lang=en",
                           form_data(description="Heel persoonlijk verhaal."))
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    url = re.search(r'href="(http://[^"]+/demo/status/[^"]+)"', html).group(1)
    code = url.rsplit("/", 1)[1]
    reference = re.search(r"WL-\d{4}-\d{6}", html).group(0)
    return url.replace("http://wijkloket.test", ""), reference, code


def test_the_status_page_shows_plain_progress_and_nothing_internal(app, client, demo):
    path, reference, _code = _submit(client)
    stranger = app.test_client()  # another browser: only the link is needed
    response = stranger.get(path + "?lang=en")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    check_page(html)
    assert "We asked Schuldhulp Demodorp to help you." in html
    assert "Wijkteam Noord is your contact for this question." in html
    assert "Heel persoonlijk verhaal." not in html
    assert response.headers["Cache-Control"] == "no-store"

    referral = db.session.scalar(select(Referral))
    referral.state = "accepted"
    db.session.commit()
    assert "Schuldhulp Demodorp is helping you." in stranger.get(path + "?lang=en").get_data(
        as_text=True)


def test_the_status_page_gives_the_municipality_s_phone_number_and_the_reference(app, client,
                                                                                demo):
    path, reference, _code = _submit(client)
    html = app.test_client().get(path + "?lang=en").get_data(as_text=True)
    check_page(html)
    assert re.search(r'Call <a [^>]*href="tel:140999"[^>]*>14 0999</a> and ask for the '
                     r"neighbourhood team\.", html)
    assert "We answer the phone at these times:" in html
    assert f'Please mention your reference: <span dir="ltr">{reference}</span>.' in html


def test_without_a_phone_number_the_status_page_says_to_call_the_municipality(app, client, demo):
    path, _reference, _code = _submit(client)
    demo.contact = {key: value for key, value in demo.contact.items()
                    if key not in {"phone", "phone_uri", "opening_hours"}}
    db.session.commit()
    html = app.test_client().get(path + "?lang=en").get_data(as_text=True)
    assert 'href="tel:' not in html
    assert (f"Call the municipality of {demo.name} and ask for the neighbourhood team."
            in html)


def test_a_wrong_code_or_another_municipality_finds_nothing(app, client, demo):
    path, reference, code = _submit(client)
    stranger = app.test_client()
    wrong = stranger.get(path[: -len(code)] + "x" * len(code) + "?lang=en")
    assert wrong.status_code == 404
    assert "We cannot find a question with this reference and code." in wrong.get_data(
        as_text=True)
    assert stranger.get(path.replace("/demo/", "/elders/")).status_code == 404


def test_reference_and_code_can_be_typed_in(app, client, demo):
    _path, reference, code = _submit(client)
    stranger = app.test_client()
    form = stranger.get("/demo/status")
    check_page(form.get_data(as_text=True))
    found = stranger.get("/demo/status", query_string={"reference": reference.lower(),
                                                       "code": code})
    assert found.status_code == 200
    assert reference in found.get_data(as_text=True)
    missing = stranger.get("/demo/status", query_string={"reference": reference, "code": "nope"})
    assert missing.status_code == 404


def test_the_api_returns_the_status_link_once(app, client, demo):
    raw = factories.api_token(demo)
    db.session.commit()

    def _post(client, token, body):
        return client.post("/api/v1/requests", json=body,
                           headers={"Authorization": f"Bearer {token}"})

    token = raw
    first = _post(client, token, api_body(submission_token="api-form-1"))
    assert first.status_code == 201
    url = first.get_json()["status_url"]
    assert app.test_client().get(url.replace("http://wijkloket.test", "")).status_code == 200
    again = _post(client, token, api_body(submission_token="api-form-1"))
    assert "status_url" not in again.get_json()
