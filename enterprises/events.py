"""The events the enterprise registry emits: the contract its subscribers (disclosure, credit) rely on."""

from __future__ import annotations

from core.events import EventPayload, contract
from enterprises.models import EnterpriseKind, EnterpriseStatus


@contract("enterprise.registered")
class EnterpriseRegistered(EventPayload):
    """A new enterprise, with its public registration facts."""

    enterprise_id: int
    uscc: str
    customs_code: str | None = None
    name_zh: str
    name_en: str = ""
    kind: EnterpriseKind
    country: str
    status: EnterpriseStatus
    version: int


@contract("enterprise.changed")
class EnterpriseChanged(EnterpriseRegistered):
    """Public facts after a change; `changed` names the fields, `reason` says why a status changed."""

    changed: list[str]
    reason: str | None = None
