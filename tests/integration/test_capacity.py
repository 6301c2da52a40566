"""Capacity: a full service gets no new referral while another contracted partner has room;
with nobody room the referral is held (shared with nobody) for the owning team with a task,
the resident reads that they wait and roughly how long, and it goes as soon as a partner has
room again: when the partner says so, or on the day it named."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from flask_babel import format_date
from sqlalchemy import select

from app.calendar import today as local_today
from app.extensions import db
from app.i18n import force_locale
from app.models import AuditEvent, Contract, Partner, Referral, SupportRequest, Task, User
from app.scheduler import run_due
from app.services import capacity, referrals
from app.services.errors import InvalidInput, NotFound
from app.services.status_tokens import status_token
from tests import factories
from tests.conftest import logged_in, post_from
from tests.integration.helpers import submit_api

TODAY = local_today()
PARTNER_LOGIN = "schuldhulp@demo.wijkloket.example"


def _debt(request: SupportRequest) -> Referral:
    [referral] = [row for row in request.referrals if row.domain == "schulden"]
    return referral


def _contract(key: str = "schuldhulp-2024") -> Contract:
    return db.session.scalar(select(Contract).where(Contract.key == key))


def _full(contract: Contract, again: dt.date | None = None, weeks: int | None = None) -> None:
    contract.accepting, contract.accepts_again_on, contract.waiting_weeks = False, again, weeks
    db.session.commit()


def _bank(demo, **fields) -> Contract:
    bank = factories.partner(demo, key="kredietbank", name="Kredietbank Demodorp")
    made = factories.contract(bank, domains=("schulden",), product="schuldhulpverlening",
                              key="kredietbank-2026", **fields)
    db.session.commit()
    return made


def _partner_token(demo, key: str = "schuldhulp") -> str:
    partner = db.session.scalar(select(Partner).where(Partner.tenant_id == demo.id,
                                                      Partner.key == key))
    raw = factories.api_token(demo, partner=partner, name=f"api-{key}")
    db.session.commit()
    return raw


def _api(client, token, method, path, json=None):
    return client.open(f"/api/v1{path}", method=method, json=json,
                       headers={"Authorization": f"Bearer {token}"})


def _tasks(request: SupportRequest, kind: str) -> list[Task]:
    return list(db.session.scalars(select(Task).where(Task.request_id == request.id,
                                                      Task.kind == kind)))


def _status_page(client, request: SupportRequest) -> str:
    page = client.get(f"/demo/status/{request.reference}/{status_token(request)}")
    assert page.status_code == 200
    return page.get_data(as_text=True)


# --- Routing ---------------------------------------------------------------------------------

def test_a_full_service_gives_way_to_another_contracted_partner_with_room(client, demo, token):
    _full(_contract())
    other = _bank(demo)
    referral = _debt(submit_api(client, token))
    assert (referral.state, referral.contract_id, referral.held_since) == (
        "sent", other.id, None)


def test_with_nobody_room_the_referral_is_held_with_a_task_and_shared_with_nobody(
        client, demo, token):
    again = TODAY + dt.timedelta(days=21)
    _full(_contract(), again=again)
    request = submit_api(client, token)
    referral = _debt(request)
    assert referral.held and referral.state == "proposed"
    assert referral.target_partner.key == "schuldhulp"
    [task] = _tasks(request, "referral_held")
    assert task.team_id == request.owner_team_id and task.referral_id == referral.id
    with force_locale("nl"):
        assert "Schuldhulp Demodorp" in task.reason
        assert format_date(again, "long") in task.reason
    listing = _api(client, _partner_token(demo), "GET", "/referrals").get_json()
    assert referral.id not in [row["id"] for row in listing["referrals"]]
    with force_locale("nl"):
        expected = format_date(again, "long")
    html = _status_page(client, request)
    assert "geen plek" in html and expected in html


def test_the_held_referral_goes_to_whoever_has_room_first(client, demo, token):
    _full(_contract())
    other = _bank(demo, accepting=False)
    request = submit_api(client, token)
    referral = _debt(request)
    assert referral.held
    other.accepting = True  # the bank's own room, seen by the worker
    db.session.commit()
    assert run_due(TODAY).released == 1
    db.session.refresh(referral)
    assert (referral.state, referral.contract_id, referral.held) == ("sent", other.id, False)
    assert all(task.state == "done" for task in _tasks(request, "referral_held"))


def test_a_partner_that_says_it_has_room_gets_its_held_referrals_at_once(client, demo, token):
    _full(_contract())
    request = submit_api(client, token)
    referral = _debt(request)
    response = _api(client, _partner_token(demo), "PUT", "/services/schuldhulp-2024/capacity",
                    json={"accepting": True, "waiting_weeks": 3})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["has_room_today"] is True
    db.session.refresh(referral)
    assert referral.state == "sent" and not referral.held
    released = db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "referral.released", AuditEvent.object_id == referral.id))
    assert released is not None and released.details["contract"] == "schuldhulp-2024"
    changed = db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "contract.capacity_changed"))
    assert changed.actor_label == "api-token:api-schuldhulp"
    assert changed.details["changes"]["accepting"] == [False, True]
    listing = _api(client, _partner_token(demo), "GET", "/referrals").get_json()
    assert referral.id in [row["id"] for row in listing["referrals"]]
    assert "ongeveer 3 weken" in _status_page(client, request)  # the published waiting time


def test_the_worker_releases_on_the_day_the_service_said_and_not_before(client, demo, token):
    again = TODAY + dt.timedelta(days=10)
    _full(_contract(), again=again)
    referral = _debt(submit_api(client, token))
    assert run_due(again - dt.timedelta(days=1)).released == 0
    db.session.refresh(referral)
    assert referral.held
    term = referral.due_date - TODAY
    assert run_due(again).released == 1
    db.session.refresh(referral)
    assert referral.state == "sent" and referral.sent_at is not None
    assert referral.due_date >= again + term - dt.timedelta(days=4)  # a fresh term from then
    assert referral.due_date > again


def test_consent_given_while_held_is_kept_and_the_referral_waits_for_room(client, demo, token):
    _full(_contract())
    request = submit_api(client, token, consent_share=False)
    referral = _debt(request)
    assert referral.held
    assert {t.kind for t in request.tasks} >= {"referral_held", "consent_needed"}
    staff = db.session.scalar(select(User).where(User.tenant_id == demo.id,
                                                 User.team_id == request.owner_team_id))
    referrals.send_with_consent(staff, referral.id)
    db.session.refresh(referral)
    assert referral.held and request.consent_share
    [consent] = _tasks(request, "consent_needed")
    assert consent.state == "done"
    capacity.set_capacity(_actor("schuldhulp"), "schuldhulp-2024",
                          capacity.CapacityData(accepting=True))
    db.session.refresh(referral)
    assert referral.state == "sent"


def _actor(key: str) -> User:
    return db.session.scalar(select(User).join(Partner, Partner.id == User.partner_id)
                             .where(Partner.key == key))


def test_without_consent_a_released_referral_still_waits_for_consent(client, demo, token):
    _full(_contract())
    request = submit_api(client, token, consent_share=False)
    referral = _debt(request)
    capacity.set_capacity(_actor("schuldhulp"), "schuldhulp-2024",
                          capacity.CapacityData(accepting=True))
    db.session.refresh(referral)
    assert referral.state == "proposed" and not referral.held  # nothing shared yet
    assert [t.state for t in _tasks(request, "consent_needed")] == ["open"]


def test_a_held_referral_whose_contract_ends_with_no_other_is_withdrawn_with_a_task(
        client, demo, token):
    contract = _contract()
    _full(contract)
    request = submit_api(client, token)
    referral = _debt(request)
    contract.ends_on = TODAY
    db.session.commit()
    assert run_due(TODAY + dt.timedelta(days=1)).released == 1
    db.session.refresh(referral)
    assert referral.state == "withdrawn" and not referral.held
    assert [t.state for t in _tasks(request, "no_contract")] == ["open"]
    assert [t.state for t in _tasks(request, "referral_held")] == ["done"]


def test_referring_by_hand_to_a_full_service_names_the_one_with_room(client, demo, token):
    request = submit_api(client, token, life_areas=["wonen"])
    staff = db.session.scalar(select(User).where(User.tenant_id == demo.id,
                                                 User.team_id == request.owner_team_id))
    debt = _contract().partner
    _full(_contract())
    _bank(demo)
    with pytest.raises(InvalidInput) as refused:
        referrals.refer_by_hand(staff, request, "schulden", f"partner:{debt.id}", "Schulden.")
    assert refused.value.field == "target" and "Kredietbank Demodorp" in str(refused.value)
    _full(_contract("kredietbank-2026"))
    held = referrals.refer_by_hand(staff, request, "schulden", f"partner:{debt.id}",
                                   "Schulden.")
    assert held.held and held.target_partner_id == debt.id


def test_a_staff_withdrawal_of_a_held_referral_ends_its_task(client, demo, token):
    _full(_contract())
    request = submit_api(client, token)
    referral = _debt(request)
    staff = db.session.scalar(select(User).where(User.tenant_id == demo.id,
                                                 User.team_id == request.owner_team_id))
    referrals.withdraw(staff, referral.id, "Bewoner vond zelf hulp.")
    assert [t.state for t in _tasks(request, "referral_held")] == ["done"]
    assert capacity.release_due(TODAY) == 0


# --- The partner's portal and API ------------------------------------------------------------

def test_the_portal_shows_the_services_and_saves_a_full_service_with_its_day(app, demo):
    client = logged_in(app, PARTNER_LOGIN)
    page = client.get("/partner/services").get_data(as_text=True)
    assert "Schuldhulp" in page and "/partner/services/schuldhulp-2024" in page
    assert "/partner/services/schuldhulp-2023" not in page  # ended: no longer a service
    again = TODAY + dt.timedelta(days=14)
    contract = _contract()
    prefix = f"service-{contract.id}-"
    response = post_from(client, "/partner/services", "/partner/services/schuldhulp-2024",
                         **{prefix + "accepting": "no",
                            prefix + "accepts_again_on": again.isoformat(),
                            prefix + "waiting_weeks": "6"})
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.refresh(contract)
    assert (contract.accepting, contract.accepts_again_on, contract.waiting_weeks) == (
        False, again, 6)
    event = db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "contract.capacity_changed"))
    assert event.actor_id == _actor("schuldhulp").id


def test_a_day_in_the_past_is_refused_and_what_was_typed_stays(app, demo):
    client = logged_in(app, PARTNER_LOGIN)
    contract = _contract()
    prefix = f"service-{contract.id}-"
    yesterday = (TODAY - dt.timedelta(days=1)).isoformat()
    response = post_from(client, "/partner/services", "/partner/services/schuldhulp-2024",
                         **{prefix + "accepting": "no", prefix + "accepts_again_on": yesterday,
                            prefix + "waiting_weeks": "4"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "na vandaag" in html
    assert re.search(rf'value="{yesterday}"', html) and 'value="4"' in html
    db.session.refresh(contract)
    assert contract.accepting is True
    bad_weeks = post_from(client, "/partner/services", "/partner/services/schuldhulp-2024",
                          **{prefix + "accepting": "yes", prefix + "waiting_weeks": "500"})
    assert bad_weeks.status_code == 422 and "104" in bad_weeks.get_data(as_text=True)


def test_another_partners_service_is_not_found(app, demo):
    client = logged_in(app, "welzijn@demo.wijkloket.example")
    page = client.get("/partner/services").get_data(as_text=True)
    assert "schuldhulp-2024" not in page
    response = post_from(client, "/partner/services", "/partner/services/schuldhulp-2024",
                         **{"accepting": "no"})
    assert response.status_code == 404
    with pytest.raises(NotFound):
        capacity.own_service(_actor("welzijn"), "schuldhulp-2024")


def test_the_api_lists_services_and_refuses_bad_capacity(client, demo, token):
    partner_token = _partner_token(demo)
    listing = _api(client, partner_token, "GET", "/services").get_json()
    assert [row["key"] for row in listing["services"]] == ["schuldhulp-2024"]
    assert listing["services"][0]["accepting"] is True
    missing = _api(client, partner_token, "PUT", "/services/schuldhulp-2024/capacity", json={})
    assert missing.status_code == 422 and "accepting" in missing.get_json()["fields"]
    bad_day = _api(client, partner_token, "PUT", "/services/schuldhulp-2024/capacity",
                   json={"accepting": False, "accepts_again_on": "morgen"})
    assert bad_day.status_code == 422 and "accepts_again_on" in bad_day.get_json()["fields"]
    past = _api(client, partner_token, "PUT", "/services/schuldhulp-2024/capacity",
                json={"accepting": False, "accepts_again_on": TODAY.isoformat()})
    assert past.status_code == 422 and "accepts_again_on" in past.get_json()["fields"]
    assert _contract().accepting is True
    other = _api(client, _partner_token(demo, "welzijn"), "PUT",
                 "/services/schuldhulp-2024/capacity", json={"accepting": False})
    assert other.status_code == 404
    staff_token = _api(client, token, "GET", "/services")
    assert staff_token.status_code == 403


def test_the_contracts_page_shows_room_and_waiting_referrals(app, client, demo, token):
    _full(_contract(), weeks=5)
    submit_api(client, token)
    html = logged_in(app, "beleid@demo.wijkloket.example").get("/beleid/contracts") \
        .get_data(as_text=True)
    assert "1 verwijzing wacht op plek" in html and "ongeveer 5 weken" in html


def test_geo_locate_names_the_partner_the_contracts_choose_today(app, demo):
    def locate() -> dict:
        result = app.test_cli_runner().invoke(args=["geo", "locate", "--tenant", "demo",
                                                    "--postcode", "9999AA", "--json"])
        assert result.exit_code == 0, result.output
        return json.loads(result.output)["responsible"]["schulden"]

    assert locate()["contract"] == {"key": "schuldhulp-2024", "held": False}
    _full(_contract())
    assert locate()["contract"] == {"key": "schuldhulp-2024", "held": True}
    other = _bank(demo)
    assert (locate()["name"], locate()["contract"]["key"]) == ("Kredietbank Demodorp",
                                                                other.key)
    for contract in (_contract(), other):
        contract.ends_on = TODAY - dt.timedelta(days=1)
    db.session.commit()
    assert locate()["contract"] is None
    text = app.test_cli_runner().invoke(args=["geo", "locate", "--tenant", "demo",
                                              "--postcode", "9999AA"]).output
    assert "no live contract" in text
