"""The whole journey of issue 2 through the test client: resident → staff → partner → worker."""

from __future__ import annotations

import re

from sqlalchemy import select

from app.extensions import db
from app.models import (
    AuditEvent,
    CapturedMail,
    OutboxMessage,
    Referral,
    SupportRequest,
    Task,
)
from app.worker import process_batch
from tests.conftest import csrf_token, hidden_fields, login
from tests.integration.helpers import check_page, form_data, submit_form


def _submit(client, **changes):
    response = submit_form(client, "/demo/hulpvraag", form_data(**changes))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return response


def test_a_resident_request_travels_to_the_owner_team_and_the_partner(client, demo):
    home = client.get("/demo/")
    check_page(home.get_data(as_text=True))
    response = _submit(client, life_areas=["geld"], description="Ik heb schulden.")
    confirmation = client.get(response.headers["Location"])
    html = confirmation.get_data(as_text=True)
    check_page(html)
    reference = re.search(r"WL-\d{4}-\d{6}", html).group(0)

    request = db.session.scalar(select(SupportRequest).where(SupportRequest.reference == reference))
    assert request.buurt_code == "BU99990101"
    assert request.owner_team.name == "Wijkteam Noord"
    assert request.channel == "web"
    [referral] = request.referrals
    assert referral.domain == "schulden"
    assert referral.target_partner.name == "Schuldhulp Demodorp"
    assert referral.state == "sent"
    assert request.ruleset_version and request.decision["routes"]

    # The partner is told through the outbox, in the same transaction.
    messages = db.session.scalars(select(OutboxMessage)).all()
    assert [(m.channel, m.recipient) for m in messages] == [
        ("email", "aanmelding@schuldhulp.example")
    ]
    assert process_batch().sent == 1
    mail = db.session.scalar(select(CapturedMail))
    assert reference in mail.body
    assert "schulden" not in mail.body.lower()  # no special-category data in the body
    assert f"/partner/referrals/{referral.id}" in mail.body

    # Staff of the owning team see it, with the explanation, and pick it up.
    login(client, "noord@demo.wijkloket.example")
    queue = client.get("/staff/")
    assert reference in queue.get_data(as_text=True)
    check_page(queue.get_data(as_text=True))
    detail = client.get(f"/staff/requests/{reference}")
    detail_html = detail.get_data(as_text=True)
    check_page(detail_html)
    assert "schulden" in detail_html  # the rule id in the explanation
    client.post(f"/staff/requests/{reference}/pick-up",
                data=hidden_fields(detail_html))
    db.session.expire_all()
    assert request.coordinator.email == "noord@demo.wijkloket.example"
    assert request.status == "in_progress"
    client.post("/logout", data={"csrf_token": csrf_token(detail_html)})

    # The partner declines; the request comes back to the owner as a task.
    login(client, "schuldhulp@demo.wijkloket.example")
    listing = client.get("/partner/")
    assert reference in listing.get_data(as_text=True)
    page = client.get(f"/partner/referrals/{referral.id}")
    check_page(page.get_data(as_text=True))
    declined = client.post(
        f"/partner/referrals/{referral.id}/decline",
        data={"csrf_token": csrf_token(page.get_data(as_text=True)), "reason": "Vol tot maart."},
    )
    assert declined.status_code == 302
    db.session.expire_all()
    assert referral.state == "declined"
    task = db.session.scalar(select(Task).where(Task.kind == "referral_declined"))
    assert task.team_id == request.owner_team_id and "Vol tot maart." in task.reason
    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert {"request.submitted", "referral.created", "request.picked_up",
            "referral.declined"} <= set(actions)


def test_a_partner_accepts_a_referral(client, demo):
    _submit(client, life_areas=["contact"], description="Ik ben vaak alleen.")
    referral = db.session.scalar(select(Referral))
    assert referral.target_partner.key == "welzijn"
    login(client, "welzijn@demo.wijkloket.example")
    page = client.get(f"/partner/referrals/{referral.id}")
    client.post(f"/partner/referrals/{referral.id}/accept",
                data={"csrf_token": csrf_token(page.get_data(as_text=True))})
    db.session.expire_all()
    assert referral.state == "accepted"


def test_staff_log_a_request_for_a_resident_who_phoned(client, demo):
    login(client, "zuid@demo.wijkloket.example")
    data = form_data(channel="telefoon", postcode="9999 CA", life_areas=["huishouden"],
                     age="82", description="Belde: redt het huishouden niet meer.")
    response = submit_form(client, "/staff/requests/new", data)
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    request = db.session.scalar(select(SupportRequest))
    assert request.channel == "telefoon"
    assert request.created_by_id is not None
    assert request.owner_team.key == "zuid"


def test_an_unknown_postcode_is_accepted_and_owned_by_central_intake_with_a_task(client, demo):
    _submit(client, postcode="1234 AB", house_number="5")
    request = db.session.scalar(select(SupportRequest))
    assert request.owner_team.is_central_intake
    assert request.buurt_code is None
    assert [t.kind for t in request.tasks] == ["location_unknown"]
    # Its routes still have a target: the tenant-wide default for the domain.
    [referral] = request.referrals
    assert referral.target_partner.key == "schuldhulp"


def test_no_fixed_address_goes_to_central_intake_and_routes_to_housing(client, demo):
    _submit(client, postcode="", house_number="", no_fixed_address="y",
            life_areas=["wonen"], housing="")
    request = db.session.scalar(select(SupportRequest))
    assert request.owner_team.is_central_intake
    assert request.no_fixed_address and request.postcode is None
    assert "wonen" in [route["domain"] for route in request.decision["routes"]]


def test_without_consent_nothing_is_sent_and_the_team_gets_a_task(client, demo):
    _submit(client, consent_share="no")
    request = db.session.scalar(select(SupportRequest))
    [referral] = request.referrals
    assert referral.state == "proposed"
    assert db.session.scalars(select(OutboxMessage)).all() == []
    assert [t.kind for t in request.tasks] == ["consent_needed"]


def test_a_crisis_shows_the_numbers_and_alerts_the_team(client, demo):
    form = client.get("/demo/hulpvraag").get_data(as_text=True)
    assert "0800-2000" in form and "112" in form
    response = _submit(client, urgency="crisis", life_areas=["veiligheid"],
                       description="Mijn partner bedreigt mij.")
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "0800-2000" in html and "0800-0113" in html
    request = db.session.scalar(select(SupportRequest))
    assert request.priority == "crisis"
    assert "crisis" in [t.kind for t in request.tasks]
    recipients = db.session.scalars(select(OutboxMessage.recipient)).all()
    assert "wijkteam-noord@demodorp.example" in recipients


def test_resubmitting_the_same_form_does_not_create_a_second_request(client, demo):
    page = client.get("/demo/hulpvraag").get_data(as_text=True)
    token = re.search(r'name="submission_token"[^>]*value="([^"]*)"', page).group(1)
    data = {"csrf_token": csrf_token(page), "submission_token": token, **form_data()}
    first = client.post("/demo/hulpvraag", data=data)
    second = client.post("/demo/hulpvraag", data=data)
    assert first.headers["Location"] == second.headers["Location"]
    assert len(db.session.scalars(select(SupportRequest)).all()) == 1


def test_another_browser_cannot_see_a_confirmation_page(app, client, demo):
    response = _submit(client)
    other = app.test_client()
    assert other.get(response.headers["Location"]).status_code == 404


def test_a_broken_ruleset_file_is_refused_and_the_previous_one_stays_active(
        client, demo, tmp_path, monkeypatch):
    import os

    from app.services import rulesets

    good = tmp_path / "demo.yaml"
    good.write_text(rulesets.ruleset_path("demo").read_text())
    monkeypatch.setattr(rulesets, "ruleset_path", lambda slug: good)
    _submit(client)  # loads and caches the good ruleset
    good.write_text("name: Kapot\nrules:\n  - {id: x, title: X, when: {}, then: {route: pizza}}\n")
    os.utime(good, (1, 2_000_000_000))  # a different modification time
    _submit(client, submission_token="another-form")
    requests = db.session.scalars(select(SupportRequest)).all()
    assert len(requests) == 2
    assert requests[0].ruleset_version == requests[1].ruleset_version
