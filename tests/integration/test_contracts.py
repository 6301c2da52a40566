"""Contracts decide which partner receives a referral: never one whose contract has ended or
not yet started; the next contracted partner, or the owning team with a task, never nobody.
The tenant file loads contracts all-or-nothing, and the coverage check reports where a
partner is responsible without a live contract, also from the day after a contract ends."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from flask_babel import format_date
from sqlalchemy import func, select

from app.calendar import today as local_today
from app.extensions import db
from app.i18n import force_locale
from app.models import AuditEvent, Contract, Partner, Referral, SupportRequest, Task, User
from app.services import contracts, referrals
from app.services.errors import InvalidInput
from app.services.tenants import TENANT_DIR, TenantConfigError, load_tenant_file
from app.vocabulary import DOMAIN_LABELS, label
from tests import factories
from tests.integration.helpers import submit_api

TODAY = local_today()


def _debt_contract(demo) -> Contract:
    return db.session.scalar(select(Contract).where(Contract.tenant_id == demo.id,
                                                    Contract.key == "schuldhulp-2024"))


def _schulden(request: SupportRequest) -> list[Referral]:
    return [referral for referral in request.referrals if referral.domain == "schulden"]


def test_a_referral_names_the_running_contract_it_was_made_under(client, demo, token):
    request = submit_api(client, token)
    [referral] = _schulden(request)
    assert referral.target_partner.name == "Schuldhulp Demodorp"
    assert referral.contract.key == "schuldhulp-2024"  # not the one that ended in 2023


def test_after_the_contract_ends_the_next_contracted_partner_gets_the_referral(
        client, demo, token):
    _debt_contract(demo).ends_on = TODAY - dt.timedelta(days=1)
    bank = factories.partner(demo, name="Kredietbank Demodorp")
    successor = factories.contract(bank, domains=("schulden",), product="schuldhulpverlening",
                                   starts_on=TODAY)
    db.session.commit()
    [referral] = _schulden(submit_api(client, token))
    assert referral.target_partner_id == bank.id
    assert referral.contract_id == successor.id


def test_with_no_live_contract_the_owning_team_gets_a_task_and_nobody_a_referral(
        client, demo, token):
    _debt_contract(demo).ends_on = TODAY - dt.timedelta(days=1)
    db.session.commit()
    request = submit_api(client, token)
    assert _schulden(request) == []
    [task] = db.session.scalars(select(Task).where(Task.request_id == request.id,
                                                   Task.kind == "no_contract")).all()
    assert task.team_id == request.owner_team_id
    with force_locale("nl"):  # the teams' working language
        assert label(DOMAIN_LABELS, "schulden") in task.reason
        assert format_date(TODAY, "long") in task.reason


def test_a_contract_that_has_not_started_yet_does_not_count(client, demo, token):
    contract = _debt_contract(demo)
    contract.starts_on = TODAY + dt.timedelta(days=1)
    db.session.commit()
    assert _schulden(submit_api(client, token)) == []


def test_a_contract_for_another_wijk_does_not_cover_this_address(client, demo, token):
    contract = _debt_contract(demo)
    contract.areas = ["WK999903"]  # Zuid; 9999 AA lies in Noord
    db.session.commit()
    assert _schulden(submit_api(client, token)) == []
    assert [r.target_partner.name for r in _schulden(submit_api(client, token, postcode="9999CA"))
            ] == ["Schuldhulp Demodorp"]


def test_staff_cannot_refer_by_hand_to_a_partner_without_a_contract_for_the_domain(
        client, demo, token):
    request = submit_api(client, token, life_areas=["wonen"])
    staff = db.session.scalar(select(User).where(User.tenant_id == demo.id,
                                                 User.team_id == request.owner_team_id))
    debt = db.session.scalar(select(Partner).where(Partner.tenant_id == demo.id,
                                                   Partner.key == "schuldhulp"))
    with pytest.raises(InvalidInput) as refused:
        referrals.refer_by_hand(staff, request, "ggz", f"partner:{debt.id}", "Past beter.")
    assert refused.value.field == "target"
    made = referrals.refer_by_hand(staff, request, "schulden", f"partner:{debt.id}",
                                   "Ook schulden.")
    assert made.contract.key == "schuldhulp-2024"


# --- The tenant file -------------------------------------------------------------------------

def _tenant_file(tmp_path: Path, extra: str) -> Path:
    path = tmp_path / "demo.yaml"
    (tmp_path / "logos").symlink_to(TENANT_DIR / "logos")
    path.write_text((TENANT_DIR / "demo.yaml").read_text(encoding="utf-8") + extra,
                    encoding="utf-8")
    return path


def test_the_demo_file_loads_its_contracts_and_loading_it_again_changes_nothing(demo):
    keys = {row.key for row in contracts.contracts_of(demo.id)}
    assert keys == {"schuldhulp-2023", "schuldhulp-2024", "welzijn-basis", "ggz-brug",
                    "veilig-thuis"}
    events = db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.action.like("contract.%")))
    assert events == 5
    load_tenant_file(TENANT_DIR / "demo.yaml")
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.action.like("contract.%"))) == events


@pytest.mark.parametrize(("extra", "message"), [
    ("  - {key: dubbel, partner: schuldhulp, product: schuldhulpverlening, "
     "starts_on: 2025-06-01, areas: [WK999901]}\n", "overlaps the contract schuldhulp-2024"),
    ("  - {key: omgekeerd, partner: welzijn, product: dagbegeleiding, starts_on: 2026-06-01, "
     "ends_on: 2026-05-31}\n", "last day is before the first day"),
    ("  - {key: raar, partner: welzijn, product: toverij, starts_on: 2026-01-01}\n",
     "Choose what the contract is for"),
    ("  - {key: niemand, partner: onbekend, product: ggz, starts_on: 2026-01-01}\n",
     "name a known 'partner'"),
    ("  - {key: elders, partner: ggz, product: verslavingszorg, areas: [WK034401], "
     "starts_on: 2026-01-01}\n", "not on the municipality's map: WK034401"),
    ("  - {key: geen-datum, partner: ggz, product: verslavingszorg}\n", "give 'starts_on'"),
    ("  - {key: ggz-brug, partner: veilig, product: ggz, starts_on: 2026-01-01}\n",
     "used twice"),
    ("  - {key: twee, partner: veilig, product: ggz, starts_on: 2026-01-01}\n"
     "  - {key: twee, partner: veilig, product: ggz, starts_on: 2026-01-01}\n", "used twice"),
])
def test_a_bad_contract_refuses_the_whole_file_and_changes_nothing(demo, tmp_path, extra,
                                                                   message):
    before = {row.key: (row.partner_id, row.starts_on, row.ends_on)
              for row in contracts.contracts_of(demo.id)}
    path = _tenant_file(tmp_path, extra)
    path.write_text(path.read_text(encoding="utf-8").replace(
        "name: Demodorp", "name: Demodorp Gewijzigd", 1), encoding="utf-8")
    with pytest.raises(TenantConfigError) as refused:
        load_tenant_file(path)
    assert message in str(refused.value)
    db.session.expire_all()
    assert {row.key: (row.partner_id, row.starts_on, row.ends_on)
            for row in contracts.contracts_of(demo.id)} == before
    assert db.session.get(type(demo), demo.id).name == "Demodorp"


def test_a_contract_made_in_the_file_is_audited_with_its_values(demo, tmp_path):
    path = _tenant_file(tmp_path, "  - {key: ggz-nieuw, partner: ggz, product: verslavingszorg, "
                                  "starts_on: 2027-01-01, volume: 50}\n")
    load_tenant_file(path)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "contract.created",
                                                       AuditEvent.details["changes"]["key"]
                                                       .as_string() == "ggz-nieuw"))
    assert event is not None and event.actor_label == "tenant file"
    assert event.details["changes"]["starts_on"] == "2027-01-01"
    assert event.details["changes"]["domains"] == ["verslaving"]  # the product's


# --- What the coverage check reports ---------------------------------------------------------

def test_the_check_reports_the_first_day_after_a_contract_ends_without_a_successor(demo, app):
    contract = _debt_contract(demo)
    contract.ends_on = TODAY + dt.timedelta(days=30)
    db.session.commit()
    found = contracts.gaps(demo, TODAY)
    assert {gap.domain for gap in found} == {"schulden"}
    assert {gap.day for gap in found} == {TODAY + dt.timedelta(days=31)}
    # every buurt of the map, and the requests without a known buurt
    assert len(found) == 7 and None in {gap.place for gap in found}

    result = app.test_cli_runner().invoke(args=["geo", "coverage", "--tenant", demo.slug,
                                                "--on", TODAY.isoformat()])
    assert f"no contract from {(TODAY + dt.timedelta(days=31)).isoformat()}: schulden" \
        in result.output
    factories.contract(factories.partner(demo), domains=("schulden",),
                       starts_on=TODAY + dt.timedelta(days=31))
    db.session.commit()
    assert contracts.gaps(demo, TODAY) == []


def test_the_workspace_and_the_file_refuse_an_overlap_with_the_same_message(demo):
    debt = _debt_contract(demo)
    data = contracts.ContractData(key="nog-een", partner_id=debt.partner_id,
                                  product="schuldhulpverlening", starts_on=TODAY)
    [(field, message)] = contracts.problems(demo, data)
    assert field == "starts_on" and "schuldhulp-2024" in message
    # ended the day before: no overlap, and the change is audited with before and after
    contracts.save(demo, contracts.ContractData(
        key=debt.key, partner_id=debt.partner_id, product=debt.product,
        starts_on=debt.starts_on, ends_on=TODAY - dt.timedelta(days=1), lot=debt.lot,
        volume=debt.volume), contract=debt, actor_label="test")
    assert contracts.problems(demo, data) == []
    other = db.session.scalar(select(Partner).where(Partner.tenant_id == demo.id,
                                                    Partner.key == "welzijn"))
    moved = contracts.ContractData(key=debt.key, partner_id=other.id, product=debt.product,
                                   starts_on=debt.starts_on)
    assert [field for field, _message in contracts.problems(demo, moved, existing=debt)] == [
        "partner_id"]
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "contract.changed"))
    assert event.details["changes"] == {"ends_on": [None, (TODAY - dt.timedelta(days=1))
                                                    .isoformat()]}
