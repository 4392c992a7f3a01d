"""The log in the database (SQLite and PostgreSQL) and over HTTP: Go's leaves stored give Go's tiles,
roots and proofs; records published through the outbox become leaves, a signed checkpoint covers them,
`crosstrust log verify` and Go's tile client (golang.org/x/mod/sumdb/tlog, unmodified) check them from
outside; bad input is a 4xx problem; a row altered behind the platform's back fails verification."""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from api import cli
from api.cli_log import fetch
from tests.conftest import serve
from tests.translog.conftest import _record_and_grade, go_leaf
from translog import client as tlog_client
from translog import integrity, merkle, scheduled, service, tiles
from translog.models import TlogLeaf
from translog.note import Checkpoint, Verifier, open_note, sign

AT = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _checkpoints_by_hand(settings):
    """The app's scheduler would sign checkpoints on its own timer: here the tests sign them."""
    settings.tlog_checkpoint_seconds = 0


def b64(h: bytes) -> str:
    return base64.b64encode(h).decode()


def test_gos_leaves_stored_give_gos_tiles_roots_and_proofs(db, vectors):
    with db.transaction() as s:
        for i in range(300):
            service.append_data(s, go_leaf(i), "test", f"go:{i}", 1, AT)
    with db.read_session() as s:
        read = service.reader(s)
        for n in ["1", "2", "3", "17", "33", "255", "256", "257"]:
            assert b64(merkle.root(int(n), read)) == vectors["roots"][n], n
        for case in vectors["inclusion"]:
            if case["size"] <= 300:
                assert [b64(h) for h in merkle.prove_inclusion(case["index"], case["size"], read)] == case[
                    "proof"
                ]
        for case in vectors["consistency"]:
            if case["new"] <= 300:
                assert [b64(h) for h in merkle.prove_consistency(case["old"], case["new"], read)] == case[
                    "proof"
                ]
        for path, digest in vectors["tiles"]["300"].items():
            data = service.tile(s, tiles.parse(path.removeprefix("tile/")))
            assert data is not None and hashlib.sha256(data).hexdigest() == digest, path
        bundle = service.tile(s, tiles.Tile(None, 1, 44))
        assert tiles.unbundle(bundle) == [go_leaf(i) for i in range(256, 300)]
        assert service.tile(s, tiles.Tile(0, 1)) is None  # a full tile the tree does not have yet
        assert service.size(s) == 300


def test_published_records_become_leaves_under_a_signed_checkpoint(db, published, settings):
    _decl, codes = published
    with db.read_session() as s:
        leaves = list(s.exec(TlogLeaf.__table__.select().order_by(TlogLeaf.__table__.c.idx)))  # type: ignore[attr-defined]
        cp = service.latest_checkpoint(s)
    kinds = {row.kind for row in leaves}
    assert {"declaration.released", "disclosure.record", "code.batch"} <= kinds, kinds
    assert [row.idx for row in leaves] == list(range(len(leaves)))
    batch = json.loads(next(row.data for row in leaves if row.kind == "code.batch"))
    serial_tree = merkle.MemoryTree(merkle.leaf_hash(c["serial"].encode()) for c in codes)
    assert batch["record"]["serials_root"] == b64(serial_tree.root())
    # Canonical bytes: what a JCS implementation makes of the parsed leaf is the leaf.
    for row in leaves:
        assert service.canonical(json.loads(row.data)) == bytes(row.data)
    assert cp is not None and cp.size == len(leaves) and cp.max_lag_seconds is not None
    opened = open_note(cp.note.encode(), [scheduled.signer(settings).verifier])
    assert opened.text.startswith(settings.tlog_origin_line() + f"\n{len(leaves)}\n")
    # Nothing new: no new checkpoint.
    assert scheduled.checkpoint(settings, db) is None
    assert integrity.check(db) == []
    assert integrity.check(db, chunk=3) == []


def test_crosstrust_log_verify_and_gos_tile_client_check_the_served_log(
    db, app, published, settings, go_tool, tmp_path
):
    _decl, codes = published
    record_id, enterprise_id = _record_and_grade(db)
    vkey = scheduled.signer(settings).verifier.encode()
    with serve(app) as base:
        assert fetch(base + "/tlog/key").decode().strip() == vkey
        earlier = fetch(base + "/tlog/checkpoint")
        report = tlog_client.verify(
            base,
            vkey,
            fetch,
            records=[(record_id, None), (record_id, 1)],
            grades=[enterprise_id],
            serials=[codes[3]["serial"]],
            earlier=earlier,
        )
        size = report["size"]
        assert report["consistent_with"] == size
        assert [c.get("record") or c.get("grade_of") or c.get("serial") for c in report["checked"]][
            -1
        ] == codes[3]["serial"]
        assert report["checked"][-1]["batch_size"] == 5
        out = subprocess.run(
            [str(go_tool), "client", base + "/tlog", vkey, str(size - 1), "1"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert out.returncode == 0, out.stderr
        go = json.loads(out.stdout)
        assert (go["size"], go["inclusion"], go["consistency"]) == (size, "ok", "ok")
        with db.read_session() as s:
            assert go["entry"].encode() == bytes(service.leaf_at(s, size - 1).data)
        # A fork: an earlier checkpoint, signed with the log's own key, of a tree the latest does not extend.
        forked = sign(
            Checkpoint(settings.tlog_origin_line(), 1, b"\x11" * 32).text(), scheduled.signer(settings)
        )
        with pytest.raises(tlog_client.VerifyError, match="forked"):
            tlog_client.verify(base, vkey, fetch, earlier=forked.encode())
        state = tmp_path / "seen"
        state.write_bytes(earlier)
        run = CliRunner().invoke(
            cli.app, ["log", "monitor", base, "--key", vkey, "--state", str(state), "--rounds", "1"]
        )
        assert run.exit_code == 0, run.output
        state.write_text(forked, encoding="utf-8")
        run = CliRunner().invoke(
            cli.app, ["log", "monitor", base, "--key", vkey, "--state", str(state), "--rounds", "1"]
        )
        assert run.exit_code == 2 and "ALARM" in run.output and "forked" in run.output
        # A key the log does not sign with is refused.
        other = Verifier(settings.tlog_origin_line(), b"\x01" * 32).encode()
        with pytest.raises(tlog_client.VerifyError, match="no signature by a known key"):
            tlog_client.verify(base, other, fetch)


def test_rows_altered_behind_the_platforms_back_fail_verification(db, app, published, settings):
    vkey = scheduled.signer(settings).verifier.encode()
    record_id, _ = _record_and_grade(db)
    with db.transaction() as s:
        leaf = service.leaf_of(s, f"disclosure:{record_id}")
        forged = bytes(leaf.data).replace(b'"record":{', b'"record":{"forged":true,', 1)
        s.execute(text("UPDATE tlog_leaf SET data = :d WHERE idx = :i"), {"d": forged, "i": leaf.idx})
    # Recomputed from the leaves' bytes: the edited leaf first, then what it no longer hashes up to.
    problems = integrity.check(db)
    assert problems[0] == f"tlog_leaf {leaf.idx}: its bytes do not hash to its stored leaf_hash"
    assert f"tlog_node 0/{leaf.idx}: differs from the tree recomputed from the leaves" in problems
    assert any(p.startswith("tlog_checkpoint ") and "root is not the tree's" in p for p in problems)
    with serve(app) as base:
        tlog_client.verify(base, vkey, fetch)  # the tree itself is intact
        with pytest.raises(tlog_client.VerifyError, match="inclusion proof does not verify"):
            tlog_client.verify(base, vkey, fetch, records=[(record_id, None)])
        with db.transaction() as s:
            s.execute(text("UPDATE tlog_node SET hash = :h WHERE level = 0 AND idx = 0"), {"h": b"\x00" * 32})
        with pytest.raises(tlog_client.VerifyError, match="do not hash to the checkpoint's root"):
            tlog_client.verify(base, vkey, fetch)
    assert "tlog_node 0/0: differs from the tree recomputed from the leaves" in integrity.check(db)


def test_log_verify_all_checks_every_entry_and_tile_from_outside(db, app, settings):
    """`crosstrust log verify --all`: the whole log from its tiles alone. 600 leaves make two full tiles
    (so a tile at level 1) and a partial one; an entry changed in the database, and then its hash at
    level 0 too, leave the root verifying from the tiles it needs, so only a check of every entry and
    every tile names them."""
    with db.transaction() as s:
        for i in range(600):
            service.append_data(s, go_leaf(i), "test", f"go:{i}", 1, AT)
    assert scheduled.checkpoint(settings, db) == 600
    vkey = scheduled.signer(settings).verifier.encode()
    with serve(app) as base:
        whole = ["log", "verify", base, "--key", vkey, "--all"]
        run = CliRunner().invoke(cli.app, whole)
        assert run.exit_code == 0, run.output
        assert json.loads(run.stdout[run.stdout.index("{") :])["entries_checked"] == 600
        with db.transaction() as s:
            s.execute(text("UPDATE tlog_leaf SET data = :d WHERE idx = 10"), {"d": go_leaf(9999)})
        tlog_client.verify(base, vkey, fetch)  # the root alone does not see it
        run = CliRunner().invoke(cli.app, whole)
        assert run.exit_code == 1 and "entry bundle 0: its entries do not hash to tile 0/0" in run.output
        # The entry's hash at level 0 rewritten to match: the entries agree with their tile, and the root
        # (read from the tile at level 1) still verifies, but that tile no longer hashes up from level 0.
        with db.transaction() as s:
            forged = merkle.leaf_hash(go_leaf(9999))
            s.execute(text("UPDATE tlog_node SET hash = :h WHERE level = 0 AND idx = 10"), {"h": forged})
        tlog_client.verify(base, vkey, fetch)
        run = CliRunner().invoke(cli.app, whole)
        assert run.exit_code == 1 and "tile 1/0: not the roots of the full tiles below it" in run.output


def test_tiles_are_cacheable_for_ever_and_the_checkpoint_briefly(client, published):
    cp = client.get("/tlog/checkpoint")
    assert cp.status_code == 200 and cp.headers["cache-control"] == "public, max-age=5"
    size = int(cp.text.split("\n")[1])
    tile = client.get(f"/tlog/tile/0/000.p/{size}")
    assert tile.status_code == 200 and len(tile.content) == 32 * size
    assert "immutable" in tile.headers["cache-control"]
    entries = client.get(f"/tlog/tile/entries/000.p/{size}")
    assert len(tiles.unbundle(entries.content)) == size


def _problem(r, status: int, field: str | None = None) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    if field is not None:
        assert field in json.dumps(body.get("errors", [])), body
    return body


def test_bad_input_is_a_problem_document(client, published):
    size = int(client.get("/tlog/checkpoint").text.split("\n")[1])
    _problem(client.get("/api/v1/tlog/proof/record/999999"), 404)
    _problem(client.get("/api/v1/tlog/proof/record/1?version=99"), 404)
    _problem(client.get("/api/v1/tlog/proof/grade/999999"), 404)
    _problem(client.get("/api/v1/tlog/proof/code/NOSUCHSERIAL"), 404)
    _problem(client.get("/api/v1/tlog/proof/code/bad%20serial"), 422, "serial")
    _problem(client.get(f"/api/v1/tlog/proof/inclusion?index={size + 10}"), 404)
    _problem(client.get(f"/api/v1/tlog/proof/inclusion?index=0&size={size + 1}"), 422, "size")
    _problem(client.get("/api/v1/tlog/proof/inclusion?index=-1"), 422, "index")
    _problem(client.get(f"/api/v1/tlog/proof/consistency?first=1&second={size + 1}"), 422, "second")
    _problem(client.get(f"/api/v1/tlog/proof/consistency?first={size}&second=1"), 422, "first")
    _problem(client.get("/api/v1/tlog/proof/consistency?first=0"), 422, "first")
    _problem(client.get("/tlog/tile/0/x000/001"), 422, "path")
    _problem(client.get("/tlog/tile/0/001"), 404)
    _problem(client.get("/tlog/tile/99/000"), 422, "path")
    ok = client.get(f"/api/v1/tlog/proof/consistency?first=1&second={size}")
    assert ok.status_code == 200
    body = ok.json()
    assert merkle.verify_consistency(
        1,
        size,
        base64.b64decode(body["first_root"]),
        base64.b64decode(body["second_root"]),
        [base64.b64decode(h) for h in body["proof"]],
    )


def test_no_checkpoint_yet_is_a_404(client):
    _problem(client.get("/tlog/checkpoint"), 404)
    _problem(client.get("/api/v1/tlog/proof/consistency?first=1"), 404)
