import dataclasses

import pytest
from sqlalchemy import text
from sqlmodel import select
from typer.testing import CliRunner

from core import audit
from core.settings import get_settings


def _write_entries(db, n=5):
    with db.transaction() as s:
        for i in range(n):
            audit.record(s, "admin:test", "thing.changed", "thing", i, {"value": i})


def _findings(db):
    with db.read_session() as s:
        return [str(f) for f in audit.verify(s)]


def test_intact_ledger_verifies(db):
    _write_entries(db)
    assert _findings(db) == []


def test_an_edited_entry_is_named(db):
    _write_entries(db)
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE audit_entry SET actor = 'admin:someone-else' WHERE seq = 3"))
    assert _findings(db) == ["entry 3: altered: its content no longer matches its hash"]


def test_an_edit_with_a_recomputed_hash_still_shows_at_the_next_entry(db):
    _write_entries(db)
    with db.transaction() as s:
        e = s.get(audit.AuditEntry, 2)
        e.action = "thing.deleted"
        e.entry_hash = audit._entry_hash(e, audit.keys_of(db))
        s.add(e)
    findings = _findings(db)
    assert findings and findings[0].startswith("entry 3: chain broken")


def test_a_deleted_entry_is_named(db):
    _write_entries(db)
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_entry WHERE seq = 2"))
    assert _findings(db)[0] == "entry 2: missing: entry 2 was deleted"


def test_a_deleted_tail_is_named(db):
    _write_entries(db)
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_entry WHERE seq >= 4"))
    assert _findings(db) == ["entry 4: missing: entries 4–5 were deleted"]


def test_an_inserted_entry_is_named(db):
    _write_entries(db)
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO audit_entry (seq, at, actor, action, entity_type, entity_id, state_hash, prev_hash, entry_hash)"
                " SELECT 6, at, actor, action, entity_type, entity_id, state_hash, entry_hash, entry_hash FROM audit_entry WHERE seq = 5"
            )
        )
    assert any(f.startswith("entry 6:") for f in _findings(db))


def test_cli_audit_verify_names_the_altered_entry(db, monkeypatch):
    from api.cli import app

    _write_entries(db)
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE audit_entry SET entity_id = '999' WHERE seq = 4"))
    monkeypatch.setenv("CROSSTRUST_DATABASE_URL", db.url)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["audit", "verify"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 1
    assert "entry 4: altered" in result.output


def test_concurrent_appends_keep_one_chain(db):
    import threading

    def worker():
        for _ in range(10):
            with db.transaction() as s:
                audit.record(s, "admin:t", "x", "x", 1, {})

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert _findings(db) == []
    with db.read_session() as s:
        assert s.get(audit.AuditHead, 1).seq == 40


# -- the keyed chain and signed checkpoints: rewrites by someone who holds the database ------------


def _rewrite_with_plain_sha256(db, from_seq: int, *, downgrade: bool) -> None:
    """What an attacker with the database (and not the keys) can do: alter entry `from_seq` and
    recompute every hash from there with plain SHA-256, as the ledger did before 0009."""
    import hashlib

    from sqlmodel import select

    with db.transaction() as s:
        prev = s.get(audit.AuditEntry, from_seq - 1).entry_hash if from_seq > 1 else audit.GENESIS
        rows = s.exec(
            select(audit.AuditEntry).where(audit.AuditEntry.seq >= from_seq).order_by(audit.AuditEntry.seq)
        ).all()
        for e in rows:
            if e.seq == from_seq:
                e.actor = "admin:someone-else"
            if downgrade:
                e.scheme = "sha256"
            e.prev_hash = prev
            fields = [str(e.seq), e.at.isoformat(), e.actor, e.action, e.entity_type, e.entity_id]
            e.entry_hash = hashlib.sha256("|".join([*fields, e.state_hash, e.prev_hash]).encode()).hexdigest()
            prev = e.entry_hash
            s.add(e)
        head = s.get(audit.AuditHead, 1)
        head.entry_hash = prev
        s.add(head)


def test_a_chain_recomputed_with_plain_sha256_names_the_altered_entry(db):
    _write_entries(db, 30)
    _rewrite_with_plain_sha256(db, 12, downgrade=False)
    findings = _findings(db)
    assert findings[0] == "entries 12–30: altered: its content no longer matches its hash", findings


def test_a_chain_recomputed_as_plain_hash_entries_names_the_altered_entry(db):
    _write_entries(db, 30)
    _rewrite_with_plain_sha256(db, 12, downgrade=True)
    findings = _findings(db)
    assert findings[0] == "entries 12–30: rewritten: a plain SHA-256 entry where the chain is keyed", findings


def test_a_rewrite_from_the_first_entry_with_the_checkpoints_deleted_is_caught(db):
    _write_entries(db, 30)
    _rewrite_with_plain_sha256(db, 1, downgrade=True)
    findings = _findings(db)
    assert findings and findings[0].startswith("entry 1: rewritten"), findings
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_checkpoint"))
    assert _findings(db) == ["entry 30: no signed checkpoint: the checkpoints were deleted"]


@pytest.fixture
def every_ten(db):
    """Checkpoints every 10 entries, so that a test sees several."""
    db.audit_keys = dataclasses.replace(audit.keys_of(db), every=10)


def test_deleting_the_tail_after_a_checkpoint_is_caught(db, every_ten):
    _write_entries(db, 35)
    with db.read_session() as s:
        assert [cp.seq for cp in audit.checkpoints(s)] == [1, 10, 20, 30]
        published = [cp.public() for cp in audit.checkpoints(s)]
    # cut the ledger back to entry 24, head and all: the chain itself is consistent again
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_entry WHERE seq >= 25"))
        conn.execute(
            text(
                "UPDATE audit_head SET seq = 24, entry_hash = (SELECT entry_hash FROM audit_entry WHERE seq = 24)"
            )
        )
    assert _findings(db) == [
        "entry 30: missing: the ledger ends at entry 24, but this entry was checkpointed"
    ]
    # the checkpoint deleted too: the published copy still shows it
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_checkpoint WHERE seq = 30"))
    with db.read_session() as s:
        findings = [str(f) for f in audit.verify(s, published=published)]
    assert findings == ["entry 30: missing: published as checkpointed, but the ledger ends at entry 24"]


def test_a_deleted_or_forged_checkpoint_is_caught(db, every_ten):
    _write_entries(db, 35)
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_checkpoint WHERE seq = 20"))
    assert _findings(db) == [
        "entry 11: checkpoints deleted: none between entries 10 and 30 (one is signed every 10)"
    ]
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE audit_checkpoint SET head_hash = :h WHERE seq = 10"), {"h": "f" * 64})
    assert "entry 10: its checkpoint's signature does not verify: forged or altered" in _findings(db)


def test_entries_from_before_the_keyed_chain_stay_verifiable_and_anchored(db):
    """A ledger written before 0009 (plain SHA-256, no checkpoint): it verifies as it is, the upgrade
    anchors its head, and keyed entries follow; a later rewrite of the old entries shows."""
    from datetime import UTC, datetime

    prev = audit.GENESIS
    with db.transaction() as s:
        for seq in range(1, 6):
            e = audit.AuditEntry(
                seq=seq,
                at=datetime(2026, 1, seq, tzinfo=UTC),
                actor="admin:old",
                action="thing.changed",
                entity_type="thing",
                entity_id=str(seq),
                state_hash=audit.canonical_hash({"v": seq}),
                prev_hash=prev,
                entry_hash="",
                scheme="sha256",
            )
            e.entry_hash = audit._entry_hash(e, audit.keys_of(db))
            prev = e.entry_hash
            s.add(e)
        head = s.get(audit.AuditHead, 1)
        head.seq, head.entry_hash = 5, prev
        s.add(head)
    with db.transaction() as s:
        assert audit.checkpoint_now(s).seq == 5  # what `crosstrust db upgrade` does after migrating
    _write_entries(db, 3)
    assert _findings(db) == []
    with db.read_session() as s:
        schemes = [e.scheme for e in s.exec(select(audit.AuditEntry).order_by(audit.AuditEntry.seq))]
    assert schemes == ["sha256"] * 5 + ["hmac-sha256"] * 3
    # the old entries rewritten with plain hashes up to the old head: the signed checkpoint shows it
    with db.transaction() as s:
        old = s.get(audit.AuditEntry, 3)
        old.actor = "admin:someone-else"
        old.entry_hash = audit._entry_hash(old, audit.keys_of(db))
        s.add(old)
        for seq in (4, 5):
            e = s.get(audit.AuditEntry, seq)
            e.prev_hash = s.get(audit.AuditEntry, seq - 1).entry_hash
            e.entry_hash = audit._entry_hash(e, audit.keys_of(db))
            s.add(e)
    findings = _findings(db)
    assert "entry 5: rewritten: the chain up to here differs from its signed checkpoint" in findings
    assert any(f.startswith("entry 6: chain broken") for f in findings)


def test_the_published_checkpoints_verify_with_the_published_key_alone(client, db):
    import base64

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    _write_entries(db, 3)
    with db.transaction() as s:
        audit.checkpoint_now(s)
    body = client.get("/api/v1/public/audit/checkpoints").json()
    assert body["algorithm"] == "Ed25519" and [c["seq"] for c in body["checkpoints"]] == [1, 3]
    key = Ed25519PublicKey.from_public_bytes(base64.b64decode(body["public_key"]))
    for c in body["checkpoints"]:
        message = body["message"].format(seq=c["seq"], head_hash=c["head_hash"], at=c["at"])
        key.verify(base64.b64decode(c["signature"]), message.encode())  # raises if it does not verify
    assert (
        client.get("/api/v1/public/audit/checkpoints", params={"after_seq": 1}).json()["checkpoints"][0][
            "seq"
        ]
        == 3
    )
    assert client.get("/api/v1/public/audit/checkpoints", params={"limit": 0}).status_code == 422


def test_cli_audit_verify_compares_with_published_checkpoints(db, monkeypatch, tmp_path, every_ten):
    import json

    from api.cli import app

    _write_entries(db, 25)
    with db.read_session() as s:
        saved = tmp_path / "checkpoints.json"
        saved.write_text(json.dumps({"checkpoints": [cp.public() for cp in audit.checkpoints(s)]}))
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_entry WHERE seq >= 20"))
        conn.execute(text("DELETE FROM audit_checkpoint WHERE seq >= 20"))
        conn.execute(
            text(
                "UPDATE audit_head SET seq = 19, entry_hash = (SELECT entry_hash FROM audit_entry WHERE seq = 19)"
            )
        )
    monkeypatch.setenv("CROSSTRUST_DATABASE_URL", db.url)
    monkeypatch.setenv("CROSSTRUST_AUDIT_CHECKPOINT_EVERY", "10")
    get_settings.cache_clear()
    try:
        plain = CliRunner().invoke(app, ["audit", "verify"])
        compared = CliRunner().invoke(app, ["audit", "verify", "--published", str(saved)])
    finally:
        get_settings.cache_clear()
    assert plain.exit_code == 0, plain.output  # cut with its checkpoints: only a copy can tell
    assert compared.exit_code == 1
    assert "entry 20: missing: published as checkpointed, but the ledger ends at entry 19" in compared.output
