"""Witnesses: cosignature/v1 checked against Go's transparency-dev/formats (unmodified, vendored beside
the vectors) both ways; the witness's add-checkpoint rules (c2sp.org/tlog-witness) with its refusals and
kept evidence; and end to end on both databases: records published, a checkpoint cosigned by a real
`crosstrust log witness` process, `crosstrust log verify` checking a disclosure, a grade and one code
against the cosigned checkpoint, a fork refused by the witness, and a row edited behind the platform's
back named by the monitor and by `audit verify`."""

from __future__ import annotations

import base64
import json
import subprocess
import sys

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from api import cli
from api.cli_log import fetch
from core.clock import utcnow
from core.settings import get_settings
from tests.conftest import serve
from tests.receiver import serve_in_thread
from tests.translog.conftest import _record_and_grade
from translog import client as tlog_client
from translog import merkle, scheduled, service, witnessing
from translog.cosign import Cosigner, WitnessKey, cosigned_by, split
from translog.note import Checkpoint, Signer, sign
from translog.witness import Witness

ORIGIN = "crosstrust.test/tlog"
LOG = Signer.from_seed(ORIGIN, b"\x07" * 32)


def _note(tree: merkle.MemoryTree, size: int, signer: Signer = LOG) -> str:
    return sign(Checkpoint(signer.name, size, tree.root(size)).text(), signer)


def _body(old: int, proof: list[bytes], note: str) -> bytes:
    lines = [f"old {old}", *(base64.b64encode(h).decode() for h in proof)]
    return ("\n".join(lines) + "\n\n" + note).encode()


def _tree(n: int, fork_at: int | None = None) -> merkle.MemoryTree:
    return merkle.MemoryTree(
        merkle.leaf_hash(b"forked %d" % i if i == fork_at else b"leaf %d" % i) for i in range(n)
    )


def test_the_witness_cosigns_only_what_extends_what_it_cosigned(tmp_path):
    cosigner = Cosigner.generate("witness.test/w1")
    w = Witness(cosigner, [LOG.verifier], tmp_path)
    tree, fork = _tree(12), _tree(12, fork_at=7)
    first = w.add_checkpoint(_body(0, [], _note(tree, 5)))
    assert first.status == 200, first.body
    assert cosigned_by(_note(tree, 5) + first.body.decode(), [cosigner.key]).keys() == {"witness.test/w1"}
    # The old size must be the size it last cosigned: 409 with that size, as text/x.tlog.size.
    stale = w.add_checkpoint(_body(0, [], _note(tree, 10)))
    assert (stale.status, stale.content_type, stale.body) == (409, "text/x.tlog.size", b"5\n")
    grown = w.add_checkpoint(_body(5, merkle.prove_consistency(5, 10, tree.read), _note(tree, 10)))
    assert grown.status == 200, grown.body
    # A fork: the forked tree's checkpoint with the forked tree's own proof does not extend size 10.
    forked = _body(10, merkle.prove_consistency(10, 12, fork.read), _note(fork, 12))
    refused = w.add_checkpoint(forked)
    problem = json.loads(refused.body)
    assert refused.status == 422 and problem["errors"][0]["field"] == "proof"
    (evidence,) = (tmp_path / "evidence").iterdir()
    kept = json.loads(evidence.read_text(encoding="utf-8"))
    assert kept["last_cosigned_note"] == _note(tree, 10)
    assert kept["refused_request"] == forked.decode()  # the proof and the refused checkpoint
    # The same size with another root is refused too, and kept.
    same = w.add_checkpoint(_body(10, [], _note(fork, 10)))
    assert same.status == 409 and json.loads(same.body)["errors"][0]["field"] == "checkpoint"
    assert len(list((tmp_path / "evidence").iterdir())) == 2
    # The state survived in its file: a new witness on the same folder holds 10.
    again = Witness(cosigner, [LOG.verifier], tmp_path)
    assert again.state()[ORIGIN]["size"] == 10
    assert again.add_checkpoint(_body(5, [], _note(tree, 12))).body == b"10\n"
    assert not list(tmp_path.glob("*.tmp"))


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        (
            _body(0, [], _note(_tree(3), 3, Signer.from_seed("other.test/log", b"\x01" * 32))),
            404,
            "checkpoint",
        ),
        (_body(0, [], _note(_tree(3), 3, Signer.from_seed(ORIGIN, b"\x02" * 32))), 403, "checkpoint"),
        (_body(4, [], _note(_tree(3), 3)), 400, "old"),
        (_body(0, [b"\x00" * 32], _note(_tree(3), 3)), 400, "proof"),
        (b"old 01\n\n" + _note(_tree(3), 3).encode(), 400, "old"),
        (b"old 0\nnot base64!\n\n" + _note(_tree(3), 3).encode(), 400, "proof"),
        (b"old 0\n" + _note(_tree(3), 3).encode(), 400, "proof"),  # its lines read as proof lines
        (b"old 0", 400, "body"),
    ],
)
def test_bad_requests_to_the_witness_are_refused_with_a_problem(tmp_path, body, status, field):
    answer = Witness(Cosigner.generate("witness.test/w1"), [LOG.verifier], tmp_path).add_checkpoint(body)
    assert answer.status == status, answer.body
    assert json.loads(answer.body)["errors"][0]["field"] == field
    assert not (tmp_path / "state.json").exists()


def test_cosignatures_agree_with_gos_transparency_dev_formats(go_tool, tmp_path):
    cosigner = Cosigner.generate("witness.test/w1")
    note = _note(_tree(9), 9)
    (tmp_path / "note").write_text(note, encoding="utf-8")
    # Go cosigns with the same key file: Python verifies it, and signs the same bytes at the same time.
    out = subprocess.run(
        [str(go_tool), "cosign", cosigner.encode(), str(tmp_path / "note")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    found = cosigned_by(note + out.stdout, [cosigner.key])
    assert list(found) == ["witness.test/w1"]
    assert cosigner.cosign(split(note)[0], found["witness.test/w1"]) == out.stdout
    # Go verifies Python's cosignature (by the key Python encodes), and refuses it on altered text.
    ours = note + cosigner.cosign(split(note)[0], 1_700_000_000)
    only_ours = ours.replace(split(note)[1][0], "")  # Go's note.Open needs one known signature
    (tmp_path / "cosigned").write_text(only_ours, encoding="utf-8")
    vkey = cosigner.key.encode()
    assert WitnessKey.parse(vkey) == cosigner.key
    go = subprocess.run(
        [str(go_tool), "verify-cosig", vkey, str(tmp_path / "cosigned")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (go.returncode, go.stdout) == (0, "1700000000\n"), go.stderr
    (tmp_path / "altered").write_text(only_ours.replace("\n9\n", "\n8\n", 1), encoding="utf-8")
    go = subprocess.run(
        [str(go_tool), "verify-cosig", vkey, str(tmp_path / "altered")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert go.returncode != 0


@pytest.fixture
def witness_process(tmp_path, settings):
    """A real `crosstrust log witness` process for this log, on a free port."""
    key = tmp_path / "witness.key"
    vkey = scheduled.signer(settings).verifier.encode()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from api.cli import main; main()",
            "log",
            "witness",
            "--key",
            str(key),
            "--name",
            "witness.test/region-b",
            "--log",
            vkey,
            "--state",
            str(tmp_path / "witness"),
            "--listen",
            "127.0.0.1:0",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("witness "), line
        _, wkey, _, url = line.split()
        settings.tlog_witnesses = json.dumps(
            [{"key": wkey, "url": url, "zh": "乙地区市场监管局", "en": "Region B's market regulator"}]
        )
        yield wkey, url, tmp_path / "witness"
    finally:
        proc.kill()
        proc.wait(10)


def test_end_to_end_a_witness_cosigns_verify_checks_and_the_monitor_names_an_edited_row(
    db, app, client, published, settings, witness_process, tmp_path, monkeypatch
):
    wkey, url, state = witness_process
    _decl, codes = published
    record_id, enterprise_id = _record_and_grade(db)
    vkey = scheduled.signer(settings).verifier.encode()
    assert witnessing.push(settings, db) == {"witness.test/region-b": f"cosigned {_size(db)}"}
    # The log grows: the next checkpoint goes to the witness with a consistency proof from the last.
    with db.transaction() as s:
        service.append(s, "test.leaf", "test:1", {"n": 1}, at=utcnow())
    scheduled.checkpoint(settings, db)
    assert witnessing.push(settings, db) == {"witness.test/region-b": f"cosigned {_size(db)}"}
    with serve(app) as base:
        served = fetch(base + "/tlog/checkpoint").decode()
        assert split(served)[1][1].startswith("— witness.test/region-b ")
        run = CliRunner().invoke(
            cli.app,
            [
                "log",
                "verify",
                base,
                "--key",
                vkey,
                "--witness",
                wkey,
                "--record",
                str(record_id),
                "--grade",
                str(enterprise_id),
                "--serial",
                codes[2]["serial"],
            ],
        )
        assert run.exit_code == 0, run.output
        assert "cosigned by: witness.test/region-b" in run.output
        report = json.loads(run.stdout[run.stdout.index("{") :])
        assert [c["witness"] for c in report["cosigned_by"]] == ["witness.test/region-b"]
        assert len(report["checked"]) == 3
        # A witness the checkpoint does not carry is not counted.
        other = Cosigner.generate("witness.test/other").key.encode()
        with pytest.raises(tlog_client.VerifyError, match="cosigned by 0 of the 1 witnesses"):
            tlog_client.verify(base, vkey, fetch, witnesses=[other])
        page = client.get(f"/verifiable/record/{record_id}")
        assert page.status_code == 200 and "乙地区市场监管局" in page.text
        assert 'data-witness="witness.test/region-b"' in page.text
        # A fork sent to the witness, signed with the log's own key: refused, and the evidence kept.
        size = _size(db)
        fork = sign(
            Checkpoint(settings.tlog_origin_line(), size + 1, b"\x11" * 32).text(), scheduled.signer(settings)
        )
        with db.read_session() as s:
            proof = service.consistency(s, 1, size)["proof"]  # a real proof, of another pair of trees
        body = f"old {size}\n" + "".join(f"{h}\n" for h in proof[:3]) + "\n" + fork
        status, _, answer = witnessing.post(url + "/add-checkpoint", body.encode())
        assert status == 422, answer
        assert len(list((state / "evidence").iterdir())) == 1
        monitor = [
            "log",
            "monitor",
            base,
            "--key",
            vkey,
            "--witness",
            wkey,
            "--state",
            str(tmp_path / "seen"),
            "--rounds",
            "1",
        ]
        run = CliRunner().invoke(cli.app, monitor)
        assert run.exit_code == 0, run.output
        # A row edited in the database behind the platform's back: no event, no new leaf.
        with db.transaction() as s:
            s.execute(
                text("UPDATE disclosure_record SET title_en = 'Edited quietly' WHERE id = :i"),
                {"i": record_id},
            )
        run = CliRunner().invoke(cli.app, monitor)
        assert run.exit_code == 2, run.output
        assert (
            f"disclosure:{record_id} version {_version(db, record_id)}: the published record's canonical bytes differ"
            in run.output
        )
    monkeypatch.setenv("CROSSTRUST_DATABASE_URL", db.url)
    monkeypatch.setenv("CROSSTRUST_VAR_DIR", str(settings.var_dir))
    monkeypatch.setenv("CROSSTRUST_CODE_SECRET", settings.code_secret)
    get_settings.cache_clear()
    try:
        audit = CliRunner().invoke(cli.app, ["audit", "verify"])
    finally:
        get_settings.cache_clear()
    assert audit.exit_code == 1
    assert (
        f"transparency log: disclosure:{record_id} version {_version(db, record_id)}"
        in audit.output.replace("\n", " ")
    )


def _version(db, record_id: int) -> int:
    with db.read_session() as s:
        return service.leaf_of(s, f"disclosure:{record_id}").version


def _size(db) -> int:
    with db.read_session() as s:
        return service.size(s)


def test_the_current_record_api_refuses_bad_subjects(client, published):
    for subject, status in [
        ("nope:1", 422),
        ("grade:x", 422),
        ("disclosure:999999", 404),
        ("grade:999999", 404),
        ("code-batch:999999999999999999", 404),
    ]:
        r = client.get(f"/api/v1/tlog/current/{subject}")
        assert r.status_code == status, (subject, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")


def test_the_witness_over_http_answers_bad_requests_with_4xx(tmp_path):

    from translog.witness_server import serve as serve_witness

    cosigner = Cosigner.generate("witness.test/w1")
    server = serve_witness(Witness(cosigner, [LOG.verifier], tmp_path), "127.0.0.1", 0)
    serve_in_thread(server)
    url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        assert fetch(url + "/").decode().strip() == cosigner.key.encode()
        tree = _tree(4)
        status, ctype, body = witnessing.post(url + "/add-checkpoint", _body(0, [], _note(tree, 3)))
        assert status == 200 and cosigned_by(_note(tree, 3) + body.decode(), [cosigner.key])
        status, ctype, body = witnessing.post(url + "/add-checkpoint", _body(0, [], _note(tree, 4)))
        assert (status, ctype, body) == (409, "text/x.tlog.size", b"3\n")
        for path, payload, want in [
            ("/nope", b"old 0\n\n", 404),
            ("/add-checkpoint", b"x" * 70_000, 413),
            ("/add-checkpoint", b"old 3\n\n" + b"garbage\n", 404),  # an unknown origin
        ]:
            status, ctype, body = witnessing.post(url + path, payload)
            assert status == want, (path, status, body)
            assert ctype == "application/problem+json" and json.loads(body)["errors"]
    finally:
        server.shutdown()
        server.server_close()
