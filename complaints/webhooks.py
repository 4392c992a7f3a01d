"""Signed webhooks to merchants, after the Standard Webhooks convention: headers webhook-id,
webhook-timestamp and webhook-signature "v1,<base64 HMAC-SHA256 of id.timestamp.body>", keyed by the
base64 part of the merchant's whsec_ secret. Deliveries run from the outbox, which retries a failure.

A webhook URL is the merchant's to choose, so it is a way to make the platform send requests: it may only
reach public addresses, or the networks an operator allows (`CROSSTRUST_WEBHOOK_ALLOWED_NETWORKS`, for a
bonded zone's intranet). The host is resolved and checked at each delivery, the request goes to the
address that was checked (not to a second lookup an attacker's DNS could answer differently), and
redirects are not followed."""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
import socket
import ssl
import urllib.parse
from typing import Any

from sqlmodel import Session

from complaints.destinations import DeliveryFailed, Destinations
from core.clock import utcnow

__all__ = ["DeliveryFailed", "Destinations", "post", "sign", "verify"]
from core.events import Event

TIMEOUT_SECONDS = 5.0


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


class _PinnedHTTPS(http.client.HTTPSConnection):
    """HTTPS to an address checked beforehand, with the certificate still verified for the host name."""

    def __init__(self, address: str, host: str, port: int, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


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
    try:
        parts = urllib.parse.urlsplit(url)
        host, https = parts.hostname or "", parts.scheme == "https"
        port = parts.port or (443 if https else 80)
    except ValueError as exc:  # an invalid port
        raise DeliveryFailed(f"{url} cannot be sent to: {exc}") from None
    destinations = destinations or Destinations()
    refused = destinations.refuse_literal(url)
    if refused:
        raise DeliveryFailed(refused)
    address = destinations.resolve(host, port)
    conn: http.client.HTTPConnection
    if https:
        conn = _PinnedHTTPS(address, host, port, TIMEOUT_SECONDS)
    else:
        conn = http.client.HTTPConnection(address, port, timeout=TIMEOUT_SECONDS)
        headers["host"] = parts.netloc.rsplit("@", 1)[-1]
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        conn.request("POST", target, body=body, headers=headers)
        status = conn.getresponse().status
    except (TimeoutError, OSError, ValueError, http.client.HTTPException) as exc:
        # ValueError: a URL http.client cannot send (characters outside ASCII).
        raise DeliveryFailed(f"{url} unreachable: {exc}") from None
    finally:
        conn.close()
    if not 200 <= status < 300:
        # A redirect is a failure too: following it would let the endpoint point the platform anywhere.
        raise DeliveryFailed(f"{url} answered {status}")
    return status


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
    post(
        url,
        secret,
        f"msg_{event.id}",
        {"type": event.type, "timestamp": event.created_at, "data": p},
        Destinations(kit.webhook_networks),
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
