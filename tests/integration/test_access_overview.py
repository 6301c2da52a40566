"""The resident's access overview on the status page (AVG art. 15): which organisations and
roles looked at or worked on the question, and when; never a staff member's name."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import Referral, SupportRequest, User
from app.services import access_log
from app.services.status_tokens import status_token
from tests.conftest import logged_in
from tests.integration.helpers import form_data, submit_form

STAFF = "noord@demo.wijkloket.example"
PARTNER = "schuldhulp@demo.wijkloket.example"
ENGLISH = {"Accept-Language": "en"}


def test_the_status_page_lists_who_looked_by_organisation_and_role_without_names(
        app, client, demo):
    assert submit_form(client, "/demo/hulpvraag", form_data()).status_code == 302
    client.delete_cookie("session")
    request = db.session.scalar(select(SupportRequest))
    url = f"/demo/status/{request.reference}/{status_token(request)}"
    before = client.get(url, headers=ENGLISH).get_data(as_text=True)
    assert "Nobody has opened your question yet." in before

    logged_in(app, STAFF).get(f"/staff/requests/{request.reference}")
    referral = db.session.scalar(select(Referral).where(Referral.request_id == request.id))
    partner = logged_in(app, PARTNER)
    assert partner.get(f"/partner/referrals/{referral.id}").status_code == 200
    lines = access_log.overview(request)
    assert {(line.role, line.organisation, line.what) for line in lines} == {
        ("staff", "Wijkteam Noord", "looked"), ("partner", "Schuldhulp Demodorp", "looked")}

    page = client.get(url, headers=ENGLISH).get_data(as_text=True)
    assert "A staff member of Wijkteam Noord" in page
    assert "Someone at Schuldhulp Demodorp" in page and "looked at your question" in page
    for email in (STAFF, PARTNER):
        name = db.session.scalar(select(User.name).where(User.email == email))
        assert name not in page
