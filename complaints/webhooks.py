"""Signed webhooks to merchants, after the Standard Webhooks convention: headers webhook-id,
webhook-timestamp and webhook-signature "v1,<base64 HMAC-SHA256 of id.timestamp.body>", keyed by the
base64 part of the merchant's whsec_ secret. Deliveries run from the outbox, which retries a failure."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import urllib.error
import urllib.request
from typing import Any

from sqlmodel import Session

from core.clock import utcnow
from core.events import Event

TIMEOUT_SECONDS = 5.0


class DeliveryFailed(RuntimeError):
    """The merchant's endpoint did not take the delivery (the outbox retries it)."""


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix("whsec_"))


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(_key(secret), signed, hashlib.sha256).digest()).decode()


def verify(secret: str, headers: dict[str, str], body: bytes, tolerance: int = 300) -> bool:
    """What a merchant runs on receipt (used by the tests): any v1 signature matching, timestamp fresh."""
    msg_id, ts = headers["webhook-id"], int(headers["webhook-timestamp"])
    if abs(int(utcnow().timestamp()) - ts) > tolerance:
        return False
    expected = sign(secret, msg_id, ts, body).split(",", 1)[1]
    return any(
        hmac.compare_digest(expected, sig.split(",", 1)[1])
        for sig in headers["webhook-signature"].split()
        if sig.startswith("v1,")
    )


def post(url: str, secret: str, msg_id: str, payload: dict[str, Any]) -> int:
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=str).encode()
    ts = int(utcnow().timestamp())
    request = urllib.request.Request(  # noqa: S310 - the merchant's own http(s) URL, checked on input
        url,
        data=body,
        method="POST",
        headers={
            "content-type": "application/json",
            "user-agent": "CrossTrust-Webhooks/1",
            "webhook-id": msg_id,
            "webhook-timestamp": str(ts),
            "webhook-signature": sign(secret, msg_id, ts, body),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as exc:
        raise DeliveryFailed(f"{url} answered {exc.code}") from None
    except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
        # ValueError: a URL http.client cannot send (an invalid port, characters outside ASCII).
        raise DeliveryFailed(f"{url} unreachable: {exc}") from None


def deliver_event(session: Session, event: Event) -> None:
    from complaints import service
    from core.settings import get_settings

    p = event.payload
    kit = service.kit_for_handlers or service.Kit.from_settings(get_settings())
    target = service.webhook_target(session, kit, p["enterprise_id"])
    if target is None:
        return
    url, secret = target
    # The payload is the event's own (no contact is ever in one); the id makes retries idempotent.
    post(url, secret, f"msg_{event.id}", {"type": event.type, "timestamp": event.created_at, "data": p})


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
        )
    except DeliveryFailed as exc:
        return {"delivered": False, "error": str(exc)}
    return {"delivered": True, "status": status}
