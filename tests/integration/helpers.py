"""Helpers for integration tests: valid intake data, forms, ports and partners (the page
check lives in ``tests/pages.py``; the test client runs it on every page)."""

from __future__ import annotations

import re
import socket
from typing import TYPE_CHECKING, Any

from flask.testing import FlaskClient

from tests.conftest import csrf_token
from tests.pages import check_page as check_page  # where the tests import it from

if TYPE_CHECKING:
    from app.models import Partner

#: The demo partner's webhook secret in tests (Standard Webhooks format).
WEBHOOK_SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def webhook_partner(url: str, key: str = "schuldhulp") -> Partner:
    """The demo partner ``key``, now receiving signed webhooks at ``url`` (committed)."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models import Partner

    partner = db.session.scalar(select(Partner).where(Partner.key == key))
    assert partner is not None, f"no demo partner {key!r}"
    partner.webhook_url = url
    partner.webhook_secret = WEBHOOK_SECRET
    db.session.commit()
    return partner


def form_data(**changes: Any) -> dict[str, Any]:
    """A valid resident intake as form fields; ``changes`` override (None removes)."""
    data: dict[str, Any] = {
        "for_whom": "zelf",
        "postcode": "9999 AA",
        "house_number": "1",
        "age": "45",
        "life_areas": ["geld"],
        "description": "Ik heb schulden en kom niet rond.",
        "urgency": "normaal",
        "housing": "huur",
        "contact_name": "Test Bewoner",
        "contact_email": "bewoner@example.org",
        "contact_phone": "",
        "contact_preferred": "email",
        "consent_share": "yes",
    }
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def api_body(**changes: Any) -> dict[str, Any]:
    """A valid JSON intake for the API; ``changes`` override (None removes)."""
    body: dict[str, Any] = {
        "for_whom": "zelf",
        "postcode": "9999AA",
        "house_number": "1",
        "age": 45,
        "life_areas": ["geld"],
        "description": "Schulden",
        "urgency": "normaal",
        "contact": {"email": "bewoner@example.org", "preferred": "email"},
        "consent_share": True,
        "channel": "telefoon",
    }
    for key, value in changes.items():
        if value is None:
            body.pop(key, None)
        else:
            body[key] = value
    return body


def submit_api(client: FlaskClient, token: str, **changes: Any) -> Any:
    """Submit :func:`api_body` (with ``changes``) through the API; the stored request."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models import SupportRequest

    response = client.post("/api/v1/requests", json=api_body(**changes),
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 201, response.json
    return db.session.scalar(select(SupportRequest).where(
        SupportRequest.reference == response.json["reference"]))


def filled_form(client: FlaskClient, url: str, data: dict[str, Any]) -> dict[str, Any]:
    """The form at ``url`` as a browser holds it once ``data`` is filled in: with its CSRF
    token and, if the form has one, its submission token (so it can be sent again)."""
    html = client.get(url).get_data(as_text=True)
    token = re.search(r'name="submission_token"[^>]*value="([^"]*)"', html)
    payload = {"csrf_token": csrf_token(html), **data}
    if token and "submission_token" not in data:
        payload["submission_token"] = token.group(1)
    return payload


def submit_form(client: FlaskClient, url: str, data: dict[str, Any]) -> Any:
    return client.post(url, data=filled_form(client, url, data))
