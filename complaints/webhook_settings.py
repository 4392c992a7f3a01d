"""The merchant's webhook: its URL and signing secret (stored encrypted); delivery is complaints.webhooks."""

from __future__ import annotations

import secrets

from sqlmodel import Session

from complaints import contact
from complaints.kit import Kit
from complaints.models import MerchantWebhook
from core import audit
from core.clock import utcnow
from core.errors import Invalid
from core.security import Principal


def set_webhook(session: Session, kit: Kit, enterprise_id: int, url: str, by: Principal) -> str:
    """Set the URL and issue a fresh signing secret (returned once, stored encrypted)."""
    import base64

    from complaints.destinations import Destinations

    refused = Destinations(kit.webhook_networks).refuse_literal(url)
    if refused:
        raise Invalid.field("url", refused)
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
    now = utcnow()
    row = session.get(MerchantWebhook, enterprise_id)
    cipher = kit.box.encrypt(secret, contact.AAD_WEBHOOK)
    if row is None:
        row = MerchantWebhook(
            enterprise_id=enterprise_id, url=url, secret_cipher=cipher, created_at=now, updated_at=now
        )
    else:
        row.url, row.secret_cipher, row.updated_at = url, cipher, now
    session.add(row)
    session.flush()
    audit.record(session, by.actor, "complaint.webhook_set", "enterprise", enterprise_id, {"url": url})
    return secret


def webhook_target(session: Session, kit: Kit, enterprise_id: int) -> tuple[str, str] | None:
    row = session.get(MerchantWebhook, enterprise_id)
    if row is None:
        return None
    return row.url, kit.box.decrypt(row.secret_cipher, contact.AAD_WEBHOOK)
