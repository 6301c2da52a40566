"""The request state machine through the services: a closed request refuses every guarded
action with the same message, the moves the services make are the machine's, and the machine
checks who makes them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.i18n import force_locale
from app.lifecycle import (
    OUTSIDER,
    OWNING_TEAM,
    RECEIVING_TEAM,
    REQUEST_CLOSED,
    REQUEST_IN_PROGRESS,
    REQUEST_NEW,
    IllegalRequestTransition,
)
from app.models import AuditEvent, ResidentMessage, SupportRequest
from app.services import duplicates, handover, referrals, request_states, rerun, resident_questions
from app.services.errors import Conflict
from tests import factories


@pytest.fixture
def world(app) -> dict[str, Any]:
    """A municipality with two teams, a member of each, a partner account, and a request of
    the first team (open, with a possible duplicate of the same resident)."""
    tenant = factories.tenant()
    owner, other = factories.team(tenant), factories.team(tenant)
    partner = factories.partner(tenant)
    world = {
        "tenant": tenant, "owner": owner, "other": other,
        "staff": factories.user(tenant, team=owner),
        "colleague": factories.user(tenant, team=owner),
        "lead": factories.user(tenant, role="team_lead", team=owner),
        "other_staff": factories.user(tenant, team=other),
        "partner_user": factories.user(tenant, role="partner", partner=partner),
        "request": factories.support_request(owner, contact_email="a@example.org"),
        "duplicate": factories.support_request(owner, contact_email="a@example.org"),
    }
    db.session.commit()
    return world


def _closed(world: dict[str, Any]) -> SupportRequest:
    request = world["request"]
    request.status = REQUEST_CLOSED
    request.transfer_team_id = world["other"].id  # a handover left waiting at closure
    db.session.commit()
    return request


GUARDED: dict[str, Callable[[dict[str, Any], SupportRequest], object]] = {
    "pick up": lambda w, r: referrals.pick_up(w["staff"], r.reference),
    "close": lambda w, r: referrals.close_request(w["staff"], r.reference, "Klaar."),
    "refer by hand": lambda w, r: referrals.refer_by_hand(
        w["staff"], r, "wmo", f"team:{w['other'].id}", "Nodig."),
    "assign a colleague": lambda w, r: handover.assign(w["staff"], r, w["colleague"].id),
    "ask a handover": lambda w, r: handover.ask_handover(
        w["staff"], r, w["other"].id, "Verhuisd."),
    "accept a handover": lambda w, r: handover.accept_handover(w["other_staff"], r.reference),
    "merge a duplicate into it": lambda w, r: duplicates.merge(
        w["staff"], r, w["duplicate"].reference),
    "change the life areas": lambda w, r: rerun.apply(w["staff"], r, ["geld", "wonen"]),
    "ask the resident": lambda w, r: resident_questions.ask(w["staff"], r, "Wanneer kan ik bellen?"),
    "the resident answers": lambda w, r: resident_questions.answer(r, "Morgen."),
}


@pytest.mark.parametrize("action", list(GUARDED))
def test_a_closed_request_refuses_the_action_and_nothing_changes(world, action):
    request = _closed(world)
    before = (request.owner_team_id, request.coordinator_id, request.life_areas)
    with force_locale("en"), pytest.raises(Conflict) as refused:
        GUARDED[action](world, request)
    assert str(refused.value) == "This request is closed."
    db.session.rollback()
    db.session.expire_all()
    request = db.session.get(SupportRequest, request.id)
    assert request.status == REQUEST_CLOSED
    assert (request.owner_team_id, request.coordinator_id, request.life_areas) == before
    assert db.session.get(SupportRequest, world["duplicate"].id).status == REQUEST_NEW
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.object_type == "support_request")) == 0
    assert db.session.scalar(select(func.count(ResidentMessage.id))) == 0


def test_the_services_move_a_request_through_the_machine_from_new_to_closed(world):
    request = world["request"]
    assert request.status == REQUEST_NEW
    referrals.pick_up(world["staff"], request.reference)
    assert request.status == REQUEST_IN_PROGRESS
    handover.assign(world["lead"], request, world["colleague"].id)  # in progress stays
    assert (request.status, request.coordinator_id) == (REQUEST_IN_PROGRESS,
                                                         world["colleague"].id)
    handover.ask_handover(world["staff"], request, world["other"].id, "Verhuisd.")
    assert request.status == REQUEST_IN_PROGRESS  # a waiting handover is not a state
    handover.accept_handover(world["other_staff"], request.reference)
    assert (request.status, request.owner_team_id, request.coordinator_id) == (
        REQUEST_NEW, world["other"].id, None)
    referrals.close_request(world["other_staff"], request.reference, "Opgelost.")
    assert request.status == REQUEST_CLOSED


def test_a_merged_duplicate_is_closed_by_the_machine(world):
    duplicate = duplicates.merge(world["staff"], world["request"], world["duplicate"].reference)
    assert duplicate.status == REQUEST_CLOSED
    assert duplicate.merged_into_id == world["request"].id
    assert world["request"].status == REQUEST_NEW


def test_the_machine_knows_who_acts_on_a_request(world):
    request = world["request"]
    request.transfer_team_id = world["other"].id
    assert request_states.actor_of(world["staff"], request) == OWNING_TEAM
    assert request_states.actor_of(world["lead"], request) == OWNING_TEAM
    assert request_states.actor_of(world["other_staff"], request) == RECEIVING_TEAM
    assert request_states.actor_of(world["partner_user"], request) == OUTSIDER
    request.transfer_team_id = None
    assert request_states.actor_of(world["other_staff"], request) == OUTSIDER
    # The same team in another municipality is nobody here.
    elsewhere = factories.user(factories.tenant(), team=world["owner"])
    assert request_states.actor_of(elsewhere, request) == OUTSIDER


@pytest.mark.parametrize(("who", "target"), [
    ("other_staff", REQUEST_IN_PROGRESS),  # another team cannot pick it up
    ("partner_user", REQUEST_CLOSED),  # a partner cannot close it
    ("staff", REQUEST_NEW),  # only a receiving team starts it again as new
])
def test_a_move_by_someone_the_machine_does_not_allow_is_refused(world, who, target):
    request = world["request"]
    with pytest.raises(IllegalRequestTransition):
        request_states.move(request, target, world[who])
    assert request.status == REQUEST_NEW


def test_ensure_open_lets_open_requests_pass(world):
    request = world["request"]
    for status in (REQUEST_NEW, REQUEST_IN_PROGRESS):
        request.status = status
        request_states.ensure_open(request)
        assert request_states.is_open(request)
    request.status = REQUEST_CLOSED
    assert not request_states.is_open(request)
