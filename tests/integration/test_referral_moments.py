"""When things happened: a referral's moments (sent, answered, accepted, ended) are set by the
one move, each once; a request's first contact is its earliest contact moment; and the
migration fills both from the audit trail and the contact moments for the rows there were."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
from sqlalchemy import select, text

from app.extensions import db
from app.models import AuditEvent, Referral, SupportRequest, Task
from app.services import casework, referrals
from app.services.errors import Conflict
from tests import factories

MOMENTS = ("sent_at", "answered_at", "accepted_at", "ended_at")


@pytest.fixture
def world(app):
    tenant = factories.tenant()
    owner = factories.team(tenant)
    partner = factories.partner(tenant, email="partner@elders.example")
    request = factories.support_request(owner, domains=("schulden",), consent_share=True)
    world = {
        "tenant": tenant, "owner": owner, "partner": partner, "request": request,
        "staff": factories.user(tenant, team=owner),
        "receiver": factories.user(tenant, role="partner", partner=partner),
    }
    db.session.commit()
    return world


def _refer(world, *, consent=True):
    world["request"].consent_share = consent
    referral = referrals.open_referral(
        world["tenant"], world["request"], "schulden", world["partner"],
        due_date=dt.date(2027, 5, 4), rule_ids=["r"], reason="test", ruleset_version="test")
    db.session.commit()
    return referral


def _moments(referral):
    db.session.expire_all()
    row = db.session.get(Referral, referral.id)
    return {name: getattr(row, name) for name in MOMENTS}


def test_a_referral_made_as_sent_has_its_sent_moment_and_nothing_else(world):
    moments = _moments(_refer(world))
    assert moments["sent_at"] is not None
    assert [moments[name] for name in MOMENTS[1:]] == [None, None, None]


def test_a_proposed_referral_is_sent_when_the_resident_consents(world):
    referral = _refer(world, consent=False)
    assert _moments(referral)["sent_at"] is None
    referrals.send_with_consent(world["staff"], referral.id)
    assert _moments(referral)["sent_at"] is not None


def test_accepting_sets_answered_and_accepted_once_and_a_second_accept_moves_nothing(world):
    referral = _refer(world)
    referrals.accept(world["receiver"], referral.id)
    first = _moments(referral)
    assert first["answered_at"] is not None and first["answered_at"] == first["accepted_at"]
    assert first["ended_at"] is None
    with pytest.raises(Conflict):
        referrals.accept(world["receiver"], referral.id)
    db.session.rollback()
    assert _moments(referral) == first


def test_the_work_after_accepting_keeps_the_answer_and_the_end_is_set_once(world):
    referral = _refer(world)
    referrals.accept(world["receiver"], referral.id)
    answered = _moments(referral)["answered_at"]
    referrals.start(world["receiver"], referral.id)
    assert _moments(referral)["ended_at"] is None
    referrals.complete(world["receiver"], referral.id, "geholpen")
    moments = _moments(referral)
    assert moments["answered_at"] == answered
    assert moments["ended_at"] is not None and moments["ended_at"] >= answered


def test_a_decline_is_the_answer_and_the_end_without_an_accept(world):
    referral = _refer(world)
    referrals.decline(world["receiver"], referral.id, "Vol.")
    moments = _moments(referral)
    assert moments["answered_at"] is not None and moments["answered_at"] == moments["ended_at"]
    assert moments["accepted_at"] is None


@pytest.mark.parametrize("how", ["give_back", "withdraw", "expire"])
def test_returned_withdrawn_and_expired_end_the_referral(world, how):
    referral = _refer(world)
    if how == "give_back":
        referrals.accept(world["receiver"], referral.id)
        referrals.give_back(world["receiver"], referral.id, "Past niet.")
    elif how == "withdraw":
        referrals.withdraw(world["staff"], referral.id, "Niet meer nodig.")
    else:
        referrals.expire(db.session.get(Referral, referral.id))
        db.session.commit()
    moments = _moments(referral)
    assert moments["ended_at"] is not None
    assert (moments["answered_at"] is not None) is (how == "give_back")


def _contact(world, happened_at):
    casework.log_contact(world["staff"], world["request"].reference, "called", None,
                         happened_at)
    db.session.expire_all()
    return db.session.get(SupportRequest, world["request"].id)


def test_the_first_contact_is_the_earliest_moment_logged_even_when_logged_later(world):
    version = world["request"].version
    request = _contact(world, dt.datetime(2026, 11, 3, 9, 0))
    assert request.first_contact_at == dt.datetime(2026, 11, 3, 9, 0)
    request = _contact(world, dt.datetime(2026, 11, 4, 9, 0))
    assert request.first_contact_at == dt.datetime(2026, 11, 3, 9, 0)
    request = _contact(world, dt.datetime(2026, 11, 1, 8, 30))
    assert request.first_contact_at == dt.datetime(2026, 11, 1, 8, 30)
    # A derived moment, not an edit: a colleague's open form stays valid.
    assert request.version == version


def test_the_migration_fills_the_moments_from_the_audit_trail_and_the_contacts(world):
    """The backfill of 9e5c3b7d2f41, run again on rows whose moments were never kept."""
    made_sent = _refer(world)
    referrals.accept(world["receiver"], made_sent.id)
    referrals.complete(world["receiver"], made_sent.id, "geholpen")
    waiting = _refer(world, consent=False)
    consented = _refer(world, consent=False)
    referrals.send_with_consent(world["staff"], consented.id)
    referrals.decline(world["receiver"], consented.id, "Vol.")
    never_sent = _refer(world, consent=False)
    referrals.withdraw(world["staff"], never_sent.id, "Niet meer nodig.")
    _contact(world, dt.datetime(2026, 11, 4, 9, 0))
    _contact(world, dt.datetime(2026, 11, 3, 9, 0))
    kept = {referral.id: _moments(referral)
            for referral in (made_sent, waiting, consented, never_sent)}
    assert db.session.scalar(select(Task.id).where(Task.referral_id == never_sent.id))

    db.session.execute(text("UPDATE referral SET sent_at = NULL, answered_at = NULL, "
                            "accepted_at = NULL, ended_at = NULL"))
    db.session.execute(text("UPDATE support_request SET first_contact_at = NULL"))
    migration = importlib.import_module(
        "migrations.versions.9e5c3b7d2f41_referral_and_request_moments")
    for statement in migration._BACKFILL:
        db.session.execute(text(statement))
    db.session.commit()

    # The audit event is written a moment after the move; the backfill takes its time.
    for referral_id, moments in kept.items():
        filled = _moments(db.session.get(Referral, referral_id))
        for name in MOMENTS:
            if moments[name] is None:
                assert filled[name] is None, (referral_id, name)
            else:
                assert abs(filled[name] - moments[name]) < dt.timedelta(seconds=5), name
    assert db.session.get(SupportRequest, world["request"].id).first_contact_at == \
        dt.datetime(2026, 11, 3, 9, 0)
    assert db.session.scalar(select(AuditEvent.id).where(
        AuditEvent.action == "referral.created", AuditEvent.object_id == made_sent.id))
