"""The merchant's webhook: a test delivery on demand, Standard Webhooks signatures, retries from the outbox."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select
from standardwebhooks import Webhook, WebhookVerificationError

from complaints import webhooks
from core.clock import clock
from core.events import DeliveryStatus, OutboxDelivery
from tests.complaints.conftest import Cases, Receiver
from tests.conftest import Keys


def test_the_signature_is_the_standard_webhooks_test_vector():
    """The example of the Standard Webhooks spec's reference libraries, byte for byte."""
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = b'{"test": 2432232314}'
    signature = webhooks.sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body)
    assert signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    headers = {"webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek", "webhook-timestamp": "1614265330"}
    clock.freeze(datetime.fromtimestamp(1614265330 + 300, UTC))  # within the 5 minutes' tolerance
    assert webhooks.verify(secret, {**headers, "webhook-signature": f"v1,bm90aGluZw== {signature}"}, body)
    clock.advance(timedelta(seconds=1))
    assert not webhooks.verify(secret, {**headers, "webhook-signature": signature}, body)


def test_the_test_delivery_is_signed_and_a_failing_endpoint_is_retried(
    cases: Cases, client, keys, dispatcher, db, receiver: Receiver
):
    base = f"/api/v1/enterprises/{keys.merchant_id}/complaint-webhook"
    m = Keys.header(keys.merchant)
    assert client.post(f"{base}/test", headers=m).json() == {
        "delivered": False,
        "error": "no webhook URL is set",
    }
    r = client.put(base, json={"url": "ftp://nowhere"}, headers=m)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "url"
    secret = client.put(base, json={"url": receiver.url}, headers=m).json()["secret"]
    assert (
        client.put(base, json={"url": receiver.url}, headers=Keys.header(keys.other_merchant)).status_code
        == 403
    )

    r = client.post(f"{base}/test", headers=m)
    assert r.json() == {"delivered": True, "status": 204}
    headers, body, _ = receiver.received[-1]
    assert json.loads(body)["type"] == "complaint.test" and webhooks.verify(secret, headers, body)
    assert headers["webhook-id"].startswith("msg_") and headers["webhook-signature"].startswith("v1,")
    tampered = body.replace(b"complaint.test", b"complaint.tesT")
    assert not webhooks.verify(secret, headers, tampered)
    # What a merchant using the Standard Webhooks library runs: its own verifier accepts what we sent
    # (it raises otherwise), and refuses the tampered body.
    assert Webhook(secret).verify(body, headers) == json.loads(body)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(tampered, headers)

    receiver.status = 503  # the merchant's server is down: the delivery waits and is retried
    dispatcher.drain()  # deliver what registration emitted before the case
    case = cases.file()
    dispatcher.run_once()
    with db.read_session() as s:
        row = s.exec(
            select(OutboxDelivery).where(OutboxDelivery.subscriber == "complaints.webhook.received")
        ).one()
    assert row.status == DeliveryStatus.pending and row.attempts == 1 and "503" in row.last_error
    receiver.status = 204
    import time

    time.sleep(0.05)
    dispatcher.drain()
    with db.read_session() as s:
        row = s.get(OutboxDelivery, row.id)
    assert row.status == DeliveryStatus.done
    received = [
        json.loads(b) for _h, b, _s in receiver.received if json.loads(b)["type"] == "complaint.received"
    ]
    # the retry carries the same webhook-id, so the merchant can drop a duplicate
    ids = {h["webhook-id"] for h, b, _s in receiver.received if json.loads(b)["type"] == "complaint.received"}
    assert len(ids) == 1 and received[-1]["data"]["ticket_no"] == case.ticket_no


def test_a_webhook_reaches_only_public_addresses_and_follows_no_redirect(client, keys, settings, receiver):
    """The URL is the merchant's to choose: without an allowed network, the platform's own host, its
    intranet and the cloud metadata address are refused when set, and a name resolving there is refused
    at delivery; a redirect (which could point anywhere) is a failed delivery, not followed."""
    strict = webhooks.Destinations()
    m = Keys.header(keys.merchant)
    base = f"/api/v1/enterprises/{keys.merchant_id}/complaint-webhook"
    for url in (
        "http://localhost:8000/admin",
        "http://10.1.2.3/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:9200/",
        "http://[::ffff:127.0.0.1]/",
        "http://0.0.0.0/",
        "https://es.internal/hook",
    ):
        assert strict.refuse_literal(url), url
    assert strict.refuse_literal("https://hooks.merchant.example/complaints") is None
    assert strict.refuse_literal("https://8.8.8.8/complaints") is None
    with pytest.raises(webhooks.DeliveryFailed, match="not permitted"):
        strict.resolve("localhost", 80)
    with pytest.raises(webhooks.DeliveryFailed, match="not a public address"):
        webhooks.post("http://127.0.0.1:9/x", "whsec_" + "A" * 32, "msg_1", {}, strict)

    # Through the API: the test app allows 127.0.0.0/8 (its receivers' network), not the metadata address.
    r = client.put(base, json={"url": "http://169.254.169.254/latest/meta-data/"}, headers=m)
    assert r.status_code == 422, r.text
    assert (
        r.json()["errors"][0]["field"] == "url" and "not a public address" in r.json()["errors"][0]["reason"]
    )
    assert client.put(base, json={"url": "http://10.0.0.8/hook"}, headers=m).status_code == 422
    assert client.put(base, json={"url": receiver.url}, headers=m).status_code == 200

    receiver.status = 307  # a redirect to wherever: not followed, a failed delivery retried later
    assert client.post(f"{base}/test", headers=m).json() == {
        "delivered": False,
        "error": f"{receiver.url} answered 307",
    }
