"""Assigning a colleague, the warm handover between teams, and the BSN (11-proof, masked,
reveal logged)."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, Notification, SupportRequest, Task, Team, User
from tests.conftest import hidden_fields, logged_in, post_from

NOORD_STAFF = "noord@demo.wijkloket.example"
NOORD_LEAD = "lead-noord@demo.wijkloket.example"
ZUID_STAFF = "zuid@demo.wijkloket.example"


def _request(referral) -> SupportRequest:
    db.session.expire_all()
    return db.session.get(SupportRequest, referral.request_id)


def _id(model, **where):
    return db.session.scalar(select(model.id).filter_by(**where))


def test_a_lead_assigns_a_colleague_who_is_told(app, referral):
    reference = referral.request.reference
    url = f"/staff/requests/{reference}"
    lead = logged_in(app, NOORD_LEAD)
    noor = _id(User, email=NOORD_STAFF)
    assert post_from(lead, url, f"{url}/assign", **{"assign-colleague": noor}).status_code == 302
    request = _request(referral)
    assert request.coordinator_id == noor and request.status == "in_progress"
    assert db.session.scalar(select(Notification.kind).where(Notification.user_id == noor)) \
        == "assigned"
    # Someone of another team is not a colleague.
    zuid = _id(User, email=ZUID_STAFF)
    refused = post_from(lead, url, f"{url}/assign", **{"assign-colleague": zuid})
    assert refused.status_code == 422
    assert _request(referral).coordinator_id == noor


def test_a_warm_handover_shows_the_request_to_both_teams_until_accepted(app, referral):
    reference = referral.request.reference
    url = f"/staff/requests/{reference}"
    noord = logged_in(app, NOORD_STAFF)
    zuid = logged_in(app, ZUID_STAFF)
    assert zuid.get(url).status_code == 404  # not Zuid's business yet
    zuid_team = _id(Team, key="zuid")
    missing_reason = post_from(noord, url, f"{url}/handover", **{"handover-team": zuid_team})
    assert missing_reason.status_code == 422
    assert post_from(noord, url, f"{url}/handover", **{
        "handover-team": zuid_team, "handover-reason": "Mevrouw is verhuisd naar Zuid."}
    ).status_code == 302
    request = _request(referral)
    assert request.transfer_team_id == zuid_team and request.owner_team.key == "noord"

    queue = zuid.get("/staff/?lang=en").get_data(as_text=True)
    assert "Asked to take over" in queue and reference in queue
    page = zuid.get(f"{url}?lang=en").get_data(as_text=True)  # both teams see it now
    assert "Mevrouw is verhuisd naar Zuid." in page and "Take the request over" in page
    assert noord.get(url).status_code == 200
    assert db.session.scalar(select(AuditEvent.reason).where(
        AuditEvent.action == "request.viewed", AuditEvent.actor_label == ZUID_STAFF)) \
        == "handover to the viewer's team"

    assert post_from(zuid, url, f"{url}/handover/accept").status_code == 302
    request = _request(referral)
    assert request.owner_team_id == zuid_team and request.transfer_team_id is None
    assert all(task.team_id == zuid_team for task in request.tasks if task.state == "open")
    assert noord.get(url).status_code == 404  # handed over: Noord no longer sees it
    assert [n.kind for n in db.session.scalars(select(Notification).where(
        Notification.user_id == _id(User, email=NOORD_STAFF)))] == ["handover_accepted"]


def test_a_refused_handover_comes_back_as_a_task(app, referral):
    reference = referral.request.reference
    url = f"/staff/requests/{reference}"
    noord = logged_in(app, NOORD_STAFF)
    zuid = logged_in(app, ZUID_STAFF)
    post_from(noord, url, f"{url}/handover", **{"handover-team": _id(Team, key="zuid"),
                                                "handover-reason": "Verhuisd."})
    assert post_from(zuid, url, f"{url}/handover/refuse",
                     **{"refuse-reason": "Adres ligt in Noord."}).status_code == 302
    request = _request(referral)
    assert request.transfer_team_id is None and request.owner_team.key == "noord"
    task = db.session.scalar(select(Task).where(Task.kind == "handover_refused"))
    assert task.team_id == request.owner_team_id and "Adres ligt in Noord." in task.reason
    assert zuid.get(url).status_code == 404


def test_the_bsn_is_checked_masked_and_each_reveal_logged(app, referral):
    reference = referral.request.reference
    url = f"/staff/requests/{reference}"
    noord = logged_in(app, NOORD_STAFF)
    wrong = post_from(noord, url, f"{url}/bsn", bsn="123456789")
    assert wrong.status_code == 422
    assert "Dit is geen geldig BSN" in wrong.get_data(as_text=True)
    assert post_from(noord, url, f"{url}/bsn", bsn="1112.22.333").status_code == 302
    assert _request(referral).bsn == "111222333"
    page = noord.get(url).get_data(as_text=True)
    assert "******333" in page and "111222333" not in page
    revealed = noord.post(f"{url}/bsn/reveal", data=hidden_fields(page))
    assert "111222333" in revealed.get_data(as_text=True)
    actions = db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.action.like("request.bsn_%")).order_by(AuditEvent.id)).all()
    assert actions == ["request.bsn_recorded", "request.bsn_revealed"]
    assert all("111222333" not in str(e.details) for e in db.session.scalars(select(AuditEvent)))
    # The reveal is in the access log, not in the request's timeline.
    assert "BSN getoond" not in noord.get(url).get_data(as_text=True).split('id="timeline"')[1]


def test_staff_refer_by_hand_with_a_reason_and_consent_is_still_checked(app, referral):
    from app.models import Partner, Referral

    reference = referral.request.reference
    url = f"/staff/requests/{reference}"
    noord = logged_in(app, NOORD_STAFF)
    ggz = _id(Partner, key="ggz")
    no_reason = post_from(noord, url, f"{url}/referrals", **{
        "refer-domain": "ggz", "refer-target": f"partner:{ggz}"})
    assert no_reason.status_code == 422
    assert post_from(noord, url, f"{url}/referrals", **{
        "refer-domain": "ggz", "refer-target": f"partner:{ggz}",
        "refer-reason": "Somber sinds het ontslag; wil graag praten."}).status_code == 302
    made = db.session.scalar(select(Referral).where(Referral.target_partner_id == ggz))
    expected = "sent" if referral.request.consent_share else "proposed"
    assert (made.state, made.rule_ids, made.reason) == (
        expected, ["manual"], "Somber sinds het ontslag; wil graag praten.")
    event = db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "referral.created", AuditEvent.object_id == made.id))
    assert event.actor_label == NOORD_STAFF and event.reason.startswith("Somber")
    again = post_from(noord, url, f"{url}/referrals", **{
        "refer-domain": "ggz", "refer-target": f"partner:{ggz}", "refer-reason": "Nogmaals."})
    assert again.status_code == 409  # the same referral is already open
    forged = post_from(noord, url, f"{url}/referrals", **{
        "refer-domain": "ggz", "refer-target": "partner:99999", "refer-reason": "x"})
    assert forged.status_code == 422


def test_changing_the_subjects_shows_the_new_routes_first_then_refers(app, referral):
    from app.models import Referral

    reference = referral.request.reference
    url = f"/staff/requests/{reference}"
    noord = logged_in(app, NOORD_STAFF)
    before = referral.request.life_areas
    shown = post_from(noord, url, f"{url}/life-areas",
                      **{"areas-life_areas": ["verslaving"]})
    assert shown.status_code == 200
    html = shown.get_data(as_text=True)
    assert "Nieuwe route" in html and "Niet meer gerouteerd" in html
    db.session.expire_all()
    assert _request(referral).life_areas == before  # nothing changed yet
    assert db.session.query(Referral).count() == 1

    confirm = noord.post(f"{url}/life-areas", data={
        **hidden_fields(html), "areas-life_areas": ["verslaving"], "confirm": "yes"})
    assert confirm.status_code == 302
    request = _request(referral)
    assert request.life_areas == ["verslaving"]
    assert "verslaving" in [route["domain"] for route in request.decision["routes"]]
    assert db.session.query(Referral).count() == 2  # the new route got its referral
    task = db.session.scalar(select(Task).where(Task.kind == "route_removed"))
    assert task.referral_id == referral.id  # the old referral is not withdrawn silently
    event = db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "request.life_areas_changed"))
    assert event.details["before"]["life_areas"] == before
