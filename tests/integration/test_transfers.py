"""A contract that ends (issue 14): a partner's open referrals go to a successor with a warm
handover, previewed first and started as one audited operation that is all-or-nothing. The
old partner keeps the referral and writes a handover note until the successor accepts; the
resident is told in their language; without consent nothing is shared and the owning team
gets a task."""

from __future__ import annotations

import datetime as dt
import socket
from email import message_from_bytes
from email.header import decode_header, make_header

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from app.calendar import today as local_today
from app.extensions import db
from app.i18n import _, force_locale
from app.models import (
    AuditEvent,
    Contract,
    ContractTransfer,
    OutboxMessage,
    Partner,
    Referral,
    Task,
    Team,
    User,
)
from app.services import referrals, tasks, transfers
from app.services.errors import Conflict, InvalidInput, NotFound
from app.worker import process_batch
from tests import factories
from tests.conftest import login

TODAY = local_today()
LEAD = "lead-noord@demo.wijkloket.example"
OLD_PARTNER = "schuldhulp@demo.wijkloket.example"


def _user(email: str) -> User:
    return db.session.scalar(select(User).where(User.email == email))


def _partner(key: str) -> Partner:
    return db.session.scalar(select(Partner).where(Partner.key == key))


def _contract(key: str) -> Contract:
    return db.session.scalar(select(Contract).where(Contract.key == key))


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def world(demo):
    """Schuldhulp's debt contract ends in a month; the Kredietbank takes over the day after.
    Schuldhulp has three open referrals (sent, accepted, in progress: the residents
    consented) and one whose resident did not consent; Welzijn has one of its own."""
    old = _partner("schuldhulp")
    contract = _contract("schuldhulp-2024")
    contract.ends_on = TODAY + dt.timedelta(days=30)
    on = contract.ends_on + dt.timedelta(days=1)
    bank = factories.partner(demo, name="Kredietbank Demodorp", email="intake@krediet.example")
    factories.contract(bank, domains=("schulden",), product="schuldhulpverlening",
                       starts_on=on)
    noord = db.session.scalar(select(Team).where(Team.key == "noord"))
    made = {}
    for state in ("sent", "accepted", "in_progress"):
        request = factories.support_request(noord, domains=("schulden",), consent_share=True,
                                            contact_email=f"{state}@bewoner.example",
                                            email_updates=True, language="tr")
        made[state] = factories.referral(request, "schulden", old, state=state,
                                         contract_id=contract.id)
    private = factories.support_request(noord, domains=("schulden",), consent_share=False)
    made["no_consent"] = factories.referral(private, "schulden", old, state="accepted",
                                            contract_id=contract.id)
    elsewhere = factories.support_request(noord, domains=("welzijn",), consent_share=True)
    made["welzijn"] = factories.referral(elsewhere, "welzijn", _partner("welzijn"))
    bank_user = factories.user(demo, role="partner", partner=bank,
                               email="kredietbank@demo.wijkloket.example")
    db.session.commit()
    return {"tenant": demo, "old": old, "new": bank, "on": on, "referrals": made,
            "bank_user": bank_user, "contract": contract}


def _plan(world, **changes):
    values = {"from_partner_id": world["old"].id, "to_partner_id": world["new"].id,
              "product": "schuldhulpverlening", "on": world["on"], **changes}
    return transfers.plan(world["tenant"], **values)


def _start(world, **changes):
    values = {"from_partner_id": world["old"].id, "to_partner_id": world["new"].id,
              "product": "schuldhulpverlening", "on": world["on"], **changes}
    return transfers.start(_user(LEAD), world["tenant"], **values)


def _written() -> tuple[int, int, int, int, int]:
    return (_count(Referral), _count(AuditEvent), _count(Task), _count(OutboxMessage),
            _count(ContractTransfer))


def _successor(referral: Referral) -> Referral | None:
    return db.session.scalar(select(Referral).where(Referral.transferred_from_id == referral.id))


# --- The preview ----------------------------------------------------------------------------------

def test_the_preview_counts_what_moves_and_what_needs_consent_and_writes_nothing(world):
    before = _written()
    plan = _plan(world)
    assert plan.counts == {"moved": 3, "needs_consent": 1, "left": 0}
    assert plan.refusals == ()
    assert plan.from_contract.key == "schuldhulp-2024"
    assert _written() == before


def test_a_transfer_of_all_lots_takes_every_open_referral_of_the_partner(world):
    assert _plan(world, product=None).counts["moved"] == 3


def test_a_successor_without_a_contract_for_the_lot_is_refused_with_the_reason(world):
    db.session.execute(Contract.__table__.update().where(
        Contract.partner_id == world["new"].id).values(product="dagbegeleiding"))
    db.session.commit()
    plan = _plan(world)
    assert plan.refused
    [refusal] = plan.refusals
    assert refusal.count == 4 and "Kredietbank Demodorp" in refusal.message
    before = _written()
    with pytest.raises(InvalidInput) as refused:
        _start(world)
    assert refused.value.field == "to_partner"
    assert _written() == before  # all or nothing: no referral, no audit, no task, no mail


def test_a_successor_whose_contract_starts_after_the_day_is_refused(world):
    plan = _plan(world, on=world["on"] - dt.timedelta(days=1))
    assert plan.refused


@pytest.mark.parametrize(("changes", "field"), [
    ({"to_partner_id": "same"}, "to_partner"),
    ({"on": TODAY - dt.timedelta(days=1)}, "on"),
    ({"on": None}, "on"),
    ({"product": "geen_product"}, "product"),
    ({"product": "dagbegeleiding"}, "from_partner"),  # nothing to move for that lot
    ({"to_partner_id": 999999}, "to_partner"),
])
def test_bad_input_is_refused_on_its_field_and_nothing_is_written(world, changes, field):
    if changes.get("to_partner_id") == "same":
        changes = {"to_partner_id": world["old"].id}
    before = _written()
    with pytest.raises(InvalidInput) as refused:
        _start(world, **changes)
    assert refused.value.field == field
    assert str(refused.value)
    assert _written() == before


def test_a_partner_of_another_municipality_is_not_a_successor(world):
    other = factories.tenant()
    stranger = factories.partner(other, domain="schulden")
    db.session.commit()
    with pytest.raises(InvalidInput) as refused:
        _plan(world, to_partner_id=stranger.id)
    assert refused.value.field == "to_partner"


def test_a_transfer_started_twice_is_refused(world):
    _start(world)
    before = _written()
    with pytest.raises(InvalidInput) as refused:
        _start(world)
    assert refused.value.field == "from_partner"
    assert "Er loopt al een overdracht" in str(refused.value)
    with pytest.raises(InvalidInput):
        _start(world, product=None)  # all lots include the running one
    assert _written() == before


# --- Starting it -----------------------------------------------------------------------------------

def test_starting_opens_a_referral_to_the_successor_and_keeps_the_old_one_live(world):
    transfer = _start(world, note="Aanbesteding 2027")
    assert transfer.counts == {"moved": 3, "needs_consent": 1, "left": 0}
    for state in ("sent", "accepted", "in_progress"):
        old = world["referrals"][state]
        db.session.refresh(old)
        assert old.state == state  # still live, still the old partner's
        new = _successor(old)
        assert new.target_partner_id == world["new"].id and new.state == "sent"
        assert new.transfer_id == transfer.id and new.request_id == old.request_id
        assert new.domain == "schulden"
        assert new.contract.partner_id == world["new"].id
        assert new.due_date >= world["on"]
    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert actions.count("contract.transfer_started") == 1
    assert actions.count("referral.handover_started") == 4
    started = db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "contract.transfer_started"))
    assert started.details["counts"]["moved"] == 3 and started.reason == "Aanbesteding 2027"


def test_without_consent_nothing_is_shared_and_the_owning_team_gets_a_task(world):
    _start(world)
    held = world["referrals"]["no_consent"]
    assert _successor(held) is None
    [task] = db.session.scalars(select(Task).where(Task.kind == "transfer_consent")).all()
    assert task.referral_id == held.id and task.team_id == held.request.owner_team_id
    assert "Kredietbank Demodorp" in task.reason
    # The transfer runs while the consent is asked.
    with pytest.raises(InvalidInput):
        _plan(world)


def test_the_old_partner_is_asked_for_a_handover_note(world):
    _start(world)
    asks = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.event == "referral.handover")).all()
    assert len(asks) == 3
    assert {message.recipient for message in asks} == {"aanmelding@schuldhulp.example"}
    sent = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.event == "referral.sent")).all()
    assert {message.recipient for message in sent} == {"intake@krediet.example"}


def test_a_resident_whose_question_is_about_safety_at_home_is_not_mailed(world):
    request = world["referrals"]["sent"].request
    request.life_areas = ["veiligheid", "geld"]
    db.session.commit()
    _start(world)
    mailed = db.session.scalars(select(OutboxMessage.recipient).where(
        OutboxMessage.event == "resident.transferred")).all()
    assert sorted(mailed) == ["accepted@bewoner.example", "in_progress@bewoner.example"]


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        self.messages.append(envelope.content)
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def app_config(request):
    return getattr(request, "param", {})


@pytest.mark.parametrize("app_config", [{"MAIL_TRANSPORT": "smtp"}], indirect=True)
def test_the_resident_is_told_in_their_language_who_helps_from_when(app, world):
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port)
        _start(world)
        while process_batch().sent:
            pass
    finally:
        controller.stop()
    mails = [message_from_bytes(raw) for raw in inbox.messages]
    resident = [mail for mail in mails if mail["To"] == "accepted@bewoner.example"]
    assert len(resident) == 1
    body = resident[0].get_payload(decode=True).decode()
    with force_locale("tr"):
        greeting = _("Hello,")
    assert greeting != "Hello," and body.startswith(greeting)  # Turkish, as the resident chose
    assert "Kredietbank Demodorp" in body and "Schuldhulp Demodorp" in body
    assert world["referrals"]["accepted"].request.reference in str(
        make_header(decode_header(resident[0]["Subject"])))
    assert "schulden" not in body.lower()  # no special-category details in a mail


# --- The successor answers ---------------------------------------------------------------------------

def test_when_the_successor_accepts_the_old_referral_ends_as_referred_on(world):
    _start(world)
    for state, ended in (("accepted", "completed"), ("in_progress", "completed"),
                         ("sent", "withdrawn")):
        old = world["referrals"][state]
        new = _successor(old)
        referrals.accept(world["bank_user"], new.id)
        db.session.refresh(old)
        assert old.state == ended
        if ended == "completed":
            assert old.outcome == "doorverwezen"
        event = db.session.scalar(select(AuditEvent).where(
            AuditEvent.object_type == "referral", AuditEvent.object_id == old.id,
            AuditEvent.action == f"referral.{ended}"))
        assert event.reason == "transferred"
        [told] = db.session.scalars(select(OutboxMessage).where(
            OutboxMessage.event == "referral.taken_over",
            OutboxMessage.idempotency_key.contains(f"referral-{old.id}-"))).all()
        assert told.recipient == world["old"].email
        assert "Kredietbank Demodorp" in told.payload["subject"]
    # Every successor answered and nothing waits for consent any more: a new transfer may
    # start (here nothing is left but the held one, whose task is still open).
    with pytest.raises(InvalidInput):
        _plan(world)


def test_when_the_successor_declines_the_owning_team_gets_a_task_and_the_old_one_stays(world):
    _start(world)
    old = world["referrals"]["accepted"]
    new = _successor(old)
    referrals.decline(world["bank_user"], new.id, "Geen plek")
    db.session.refresh(old)
    assert old.state == "accepted"
    assert db.session.scalar(select(Task).where(Task.kind == "referral_declined",
                                                Task.referral_id == new.id)) is not None


# --- The handover note --------------------------------------------------------------------------

def test_the_old_partner_writes_a_handover_note_until_the_successor_accepts(world):
    _start(world)
    old = world["referrals"]["accepted"]
    partner_user = _user(OLD_PARTNER)
    transfers.add_handover_note(partner_user, old.id, "Mevrouw belt liever 's ochtends.")
    transfers.add_handover_note(partner_user, old.id, "Bel 's ochtends, na 10 uur.")
    new = _successor(old)
    assert new.handover_note == "Bel 's ochtends, na 10 uur." and new.handover_note_at
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.action == "referral.handover_note")) == 2
    # The old partner still has the referral (and its page) while the successor decides.
    assert referrals.referral_for(partner_user, old.id).state == "accepted"
    referrals.accept(world["bank_user"], new.id)
    with pytest.raises(Conflict):
        transfers.add_handover_note(partner_user, old.id, "Nog iets")
    db.session.refresh(new)
    assert new.handover_note == "Bel 's ochtends, na 10 uur."


def test_an_empty_note_is_refused(world):
    _start(world)
    with pytest.raises(InvalidInput) as refused:
        transfers.add_handover_note(_user(OLD_PARTNER), world["referrals"]["sent"].id, "  ")
    assert refused.value.field == "note"


def test_a_note_on_a_referral_that_is_not_handed_over_is_refused(world):
    with pytest.raises(Conflict):
        transfers.add_handover_note(_user(OLD_PARTNER), world["referrals"]["sent"].id, "Hoi")


def test_other_partners_and_municipalities_do_not_find_the_referral(world):
    _start(world)
    old = world["referrals"]["accepted"]
    other = factories.tenant()
    stranger = factories.user(other, role="partner", partner=factories.partner(other))
    db.session.commit()
    for user in (_user("welzijn@demo.wijkloket.example"), world["bank_user"], stranger,
                 _user(LEAD)):
        with pytest.raises(NotFound):
            transfers.add_handover_note(user, old.id, "Hoi")
    assert _successor(old).handover_note is None


# --- The pages ---------------------------------------------------------------------------------

def _form(world, **changes):
    return {"from_partner": str(world["old"].id), "to_partner": str(world["new"].id),
            "product": "schuldhulpverlening", "on": world["on"].isoformat(), "note": "",
            **changes}


def test_the_transfer_page_previews_counts_then_starts_on_confirmation(app, world):
    app.config["WTF_CSRF_ENABLED"] = False
    client = app.test_client()
    login(client, LEAD)
    page = client.get(f"/beleid/contracts/transfer?contract={world['contract'].id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert world["on"].isoformat() in html  # the day after the contract ends, filled in
    preview = client.post("/beleid/contracts/transfer", data=_form(world, action="preview"))
    assert preview.status_code == 200
    html = preview.get_data(as_text=True)
    assert "data-count-moved=\"3\"" in html and "data-count-needs-consent=\"1\"" in html
    for referral in world["referrals"].values():  # counts only: no resident's details
        assert referral.request.reference not in html
    assert _count(ContractTransfer) == 0
    done = client.post("/beleid/contracts/transfer", data=_form(world, action="confirm"))
    assert done.status_code == 302
    assert _count(ContractTransfer) == 1
    follow = client.get(done.headers["Location"])
    assert "Kredietbank Demodorp" in follow.get_data(as_text=True)


def test_the_transfer_page_keeps_what_was_typed_when_it_refuses(app, world):
    app.config["WTF_CSRF_ENABLED"] = False
    client = app.test_client()
    login(client, LEAD)
    response = client.post("/beleid/contracts/transfer", data=_form(
        world, to_partner=str(world["old"].id), note="Mijn notitie", action="confirm"))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Mijn notitie" in html
    assert _count(ContractTransfer) == 0


def test_staff_and_partners_may_not_transfer(app, world):
    for email in ("noord@demo.wijkloket.example", OLD_PARTNER):
        client = app.test_client()
        login(client, email)
        assert client.get("/beleid/contracts/transfer").status_code in {403, 404}


def test_the_old_partner_writes_the_note_on_its_page_and_the_successor_reads_it(app, world):
    app.config["WTF_CSRF_ENABLED"] = False
    _start(world)
    old = world["referrals"]["accepted"]
    client = app.test_client()
    login(client, OLD_PARTNER)
    page = client.get(f"/partner/referrals/{old.id}").get_data(as_text=True)
    assert "handover-note" in page
    response = client.post(f"/partner/referrals/{old.id}/handover-note",
                           data={"handover-note": "Bel 's ochtends."})
    assert response.status_code == 302
    successor = _successor(old)
    reader = app.test_client()
    login(reader, "kredietbank@demo.wijkloket.example")
    html = reader.get(f"/partner/referrals/{successor.id}").get_data(as_text=True)
    assert "Bel &#39;s ochtends." in html and "Schuldhulp Demodorp" in html



def test_after_consent_the_team_refers_the_held_question_and_it_is_taken_over(world):
    _start(world)
    held = world["referrals"]["no_consent"]
    held.request.consent_share = True
    db.session.commit()
    new = referrals.refer_by_hand(_user(LEAD), held.request, "schulden",
                                  f"partner:{world['new'].id}", "Bewoner gaf toestemming")
    assert new.transferred_from_id == held.id and new.state == "sent"
    [task] = db.session.scalars(select(Task).where(Task.kind == "transfer_consent")).all()
    assert task.state == "done"
    transfers.add_handover_note(_user(OLD_PARTNER), held.id, "Zie dossier")
    referrals.accept(world["bank_user"], new.id)
    db.session.refresh(held)
    assert held.state == "completed" and held.outcome == "doorverwezen"


# --- Through the partner API ----------------------------------------------------------------------

def _api(client, token, method, path, json=None):
    return client.open(f"/api/v1{path}", method=method, json=json,
                       headers={"Authorization": f"Bearer {token}"})


def test_through_the_api_the_old_partner_writes_the_note_and_the_successor_reads_it(
        client, world):
    old_token = factories.api_token(world["tenant"], partner=world["old"], name="oud")
    new_token = factories.api_token(world["tenant"], partner=world["new"], name="nieuw")
    db.session.commit()
    old = world["referrals"]["accepted"]
    before = _api(client, old_token, "GET", f"/referrals/{old.id}").json
    assert before["handed_over_to"] is None and before["taken_over_from"] is None
    _start(world)
    successor = _successor(old)

    listed = {row["id"]: row for row in _api(client, old_token, "GET", "/referrals").json[
        "referrals"]}
    assert listed[old.id]["handed_over_to"] == {
        "partner": "Kredietbank Demodorp", "starts_on": world["on"].isoformat(),
        "note": None, "note_at": None, "may_write_note": True}
    assert listed[world["referrals"]["sent"].id]["handed_over_to"]["partner"] == \
        "Kredietbank Demodorp"

    written = _api(client, old_token, "PUT", f"/referrals/{old.id}/handover-note",
                   json={"note": "Bel 's ochtends."})
    assert written.status_code == 200, written.json
    assert written.json["handed_over_to"]["note"] == "Bel 's ochtends."
    assert written.json["state"] == "accepted"

    seen = _api(client, new_token, "GET", f"/referrals/{successor.id}").json
    assert seen["taken_over_from"]["partner"] == world["old"].name
    assert seen["taken_over_from"]["note"] == "Bel 's ochtends."
    assert seen["taken_over_from"]["note_at"].endswith("Z")
    assert seen["handed_over_to"] is None
    # The successor cannot write on it, nor find the old partner's referral.
    assert _api(client, new_token, "PUT", f"/referrals/{successor.id}/handover-note",
                json={"note": "x"}).status_code == 409
    assert _api(client, new_token, "GET", f"/referrals/{old.id}").status_code == 404

    assert _api(client, new_token, "POST", f"/referrals/{successor.id}/accept").status_code \
        == 200
    late = _api(client, old_token, "PUT", f"/referrals/{old.id}/handover-note",
                json={"note": "Nog iets"})
    assert late.status_code == 409


def test_through_the_api_an_empty_note_is_refused_on_its_field(client, world):
    token = factories.api_token(world["tenant"], partner=world["old"], name="oud")
    db.session.commit()
    _start(world)
    old = world["referrals"]["sent"]
    refused = _api(client, token, "PUT", f"/referrals/{old.id}/handover-note", json={})
    assert refused.status_code == 422
    assert "note" in refused.json["fields"]
    assert _successor(old).handover_note is None
    staff = factories.api_token(world["tenant"], name="balie")
    db.session.commit()
    assert _api(client, staff, "PUT", f"/referrals/{old.id}/handover-note",
                json={"note": "x"}).status_code == 403


# --- Transfers so far -------------------------------------------------------------------------------

def test_the_progress_of_a_transfer_counts_what_was_taken_on_waits_and_was_not(world):
    assert transfers.progress(world["tenant"].id) == []
    _start(world)
    [first] = transfers.progress(world["tenant"].id)
    assert (first.taken_on, first.waiting, first.not_taken, first.consent) == (0, 3, 0, 1)
    assert first.running
    made = world["referrals"]
    referrals.accept(world["bank_user"], _successor(made["accepted"]).id)
    referrals.decline(world["bank_user"], _successor(made["sent"]).id, "Geen plek")
    [first] = transfers.progress(world["tenant"].id)
    assert (first.taken_on, first.waiting, first.not_taken, first.consent) == (1, 1, 1, 1)
    referrals.accept(world["bank_user"], _successor(made["in_progress"]).id)
    [task] = db.session.scalars(select(Task).where(Task.kind == "transfer_consent")).all()

    tasks.complete(task, _user(LEAD))
    db.session.commit()
    [first] = transfers.progress(world["tenant"].id)
    assert (first.taken_on, first.waiting, first.not_taken, first.consent) == (2, 0, 1, 0)
    assert not first.running
    # Another municipality's transfers are not listed.
    assert transfers.progress(factories.tenant().id) == []


def test_the_transfer_page_lists_the_transfers_so_far_in_numbers(app, world):
    _start(world)
    client = app.test_client()
    login(client, LEAD)
    html = client.get("/beleid/contracts/transfer").get_data(as_text=True)
    assert "Overdrachten tot nu toe" in html
    assert "Kredietbank Demodorp" in html
    for referral in world["referrals"].values():
        assert referral.request.reference not in html
