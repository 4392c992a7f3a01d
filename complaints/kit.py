"""What every complaint operation shares: the Kit (keys, evidence store, clocks, limits), the tracking
token, the steps a change ends with (touched, noted, snapshotted, announced) and the state check."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from complaints import contact
from complaints.deadlines import Clocks
from complaints.events import ComplaintChanged
from complaints.evidence import MIB, DecodeBudget, Prepared, Store, prepare
from complaints.models import (
    Complaint,
    ComplaintMessage,
    Status,
)
from core.clock import utcnow
from core.db import id_of
from core.errors import Conflict
from core.events import emit
from core.settings import Settings
from core.workdays import default_calendar

ACTOR_CONSUMER = "consumer"
ACTOR_SWEEP = "system:complaints"


@dataclass(frozen=True)
class Kit:
    """What the operations need besides a session: the contact key, the evidence store, the clocks."""

    box: contact.ContactBox
    store: Store
    clocks: Clocks
    resolver_base: str = "http://127.0.0.1:8000"
    publish_days: int = 15
    repeat_window_days: int = 30
    reopen_days: int = 30
    max_files: int = 5
    max_bytes: int = 5 * 1024 * 1024
    max_pixels: int = 40_000_000
    # The memory images being checked may take at once, across all intakes (complaints.evidence).
    decode_budget: DecodeBudget = field(default_factory=lambda: DecodeBudget(512 * MIB), compare=False)
    # Networks a webhook may reach besides public addresses (see complaints.webhooks.Destinations).
    webhook_networks: tuple[str, ...] = ()

    @classmethod
    def from_settings(cls, settings: Settings) -> Kit:
        return cls(
            box=contact.ContactBox(settings.complaint_key_bytes()),
            store=Store(settings.ensure_var_dir() / "evidence"),
            clocks=Clocks(
                default_calendar(),
                settings.complaint_answer_workdays,
                settings.complaint_mediation_workdays,
                settings.complaint_consumer_workdays,
                settings.complaint_warn_workdays,
            ),
            resolver_base=settings.resolver_base_url,
            publish_days=settings.complaint_publish_days,
            repeat_window_days=settings.complaint_repeat_window_days,
            reopen_days=settings.complaint_reopen_days,
            max_files=settings.complaint_evidence_max_files,
            max_bytes=settings.complaint_evidence_max_bytes,
            max_pixels=settings.complaint_evidence_max_pixels,
            decode_budget=DecodeBudget(settings.complaint_evidence_decode_mib * MIB),
            webhook_networks=tuple(
                n.strip() for n in settings.webhook_allowed_networks.split(",") if n.strip()
            ),
        )

    def prepare_evidence(self, files: list[bytes]) -> list[Prepared]:
        """Check, bound and re-encode a case's files (see complaints.evidence); the API and the page
        both file through here."""
        return prepare(
            files,
            max_files=self.max_files,
            max_bytes=self.max_bytes,
            max_pixels=self.max_pixels,
            budget=self.decode_budget,
        )


# A tracking code is read off a screen and typed back: no characters that look alike (O and 0, I, l and 1,
# o and i), nor - and _. 34 characters of 55 hold 196 bits, as many as the 24 random bytes before them;
# codes issued before (URL-safe base64) still open their case.
TOKEN_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghjkmnpqrstuvwxyz23456789"  # noqa: S105 - an alphabet
TOKEN_LENGTH = 34


def new_token() -> str:
    return "".join(secrets.choice(TOKEN_ALPHABET) for _ in range(TOKEN_LENGTH))


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _snapshot(c: Complaint) -> dict[str, Any]:
    # The audit entry hashes the case without the contact's ciphertext (it changes nothing of meaning).
    return c.model_dump(mode="json", exclude={"contact_cipher", "token_hash"})


def _touch(session: Session, c: Complaint) -> None:
    c.version += 1
    c.updated_at = utcnow()
    session.add(c)
    session.flush()


def _note(session: Session, c: Complaint, author: str, kind: str, text: str = "") -> None:
    session.add(ComplaintMessage(complaint_id=id_of(c), author=author, kind=kind, text=text, at=utcnow()))


def _changed(session: Session, c: Complaint, step: str, actor: str) -> None:
    emit(
        session,
        "complaint.changed",
        "complaint",
        c.id,
        ComplaintChanged(complaint_id=c.id, enterprise_id=c.enterprise_id, status=c.status, step=step),
        actor,
    )


def _require(c: Complaint, *allowed: Status, action: str) -> None:
    if c.status not in allowed:
        names = ", ".join(s.value for s in allowed)
        raise Conflict(
            f"cannot {action}: the case is {c.status} (allowed in: {names})", field="status", state=c.status
        )
