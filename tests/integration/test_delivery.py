"""Outbox delivery against a real SMTP server (aiosmtpd) and a real HTTP receiver."""

from __future__ import annotations

import datetime as dt
import socket
from email import message_from_bytes

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select, update
from standardwebhooks.webhooks import Webhook
from werkzeug import Response

from app.extensions import db
from app.models import OutboxMessage, Partner, utcnow
from app.worker import claim, process_batch
from tests.integration.helpers import form_data, submit_form


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Inbox:
    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        self.messages.append(envelope.content)
        return "250 OK"


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


@pytest.fixture
def app_config(request):
    return getattr(request, "param", {})


def _submit(client, **changes):
    response = submit_form(client, "/demo/hulpvraag", form_data(**changes))
    assert response.status_code == 302


@pytest.mark.parametrize("app_config", [{"MAIL_TRANSPORT": "smtp"}], indirect=True)
def test_a_referral_notice_is_delivered_by_smtp(app, client, demo, smtp_server):
    controller, inbox = smtp_server
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port)
    _submit(client)
    assert process_batch().sent == 1
    [raw] = inbox.messages
    mail = message_from_bytes(raw)
    assert mail["To"] == "aanmelding@schuldhulp.example"
    assert mail["Message-ID"].endswith("@wijkloket>")
    body = mail.get_payload(decode=True).decode()
    assert "WL-" in body and "schulden" not in body.lower()


@pytest.mark.parametrize("app_config", [{"MAIL_TRANSPORT": "smtp"}], indirect=True)
def test_mail_is_retried_while_the_smtp_server_is_down_then_delivered(app, client, demo):
    port = free_port()
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_TIMEOUT=2)
    _submit(client)
    result = process_batch()
    assert (result.sent, result.retried) == (0, 1)
    message = db.session.scalar(select(OutboxMessage))
    assert message.state == "pending" and message.attempts == 1 and message.last_error
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        assert process_batch().sent == 1
    finally:
        controller.stop()
    assert len(inbox.messages) == 1
    db.session.refresh(message)
    assert message.state == "sent" and message.attempts == 2


def _webhook_partner(url: str) -> Partner:
    partner = db.session.scalar(select(Partner).where(Partner.key == "schuldhulp"))
    partner.webhook_url = url
    partner.webhook_secret = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    db.session.commit()
    return partner


def test_a_webhook_is_signed_and_delivered_once_after_two_failures(client, demo, httpserver):
    partner = _webhook_partner(httpserver.url_for("/hooks/wijkloket"))
    received = []

    def handler(request):
        received.append(request)
        if len(received) <= 2:
            return Response("unavailable", status=503)
        return Response(status=204)

    httpserver.expect_request("/hooks/wijkloket", method="POST").respond_with_handler(handler)
    _submit(client)
    webhook = db.session.scalar(select(OutboxMessage).where(OutboxMessage.channel == "webhook"))
    for _attempt in range(3):
        process_batch()
    db.session.refresh(webhook)
    assert webhook.state == "sent" and webhook.attempts == 3
    assert len(received) == 3
    last = received[-1]
    payload = Webhook(partner.webhook_secret).verify(last.get_data(), dict(last.headers))
    assert payload["type"] == "referral.sent"
    assert payload["data"]["reference"].startswith("WL-")
    assert last.headers["webhook-id"] == webhook.idempotency_key
    assert {r.headers["webhook-id"] for r in received} == {webhook.idempotency_key}


def test_a_webhook_with_a_wrong_signature_does_not_verify(client, demo, httpserver):
    from standardwebhooks.webhooks import WebhookVerificationError

    partner = _webhook_partner(httpserver.url_for("/hook"))
    bodies = []
    httpserver.expect_request("/hook").respond_with_handler(
        lambda request: bodies.append(request) or Response(status=200)
    )
    _submit(client)
    process_batch()
    [request] = bodies
    other = Webhook("whsec_" + "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQQ==")
    with pytest.raises(WebhookVerificationError):
        other.verify(request.get_data(), dict(request.headers))
    assert partner.webhook_secret


def test_a_message_that_keeps_failing_is_dead_lettered_and_can_be_retried(app, client, demo):
    app.config.update(OUTBOX_MAX_ATTEMPTS=2)
    _webhook_partner(f"http://127.0.0.1:{free_port()}/nobody-listens")
    _submit(client)
    process_batch()
    result = process_batch()
    webhook = db.session.scalar(select(OutboxMessage).where(OutboxMessage.channel == "webhook"))
    assert result.dead == 1 and webhook.state == "dead"
    from tests.conftest import csrf_token, login

    login(client, "admin@demo.wijkloket.example")
    page = client.get("/admin/outbox?state=dead").get_data(as_text=True)
    assert "nobody-listens" in page
    client.post(f"/admin/outbox/{webhook.id}/retry", data={"csrf_token": csrf_token(page)})
    db.session.refresh(webhook)
    assert webhook.state == "pending" and webhook.attempts == 0


def test_a_claimed_message_is_claimed_again_only_after_its_lease_ends(client, demo):
    _submit(client)
    first = claim(10)
    assert first and claim(10) == []
    db.session.execute(
        update(OutboxMessage).values(locked_until=utcnow() - dt.timedelta(seconds=1))
    )
    db.session.commit()
    assert claim(10) == first


def test_the_worker_command_delivers_to_the_mailbox(app, client, demo):
    _submit(client)
    result = app.test_cli_runner().invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(OutboxMessage.state)) == "sent"


def test_workers_side_by_side_never_claim_the_same_message(app, demo):
    """Four workers claim at once (SKIP LOCKED on PostgreSQL): every message exactly once."""
    import threading

    from app.messaging.transport.outbox import enqueue

    for number in range(40):
        enqueue(tenant_id=demo.id, channel="email", recipient=f"r{number}@example.nl",
                event="test", payload={}, idempotency_key=f"side-by-side-{number}")
    db.session.commit()
    claimed: list[list[int]] = []
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def worker() -> None:
        try:
            with app.app_context():
                start.wait()
                mine: list[int] = []
                while batch := claim(3):
                    mine += batch
                claimed.append(mine)
                db.session.remove()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    everything = [message_id for mine in claimed for message_id in mine]
    assert len(everything) == len(set(everything)) == 40


def test_after_a_secret_rotation_old_and_new_secret_both_verify(app, client, demo, httpserver):
    partner = _webhook_partner(httpserver.url_for("/hooks/wijkloket"))
    old_secret = partner.webhook_secret
    result = app.test_cli_runner().invoke(args=["partner", "rotate-secret", "--tenant", "demo",
                                                partner.key])
    assert result.exit_code == 0, result.output
    new_secret = result.output.strip()
    assert new_secret.startswith("whsec_") and new_secret != old_secret
    received = []
    httpserver.expect_request("/hooks/wijkloket", method="POST").respond_with_handler(
        lambda request: received.append(request) or Response(status=204))
    _submit(client)
    process_batch()
    request = received[-1]
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    for secret in (new_secret, old_secret):  # the partner may switch at its own pace
        Webhook(secret).verify(request.get_data(), dict(request.headers))

    # After the overlap only the new secret signs.
    db.session.refresh(partner)
    partner.webhook_secret_rotated_at = utcnow() - dt.timedelta(hours=25)
    db.session.commit()
    _submit(client, life_areas=["geld", "contact"], description="Nog een vraag.")
    process_batch()
    latest = received[-1]
    assert len(latest.headers["webhook-signature"].split(" ")) == 1
    Webhook(new_secret).verify(latest.get_data(), dict(latest.headers))


def test_a_batch_whose_lease_runs_short_hands_back_the_messages_it_has_not_tried(
        app, client, demo, monkeypatch):
    """Slow deliveries eat the lease: no delivery starts that could outlive it (another worker
    may claim the row once the lease ends); the untried rest is due again, attempt uncounted."""
    import app.worker as worker

    for number in range(5):
        _submit(client, contact_email=f"bewoner{number}@example.org")
    total = db.session.scalar(select(func.count()).select_from(OutboxMessage))
    assert total >= 4
    app.config.update(OUTBOX_LEASE_SECONDS=120, WEBHOOK_TIMEOUT=10, SMTP_TIMEOUT=10)
    clock = [utcnow()]
    monkeypatch.setattr(worker, "utcnow", lambda: clock[0])
    real_deliver = worker.deliver

    def slow_deliver(message, partner=None):  # each delivery takes 50 s on the fake clock
        real_deliver(message, partner)
        clock[0] += dt.timedelta(seconds=50)

    monkeypatch.setattr(worker, "deliver", slow_deliver)
    result = worker.process_batch()
    # Started at 0, 50 and 100 s; at 150 s a delivery could end after the lease (120 s).
    assert (result.claimed, result.sent, result.released) == (total, 3, total - 3)
    db.session.expire_all()
    rows = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [m.state for m in rows] == ["sent"] * 3 + ["pending"] * (total - 3)
    assert all(m.attempts == 0 and m.locked_until is None for m in rows[3:])
    assert worker.claim(50, clock[0]) == [m.id for m in rows[3:]]  # due again at once
