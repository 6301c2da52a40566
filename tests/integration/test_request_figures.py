"""The rows the figures read stay what their definition says after each kind of change, in
the transaction of the change."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select, update

from app.extensions import db
from app.models import (
    Partner,
    PartnerRequestFigure,
    Referral,
    ReferralFigure,
    RequestFigure,
    SupportRequest,
    Team,
)
from app.services import request_figures
from tests import factories

MAY = dt.datetime(2026, 5, 4, 9, 0)
DAY = dt.timedelta(days=1)


def _row(request_id: int) -> RequestFigure | None:
    db.session.expire_all()
    return db.session.get(RequestFigure, request_id)


def test_each_change_of_a_request_or_its_referrals_keeps_its_row(app, demo):
    noord = db.session.scalar(select(Team).where(Team.key == "noord"))
    partner = db.session.scalar(select(Partner).where(Partner.key == "schuldhulp"))
    request = factories.support_request(noord, created_at=MAY, wijk_code="WK999901",
                                        age=17, life_areas=["geld", "contact"])
    db.session.commit()
    row = _row(request.id)
    assert row is not None and row.age_band == "0-17" and row.referral_domains == 0
    assert row.life_areas == (request_figures.LIFE_AREA_BITS["geld"]
                              | request_figures.LIFE_AREA_BITS["contact"])
    referral = factories.referral(request, "schulden", partner, state="sent", created_at=MAY,
                                  sent_at=MAY + DAY)
    db.session.commit()
    row = _row(request.id)
    assert row.referral_domains == request_figures.DOMAIN_BITS["schulden"]
    assert row.first_referral_seconds == 86400 and row.first_acceptance_seconds is None
    referral.accepted_at = MAY + 2 * DAY
    request.closed_at, request.status = MAY + 4 * DAY, "closed"
    db.session.commit()
    row = _row(request.id)
    assert row.first_acceptance_seconds == 2 * 86400 and row.closure_seconds == 4 * 86400
    assert request_figures.differences(db.session) == []


def test_a_rollback_takes_the_row_back_and_a_merged_request_has_none(app, demo):
    noord = db.session.scalar(select(Team).where(Team.key == "noord"))
    first = factories.support_request(noord, created_at=MAY)
    second = factories.support_request(noord, created_at=MAY)
    db.session.commit()
    second.wijk_code = "WK999902"
    db.session.flush()
    db.session.rollback()
    assert _row(second.id).wijk_code is None
    second = db.session.get(SupportRequest, second.id)
    second.merged_into_id = first.id
    db.session.commit()
    assert _row(second.id) is None and _row(first.id) is not None
    assert request_figures.differences(db.session) == []


def test_the_check_finds_a_row_changed_past_the_session_and_rebuild_mends_it(app, demo):
    noord = db.session.scalar(select(Team).where(Team.key == "noord"))
    request = factories.support_request(noord, created_at=MAY)
    db.session.commit()
    db.session.execute(update(SupportRequest).where(SupportRequest.id == request.id)
                       .values(channel="telefoon").execution_options(synchronize_session=False))
    db.session.commit()
    assert request_figures.differences(db.session) == [request.id]
    request_figures.rebuild(db.session)
    db.session.commit()
    assert request_figures.differences(db.session) == []


def _referral_row(referral_id: int) -> ReferralFigure | None:
    db.session.expire_all()
    return db.session.get(ReferralFigure, referral_id)


def test_a_referrals_row_carries_its_requests_groups_and_follows_both(app, demo):
    noord = db.session.scalar(select(Team).where(Team.key == "noord"))
    partner = db.session.scalar(select(Partner).where(Partner.key == "schuldhulp"))
    request = factories.support_request(noord, created_at=MAY, wijk_code="WK999901", age=40,
                                        life_areas=["geld"])
    referral = factories.referral(request, "schulden", partner, state="sent", created_at=MAY,
                                  sent_at=MAY + DAY)
    db.session.commit()
    row = _referral_row(referral.id)
    assert row is not None
    assert (row.request_id, row.domain, row.partner_id, row.state) == (
        request.id, "schulden", partner.id, "sent")
    assert (row.wijk_code, row.received_at, row.team_id) == ("WK999901", MAY, noord.id)
    assert row.life_areas == request_figures.LIFE_AREA_BITS["geld"]
    request = db.session.get(SupportRequest, request.id)
    request.wijk_code = "WK999902"  # a change of the request alone
    db.session.commit()
    assert _referral_row(referral.id).wijk_code == "WK999902"
    referral = db.session.get(type(referral), referral.id)
    referral.state, referral.accepted_at = "accepted", MAY + 2 * DAY
    db.session.commit()
    row = _referral_row(referral.id)
    assert (row.state, row.accepted_at) == ("accepted", MAY + 2 * DAY)
    assert request_figures.differences(db.session) == []
    db.session.delete(db.session.get(type(referral), referral.id))
    db.session.commit()
    assert _referral_row(referral.id) is None
    assert request_figures.differences(db.session) == []


def test_a_moved_referral_keeps_one_row_and_a_merged_requests_referrals_have_none(app, demo):
    noord = db.session.scalar(select(Team).where(Team.key == "noord"))
    partner = db.session.scalar(select(Partner).where(Partner.key == "schuldhulp"))
    first = factories.support_request(noord, created_at=MAY, wijk_code="WK999901")
    second = factories.support_request(noord, created_at=MAY, wijk_code="WK999902")
    moved = factories.referral(second, "wonen", partner, state="sent", created_at=MAY,
                               sent_at=MAY)
    kept = factories.referral(second, "schulden", partner, state="sent", created_at=MAY,
                              sent_at=MAY + DAY)
    db.session.commit()
    moved = db.session.get(type(moved), moved.id)
    moved.request_id = first.id  # only the referral changes: its old row must go
    db.session.commit()
    row = _referral_row(moved.id)
    assert (row.request_id, row.wijk_code) == (first.id, "WK999901")
    left = _row(second.id)  # the request it left no longer counts it
    assert left.referral_domains == request_figures.DOMAIN_BITS["schulden"]
    assert left.first_referral_seconds == 86400
    assert request_figures.differences(db.session) == []
    second = db.session.get(SupportRequest, second.id)
    second.merged_into_id = first.id
    db.session.commit()
    assert _referral_row(kept.id) is None and _referral_row(moved.id) is not None
    assert request_figures.differences(db.session) == []


def test_the_check_finds_a_referral_changed_past_the_session(app, demo):
    noord = db.session.scalar(select(Team).where(Team.key == "noord"))
    partner = db.session.scalar(select(Partner).where(Partner.key == "schuldhulp"))
    request = factories.support_request(noord, created_at=MAY)
    referral = factories.referral(request, "schulden", partner, state="sent", created_at=MAY)
    db.session.commit()
    db.session.execute(update(Referral).where(Referral.id == referral.id)
                       .values(state="declined").execution_options(synchronize_session=False))
    db.session.commit()
    assert request_figures.differences(db.session) == [request.id]
    assert request_figures.rebuild(db.session) == tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (RequestFigure, ReferralFigure, PartnerRequestFigure))
    db.session.commit()
    assert _referral_row(referral.id).state == "declined"
    assert request_figures.differences(db.session) == []


def test_a_request_has_one_partner_row_per_partner_with_that_partners_first_times(app, demo):
    """Two referrals to one partner and one to another: two partner rows, each with the
    times of its own partner's first referral; a referral moved away takes its row along,
    and a referral's change past the session is found by the check."""
    noord = db.session.scalar(select(Team).where(Team.key == "noord"))
    schuldhulp = db.session.scalar(select(Partner).where(Partner.key == "schuldhulp"))
    other = db.session.scalar(select(Partner).where(Partner.id != schuldhulp.id))
    request = factories.support_request(noord, created_at=MAY)
    factories.referral(request, "schulden", schuldhulp, state="accepted", created_at=MAY,
                       sent_at=MAY + 3 * DAY, accepted_at=MAY + 5 * DAY)
    factories.referral(request, "schulden", schuldhulp, state="sent", created_at=MAY,
                       sent_at=MAY + DAY)
    moved = factories.referral(request, "wmo", other, state="sent", created_at=MAY,
                               sent_at=MAY + 2 * DAY)
    factories.referral(request, "wijkteam", noord, state="sent", created_at=MAY)  # a team
    db.session.commit()

    def rows() -> dict[int, PartnerRequestFigure]:
        db.session.expire_all()
        return {row.partner_id: row for row in db.session.scalars(
            select(PartnerRequestFigure).where(PartnerRequestFigure.request_id == request.id))}

    found = rows()
    assert set(found) == {schuldhulp.id, other.id}
    assert found[schuldhulp.id].first_referral_seconds == DAY.total_seconds()
    assert found[schuldhulp.id].first_acceptance_seconds == 5 * DAY.total_seconds()
    assert found[other.id].first_referral_seconds == 2 * DAY.total_seconds()
    assert found[other.id].first_acceptance_seconds is None
    assert found[other.id].channel == _row(request.id).channel
    second = factories.support_request(noord, created_at=MAY)
    moved.request_id = second.id
    db.session.commit()
    assert set(rows()) == {schuldhulp.id}
    assert request_figures.differences(db.session) == []
    db.session.execute(update(Referral).where(Referral.id == moved.id)
                       .values(target_partner_id=schuldhulp.id)
                       .execution_options(synchronize_session=False))
    db.session.commit()
    assert request_figures.differences(db.session) == [second.id]


def test_the_figures_commands_check_and_rebuild_the_rows(app, demo):
    noord = db.session.scalar(select(Team).where(Team.key == "noord"))
    request = factories.support_request(noord, created_at=MAY)
    db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["figures", "check", "--tenant", "demo"])
    assert result.exit_code == 0 and "Every figure row is right." in result.output
    db.session.execute(update(SupportRequest).where(SupportRequest.id == request.id)
                       .values(channel="telefoon").execution_options(synchronize_session=False))
    db.session.commit()
    result = runner.invoke(args=["figures", "check"])
    assert result.exit_code == 1 and f"differ: {request.id}" in result.output
    result = runner.invoke(args=["figures", "rebuild", "--tenant", "demo"])
    assert result.exit_code == 0 and "request rows" in result.output
    assert runner.invoke(args=["figures", "check"]).exit_code == 0
    assert _row(request.id).channel == "telefoon"
