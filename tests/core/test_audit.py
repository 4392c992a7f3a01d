from sqlalchemy import text
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
        e.entry_hash = audit._entry_hash(e)
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
