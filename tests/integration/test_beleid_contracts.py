"""The contracts in the workspace: the list with where a partner has no running contract, and
a new contract or a change by a policy advisor, checked, audited and shown in its history;
bad input keeps what was typed and changes nothing."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from app.calendar import today as local_today
from app.extensions import db
from app.i18n import force_locale
from app.models import AuditEvent, Contract, Partner
from app.vocabulary import CONTRACT_STATE_LABELS, label
from tests.conftest import logged_in, post_from

BELEID = "beleid@demo.wijkloket.example"
LEAD = "lead-noord@demo.wijkloket.example"
TODAY = local_today()


def _contract(key: str) -> Contract:
    found = db.session.scalar(select(Contract).where(Contract.key == key))
    assert found is not None
    return found


def _state(code: str) -> str:
    with force_locale("nl"):
        return str(label(CONTRACT_STATE_LABELS, code))


def _partner(key: str) -> Partner:
    found = db.session.scalar(select(Partner).where(Partner.key == key))
    assert found is not None
    return found


def _form(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "key": "dagbesteding-2027", "partner": str(_partner("welzijn").id),
        "product": "dagbegeleiding", "lot": "Perceel 2", "funding": "inkoop",
        "starts_on": "2027-01-01", "ends_on": "", "volume": "120",
        "domains": [], "areas": ["WK999901"]}
    data.update(changes)
    return data


def test_the_list_shows_every_contract_with_its_state_and_the_policy_advisor_may_add(app, demo):
    client = logged_in(app, BELEID)
    html = client.get("/beleid/contracts").get_data(as_text=True)
    assert "Schuldhulp Demodorp" in html and "Perceel 1 Schuldhulp" in html
    assert html.count("/beleid/contracts/new") >= 1
    assert _state("ended") in html  # schuldhulp-2023
    assert 'id="gaps-heading"' in html and "<table" not in html.split('id="gaps-heading"')[1] \
        .split("</section>")[0]


def test_a_team_lead_reads_the_list_without_the_buttons_to_change(app, demo):
    html = logged_in(app, LEAD).get("/beleid/contracts").get_data(as_text=True)
    assert "Schuldhulp Demodorp" in html
    assert "/beleid/contracts/new" not in html
    assert f"/beleid/contracts/{_contract('schuldhulp-2024').id}" not in html


def test_a_new_contract_is_saved_audited_and_listed(app, demo):
    client = logged_in(app, BELEID)
    response = post_from(client, "/beleid/contracts/new", "/beleid/contracts/new", **_form())
    assert response.status_code == 302, response.get_data(as_text=True)
    made = _contract("dagbesteding-2027")
    assert (made.partner.key, made.domains, made.areas, made.starts_on, made.ends_on,
            made.volume) == ("welzijn", ["dagbesteding"], ["WK999901"], dt.date(2027, 1, 1),
                             None, 120)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "contract.created",
                                                       AuditEvent.object_id == made.id))
    assert event.actor_id is not None
    listed = client.get("/beleid/contracts").get_data(as_text=True)
    assert "dagbesteding-2027" in listed and "Perceel 2" in listed


def test_a_bad_contract_keeps_what_was_typed_says_why_and_saves_nothing(app, demo):
    client = logged_in(app, BELEID)
    before = db.session.scalar(select(func.count(Contract.id)))
    response = post_from(client, "/beleid/contracts/new", "/beleid/contracts/new",
                         **_form(starts_on="2027-06-01", ends_on="2027-05-31"))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'value="dagbesteding-2027"' in html and 'value="Perceel 2"' in html
    assert 'value="2027-05-31"' in html
    assert 'id="ends_on-error"' in html
    overlap = post_from(client, "/beleid/contracts/new", "/beleid/contracts/new",
                        **_form(key="dubbel", partner=str(_partner("schuldhulp").id),
                                product="schuldhulpverlening", areas=[]))
    assert overlap.status_code == 422
    assert "schuldhulp-2024" in overlap.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Contract.id))) == before


def test_ending_a_contract_is_a_change_in_its_history_and_the_gap_shows_on_the_list(app, demo):
    client = logged_in(app, BELEID)
    contract = _contract("schuldhulp-2024")
    url = f"/beleid/contracts/{contract.id}"
    last_day = TODAY + dt.timedelta(days=10)
    response = post_from(client, url, url, **_form(
        key=contract.key, partner=str(contract.partner_id), product=contract.product,
        lot=contract.lot, starts_on=contract.starts_on.isoformat(),
        ends_on=last_day.isoformat(), volume=str(contract.volume), domains=["schulden"],
        areas=[]))
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    assert _contract("schuldhulp-2024").ends_on == last_day
    page = client.get(url).get_data(as_text=True)
    assert 'id="history-heading"' in page and "Bea Beleid" in page
    listed = client.get("/beleid/contracts").get_data(as_text=True)
    assert _state("ending") in listed
    # From the day after the last day nobody has a contract for debts: the list says so.
    gaps_section = listed.split('id="gaps-heading"')[1].split("</section>")[0]
    assert "Schuldhulp" in gaps_section or "Geld" in gaps_section
    assert "<table" in gaps_section


def test_another_municipality_s_contract_is_not_found(app, demo):
    from tests import factories

    other = factories.tenant()
    theirs = factories.contract(factories.partner(other))
    db.session.commit()
    client = logged_in(app, BELEID)
    assert client.get(f"/beleid/contracts/{theirs.id}").status_code == 404
