"""The audit ledger: every write appends a chained entry; `verify` names any entry that was edited,
inserted or deleted after the fact, even by someone who holds the whole database.

Two anchors make a rewrite show, both kept outside the database:
- a keyed chain: each entry's hash is an HMAC-SHA256 under the audit key (CROSSTRUST_AUDIT_KEY or
  var/audit-key), so recomputing the chain with plain SHA-256 after altering a row no longer passes;
- signed checkpoints: every `every` entries (and on a timer in the server) the entry number, the chain
  head and the time are signed with an Ed25519 key (CROSSTRUST_AUDIT_SIGNING_KEY or
  var/audit-signing-key) and published with the public key (GET /api/v1/public/audit/checkpoints),
  so a copy held elsewhere shows a rewritten or shortened ledger.

Entries written before the keyed chain (migration 0009) keep their plain SHA-256 hash and are
verified as such; the first checkpoint anchors their head, and every entry after it must be keyed.

Appends serialise on the single `audit_head` row (a row lock on PostgreSQL; SQLite's write lock is
already held by the BEGIN IMMEDIATE transaction), so the chain has no forks.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlmodel import Field, Session, SQLModel, col, select

from core.clock import utcnow
from core.db import Database, UtcDateTime

GENESIS = "0" * 64
PLAIN = "sha256"  # entries from before the keyed chain
KEYED = "hmac-sha256"
CHECKPOINT_FORMAT = "crosstrust-audit-checkpoint|{seq}|{head_hash}|{at}"


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
    scheme: str = Field(default=KEYED, max_length=12, sa_column_kwargs={"server_default": PLAIN})


class AuditHead(SQLModel, table=True):
    """The ledger's tip; its row lock orders appends, and it tells a deleted tail from a short ledger."""

    __tablename__ = "audit_head"

    id: int = Field(default=1, primary_key=True)
    seq: int = 0
    entry_hash: str = Field(default=GENESIS, max_length=64)
    checkpointed_seq: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class AuditCheckpoint(SQLModel, table=True):
    """A signed statement that entry `seq` had the chain head `head_hash` at time `at`."""

    __tablename__ = "audit_checkpoint"

    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    head_hash: str = Field(max_length=64)
    at: datetime = Field(sa_type=UtcDateTime)
    key_id: str = Field(max_length=16)
    signature: str = Field(max_length=100)  # base64 of the 64-byte Ed25519 signature

    def message(self) -> bytes:
        return CHECKPOINT_FORMAT.format(
            seq=self.seq, head_hash=self.head_hash, at=self.at.isoformat()
        ).encode()

    def public(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "head_hash": self.head_hash,
            "at": self.at.isoformat(),
            "key_id": self.key_id,
            "signature": self.signature,
        }


@dataclass(frozen=True)
class AuditKeys:
    mac_key: bytes
    signing: Ed25519PrivateKey
    every: int = 100

    @classmethod
    def from_settings(cls, settings: Any) -> AuditKeys:
        return cls(
            settings.audit_key_bytes(),
            Ed25519PrivateKey.from_private_bytes(settings.audit_signing_seed()),
            settings.audit_checkpoint_every,
        )

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.signing.public_key()

    @property
    def public_raw(self) -> bytes:
        return self.public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)

    @property
    def key_id(self) -> str:
        return hashlib.sha256(self.public_raw).hexdigest()[:16]


class NoAuditKeys(RuntimeError):
    """A session that does not come from a core.db.Database, which carries the ledger's keys."""


def keys(session: Session) -> AuditKeys:
    """The keys the session's database writes and verifies the ledger with (`Database.audit_keys`): no
    module holds them, so two apps or databases in one process keep their own."""
    db = session.info.get("database")
    if db is None:
        raise NoAuditKeys("this session carries no audit keys: open it from a core.db.Database")
    return keys_of(db)


def keys_of(db: Database) -> AuditKeys:
    """The database's audit keys: as the app or the CLI gave them, else (a script's or a test's
    Database built from a URL alone) the environment's, read once for that database."""
    if db.audit_keys is None:
        from core.settings import get_settings

        db.audit_keys = AuditKeys.from_settings(get_settings())
    return db.audit_keys


def canonical_hash(state: Any) -> str:
    data = json.dumps(state, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(data.encode()).hexdigest()


def _entry_hash(e: AuditEntry, k: AuditKeys) -> str:
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
    if e.scheme == PLAIN:
        return hashlib.sha256("|".join(fields).encode()).hexdigest()
    data = "|".join([KEYED, *fields]).encode()
    return hmac.new(k.mac_key, data, hashlib.sha256).hexdigest()


def _checkpoint(session: Session, k: AuditKeys, head: AuditHead, seq: int, head_hash: str) -> AuditCheckpoint:
    cp = AuditCheckpoint(seq=seq, head_hash=head_hash, at=utcnow(), key_id=k.key_id, signature="")
    cp.signature = base64.b64encode(k.signing.sign(cp.message())).decode()
    head.checkpointed_seq = seq
    session.add(cp)
    return cp


def record(
    session: Session, actor: str, action: str, entity_type: str, entity_id: object, state: Any
) -> AuditEntry:
    """Append an entry in the caller's transaction, so the entry exists exactly when the change does."""
    k = keys(session)
    head = session.exec(select(AuditHead).where(AuditHead.id == 1).with_for_update()).one()
    if head.checkpointed_seq == 0 and head.seq > 0:
        # The first keyed entry of a ledger begun before the keyed chain: anchor the plain-hash
        # entries as they are now, before anything is chained onto them.
        _checkpoint(session, k, head, head.seq, head.entry_hash)
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
        scheme=KEYED,
    )
    entry.entry_hash = _entry_hash(entry, k)
    head.seq, head.entry_hash = entry.seq, entry.entry_hash
    session.add(entry)
    if head.checkpointed_seq == 0 or entry.seq % k.every == 0:
        _checkpoint(session, k, head, entry.seq, entry.entry_hash)
    session.add(head)
    return entry


def checkpoint_now(session: Session) -> AuditCheckpoint | None:
    """Sign the current head if entries came since the last checkpoint (the server's timer, the CLI),
    so that a quiet ledger's newest entries are anchored too."""
    head = session.exec(select(AuditHead).where(AuditHead.id == 1).with_for_update()).one()
    if head.seq == 0 or head.seq == head.checkpointed_seq:
        return None
    cp = _checkpoint(session, keys(session), head, head.seq, head.entry_hash)
    session.add(head)
    return cp


def checkpoints(session: Session, after_seq: int = 0, limit: int = 100) -> list[AuditCheckpoint]:
    return list(
        session.exec(
            select(AuditCheckpoint)
            .where(AuditCheckpoint.seq > after_seq)
            .order_by(col(AuditCheckpoint.seq))
            .limit(limit)
        )
    )


def signature_valid(public_key: Ed25519PublicKey, cp: AuditCheckpoint) -> bool:
    try:
        public_key.verify(base64.b64decode(cp.signature), cp.message())
    except (InvalidSignature, ValueError):
        return False
    return True


@dataclass(frozen=True)
class Finding:
    seq: int
    problem: str
    last: int | None = None  # a run of entries with the same problem ends here

    def __str__(self) -> str:
        if self.last is not None and self.last != self.seq:
            return f"entries {self.seq}–{self.last}: {self.problem}"
        return f"entry {self.seq}: {self.problem}"


def _fold(findings: list[Finding]) -> list[Finding]:
    """Consecutive entries with the same problem as one finding (a rewritten tail is one run)."""
    out: list[Finding] = []
    for f in findings:
        prev = out[-1] if out else None
        if prev is not None and prev.problem == f.problem and (prev.last or prev.seq) + 1 == f.seq:
            out[-1] = Finding(prev.seq, prev.problem, f.seq)
        else:
            out.append(f)
    return out


def verify(
    session: Session, batch: int = 5000, published: list[dict[str, Any]] | None = None
) -> list[Finding]:
    """Walk the chain in order and report every break, naming the entry where it shows; then check
    the signed checkpoints (and, given `published`, the checkpoints published earlier)."""
    k = keys(session)
    every = k.every
    stored = {cp.seq: cp for cp in session.exec(select(AuditCheckpoint))}
    first_cp = min(stored) if stored else None
    wanted = set(stored) | {int(p["seq"]) for p in published or [] if str(p.get("seq", "")).isdigit()}
    hashes: dict[int, str] = {}
    findings: list[Finding] = []
    expected_seq, prev_hash = 1, GENESIS
    last_seq = 0
    while True:
        rows = session.exec(
            select(AuditEntry)
            .where(col(AuditEntry.seq) > last_seq)
            .order_by(col(AuditEntry.seq))
            .limit(batch)
        ).all()
        if not rows:
            break
        for e in rows:
            if e.seq > expected_seq:
                gap = f"{expected_seq}" if e.seq == expected_seq + 1 else f"{expected_seq}–{e.seq - 1}"
                findings.append(Finding(expected_seq, f"missing: entry {gap} was deleted"))
            elif e.seq < expected_seq:
                findings.append(Finding(e.seq, "duplicate sequence number: an entry was inserted"))
            if e.scheme not in (PLAIN, KEYED):
                findings.append(Finding(e.seq, f"altered: unknown hash scheme {e.scheme!r}"))
            elif e.scheme == PLAIN and first_cp is not None and e.seq > first_cp:
                findings.append(Finding(e.seq, "rewritten: a plain SHA-256 entry where the chain is keyed"))
            elif _entry_hash(e, k) != e.entry_hash:
                findings.append(Finding(e.seq, "altered: its content no longer matches its hash"))
            elif e.prev_hash != prev_hash and e.seq == expected_seq:
                findings.append(
                    Finding(
                        e.seq,
                        f"chain broken: it does not follow entry {e.seq - 1} (which was altered or replaced)",
                    )
                )
            if e.seq in wanted:
                hashes[e.seq] = e.entry_hash
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

    findings += _check_checkpoints(k, stored, hashes, last_seq, every)
    if published is not None:
        findings += _check_published(k, published, stored, hashes, last_seq)
    # In entry order, so that the first finding names the earliest entry that was touched.
    return _fold(sorted(findings, key=lambda f: f.seq))


def _check_checkpoints(
    k: AuditKeys, stored: dict[int, AuditCheckpoint], hashes: dict[int, str], last_seq: int, every: int
) -> list[Finding]:
    findings: list[Finding] = []
    if not stored:
        if last_seq:
            findings.append(Finding(last_seq, "no signed checkpoint: the checkpoints were deleted"))
        return findings
    for seq in sorted(stored):
        cp = stored[seq]
        if cp.key_id != k.key_id or not signature_valid(k.public_key, cp):
            findings.append(Finding(seq, "its checkpoint's signature does not verify: forged or altered"))
        elif seq > last_seq:
            findings.append(
                Finding(seq, f"missing: the ledger ends at entry {last_seq}, but this entry was checkpointed")
            )
        elif seq not in hashes:
            findings.append(Finding(seq, "missing: this checkpointed entry was deleted"))
        elif hashes[seq] != cp.head_hash:
            findings.append(
                Finding(seq, "rewritten: the chain up to here differs from its signed checkpoint")
            )
    marks = sorted(stored) + ([last_seq] if last_seq > max(stored) else [])
    for a, b in zip(marks, marks[1:], strict=False):
        if b - a > every:
            findings.append(
                Finding(
                    a + 1,
                    f"checkpoints deleted: none between entries {a} and {b} (one is signed every {every})",
                )
            )
    return findings


def _check_published(
    k: AuditKeys,
    published: list[dict[str, Any]],
    stored: dict[int, AuditCheckpoint],
    hashes: dict[int, str],
    last_seq: int,
) -> list[Finding]:
    findings: list[Finding] = []
    for p in published:
        try:
            cp = AuditCheckpoint(
                seq=int(p["seq"]),
                head_hash=str(p["head_hash"]),
                at=datetime.fromisoformat(str(p["at"])),
                key_id=str(p.get("key_id", "")),
                signature=str(p["signature"]),
            )
        except (KeyError, TypeError, ValueError):
            findings.append(Finding(0, f"a published checkpoint is malformed: {p!r}"[:200]))
            continue
        if not signature_valid(k.public_key, cp):
            continue  # not ours: proves nothing either way
        if cp.seq > last_seq:
            findings.append(
                Finding(
                    cp.seq, f"missing: published as checkpointed, but the ledger ends at entry {last_seq}"
                )
            )
        elif hashes.get(cp.seq) != cp.head_hash:
            findings.append(Finding(cp.seq, "rewritten: the chain differs from its published checkpoint"))
        elif cp.seq not in stored:
            findings.append(Finding(cp.seq, "its published checkpoint was deleted from the database"))
    return findings
