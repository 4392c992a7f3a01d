"""Signed webhooks to merchants, after the Standard Webhooks convention: headers webhook-id,
webhook-timestamp and webhook-signature "v1,<base64 HMAC-SHA256 of id.timestamp.body>", keyed by the
base64 part of the merchant's whsec_ secret, signed by the spec's own library (`standardwebhooks`, whose
verifier the tests run on what we send). Deliveries run from the outbox, which retries a failure.

A webhook URL is the merchant's to choose, so it is a way to make the platform send requests: it may only
reach public addresses, or the networks an operator allows (`CROSSTRUST_WEBHOOK_ALLOWED_NETWORKS`, for a
bonded zone's intranet). The host is resolved and checked at each delivery, the request goes to the
address that was checked (not to a second lookup an attacker's DNS could answer differently), and
redirects are not followed."""

from __future__ import annotations

import hmac
import json
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session
from standardwebhooks import Webhook

from complaints.events import (
    ComplaintClosed,
    ComplaintDeadlineNear,
    ComplaintEscalated,
    ComplaintOverdue,
    ComplaintReceived,
)
from core.clock import utcnow
from core.events import Event
from core.webhooks import DeliveryFailed, Destinations, send

__all__ = ["DeliveryFailed", "Destinations", "post", "sign", "verify"]


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    return Webhook(secret).sign(msg_id, datetime.fromtimestamp(timestamp, UTC), body)


def verify(secret: str, headers: dict[str, str], body: bytes, tolerance: int = 300) -> bool:
    """What a merchant runs on receipt (used by the tests): any v1 signature matching, timestamp fresh
    by the platform's clock (which tests move; the library's own `Webhook.verify` reads the wall clock)."""
    msg_id, ts = headers["webhook-id"], int(headers["webhook-timestamp"])
    if abs(int(utcnow().timestamp()) - ts) > tolerance:
        return False
    expected = sign(secret, msg_id, ts, body).split(",", 1)[1]
    return any(
        hmac.compare_digest(expected, sig.split(",", 1)[1])
        for sig in headers["webhook-signature"].split()
        if sig.startswith("v1,")
    )


def post(
    url: str, secret: str, msg_id: str, payload: dict[str, Any], destinations: Destinations | None = None
) -> int:
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=str).encode()
    ts = int(utcnow().timestamp())
    headers = {
        "content-type": "application/json",
        "user-agent": "CrossTrust-Webhooks/1",
        "webhook-id": msg_id,
        "webhook-timestamp": str(ts),
        "webhook-signature": sign(secret, msg_id, ts, body),
    }
    return send(url, body, headers, destinations or Destinations())


class WebhookDelivery:
    """Posts a complaint event to its merchant's webhook, configured by the process's complaint kit
    (complaints.handlers.bound_handlers). The body's `data` is the event as its contract parses it."""

    def __init__(self, kit: Any) -> None:
        self.kit = kit

    def __call__(
        self,
        session: Session,
        event: Event[
            ComplaintReceived
            | ComplaintOverdue
            | ComplaintEscalated
            | ComplaintDeadlineNear
            | ComplaintClosed
        ],
    ) -> None:
        from complaints import service

        data = event.data
        target = service.webhook_target(session, self.kit, data.enterprise_id)
        if target is None:
            return
        url, secret = target
        # The data is the event's own (no contact is ever in one); the id makes retries idempotent.
        post(
            url,
            secret,
            f"msg_{event.id}",
            {"type": event.type, "timestamp": event.created_at, "data": data.model_dump(mode="json")},
            Destinations(self.kit.webhook_networks),
        )


def send_test(session: Session, kit: Any, enterprise_id: int) -> dict[str, Any]:
    from complaints import service

    target = service.webhook_target(session, kit, enterprise_id)
    if target is None:
        return {"delivered": False, "error": "no webhook URL is set"}
    url, secret = target
    try:
        status = post(
            url,
            secret,
            f"msg_test_{int(utcnow().timestamp() * 1000)}",
            {
                "type": "complaint.test",
                "timestamp": utcnow(),
                "data": {"enterprise_id": enterprise_id},
            },
            Destinations(kit.webhook_networks),
        )
    except DeliveryFailed as exc:
        return {"delivered": False, "error": str(exc)}
    return {"delivered": True, "status": status}
