"""The audit ledger: every write appends a hash-chained entry; `verify` names any entry that was
edited, inserted or deleted after the fact.

Appends serialise on the single `audit_head` row (a row lock on PostgreSQL; SQLite's write lock is
already held by the BEGIN IMMEDIATE transaction), so the chain has no forks.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Field, Session, SQLModel, select

from core.clock import utcnow
from core.db import UtcDateTime

GENESIS = "0" * 64


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_entry"

    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    at: datetime = Field(sa_type=UtcDateTime)
    actor: str = Field(max_length=120)
    action: str = Field(max_length=80, index=True)
    entity_type: str = Field(max_length=60)
    entity_id: str = Field(max_length=80)
    state_hash: str = Field(max_length=64)
    prev_hash: str = Field(max_length=64)
    entry_hash: str = Field(max_length=64)


class AuditHead(SQLModel, table=True):
    """The ledger's tip; its row lock orders appends, and it tells a deleted tail from a short ledger."""

    __tablename__ = "audit_head"

    id: int = Field(default=1, primary_key=True)
    seq: int = 0
    entry_hash: str = Field(default=GENESIS, max_length=64)


def canonical_hash(state: Any) -> str:
    data = json.dumps(state, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(data.encode()).hexdigest()


def _entry_hash(e: AuditEntry) -> str:
    fields = [
        str(e.seq),
        e.at.isoformat(),
        e.actor,
        e.action,
        e.entity_type,
        e.entity_id,
        e.state_hash,
        e.prev_hash,
    ]
    return hashlib.sha256("|".join(fields).encode()).hexdigest()


def record(
    session: Session, actor: str, action: str, entity_type: str, entity_id: object, state: Any
) -> AuditEntry:
    """Append an entry in the caller's transaction, so the entry exists exactly when the change does."""
    head = session.exec(select(AuditHead).where(AuditHead.id == 1).with_for_update()).one()
    entry = AuditEntry(
        seq=head.seq + 1,
        at=utcnow(),
        actor=actor,
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id),
        state_hash=canonical_hash(state),
        prev_hash=head.entry_hash,
        entry_hash="",
    )
    entry.entry_hash = _entry_hash(entry)
    head.seq, head.entry_hash = entry.seq, entry.entry_hash
    session.add(entry)
    session.add(head)
    return entry


@dataclass(frozen=True)
class Finding:
    seq: int
    problem: str

    def __str__(self) -> str:
        return f"entry {self.seq}: {self.problem}"


def verify(session: Session, batch: int = 5000) -> list[Finding]:
    """Walk the chain in order and report every break, naming the entry where it shows."""
    findings: list[Finding] = []
    expected_seq, prev_hash = 1, GENESIS
    last_seq = 0
    while True:
        rows = session.exec(
            select(AuditEntry).where(AuditEntry.seq > last_seq).order_by(AuditEntry.seq).limit(batch)
        ).all()
        if not rows:
            break
        for e in rows:
            if e.seq > expected_seq:
                gap = f"{expected_seq}" if e.seq == expected_seq + 1 else f"{expected_seq}–{e.seq - 1}"
                findings.append(Finding(expected_seq, f"missing: entry {gap} was deleted"))
            elif e.seq < expected_seq:
                findings.append(Finding(e.seq, "duplicate sequence number: an entry was inserted"))
            if _entry_hash(e) != e.entry_hash:
                findings.append(Finding(e.seq, "altered: its content no longer matches its hash"))
            elif e.prev_hash != prev_hash and e.seq == expected_seq:
                findings.append(
                    Finding(
                        e.seq,
                        f"chain broken: it does not follow entry {e.seq - 1} (which was altered or replaced)",
                    )
                )
            expected_seq, prev_hash, last_seq = e.seq + 1, e.entry_hash, e.seq
    head = session.get(AuditHead, 1)
    if head is None:
        findings.append(Finding(0, "the ledger head is missing"))
    elif head.seq != last_seq:
        if head.seq > last_seq:
            findings.append(Finding(last_seq + 1, f"missing: entries {last_seq + 1}–{head.seq} were deleted"))
        else:
            findings.append(Finding(head.seq + 1, f"inserted: entries after {head.seq} are not in the chain"))
    elif head.entry_hash != prev_hash:
        findings.append(Finding(last_seq, "altered: the last entry does not match the ledger head"))
    return findings
