"""The scan's signed answer (issue 26): asked for with `Accept: application/jose`, a scan answers a JWS
(ES256) over its facts by the platform's answer key, published in a JWKS with its X.509 chain. Two JOSE
libraries nobody here wrote accept it — PyJWT, and panva's jose under node (installed by `npm ci` from
tests/data/jose's lockfile) — and refuse it after one changed character or when another key signed it.
Each key's certificate is a leaf of the transparency log, with a proof of its inclusion."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from joserfc.jwk import ECKey
from sqlmodel import select

from tests.traceability.scans import BASE, JSON, scan_path
from traceability import answer_keys, digsig
from traceability.models import CodeKey
from translog import merkle, scheduled, service
from translog.note import open_note

JOSE = {"Accept": "application/jose"}
JOSE_DATA = Path(__file__).parents[1] / "data" / "jose"
ROOT = Path(__file__).parents[2]


def _signed_codes(flow, quantity: int = 3) -> tuple[dict, dict, list[dict]]:
    product = flow.product()
    decl = flow.release(flow.inspect(flow.declare(product["id"])))
    batch = flow.issue(decl, quantity=quantity, signed=True)
    line = decl["lines"][0]
    flow.ship(line["gtin"], line["lot"])
    return decl, batch, flow.codes(batch)


def _tamper(token: str, at: int) -> str:
    return token[:at] + ("A" if token[at] != "A" else "B") + token[at + 1 :]


def _pyjwt(token: str, jwks: dict) -> dict:
    """PyJWT's check: the key the JWKS names by the answer's kid, ES256 only, the issuer, the typ."""
    header = jwt.get_unverified_header(token)
    assert header["typ"] == answer_keys.TYP and header["alg"] == "ES256"
    key = jwt.PyJWKSet.from_dict(jwks)[header["kid"]]
    return jwt.decode(token, key.key, algorithms=["ES256"], issuer=BASE, options={"require": ["iat", "sub"]})


def test_a_scan_answers_a_jws_over_its_facts_that_pyjwt_verifies(client, flow):
    decl, batch, codes = _signed_codes(flow)
    code = codes[0]
    r = client.get(scan_path(code), headers=JOSE)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/jose" and r.headers["cache-control"] == "no-store"
    token = r.text
    jwks = client.get("/.well-known/crosstrust/jwks.json").json()
    claims = _pyjwt(token, jwks)
    plain = client.get(scan_path(code), headers=JSON).json()
    assert claims["verdict"] == plain["verdict"]["status"] == "genuine"
    assert claims["sub"] == plain["code"]["uri"] and claims["iss"] == BASE
    assert claims["gs1:gtin"] == code["gtin"] and claims["gs1:hasSerialNumber"] == code["serial"]
    assert claims["gs1:hasBatchLotNumber"] == decl["lines"][0]["lot"]
    assert claims["enterprise"]["uscc"] == plain["enterprise"]["uscc"]
    assert claims["grade"] == (plain["enterprise"]["credit"] or {}).get("grade")
    assert claims["gs1:productName"][0]["@value"] == plain["product"]["name_zh"]
    # the answer names its code: the element string the code's own DigSig covers, and that DigSig
    bundle = digsig.Bundle.from_document(client.get("/.well-known/crosstrust/certificates").json())
    element = claims["element_string"].encode()
    assert claims["digsig"] == code["digsig"]
    assert digsig.check(bundle, element, claims["digsig"]).outcome == digsig.Outcome.genuine_signature

    # the chain in x5c: the answer key's certificate, issued by the published root
    header = jwt.get_unverified_header(token)
    leaf, root = (x509.load_der_x509_certificate(base64.b64decode(c)) for c in header["x5c"])
    leaf.verify_directly_issued_by(root)
    assert root.fingerprint(hashes.SHA256()) in {r_.fingerprint(hashes.SHA256()) for r_ in bundle.roots}
    assert header["kid"] == ECKey.import_key(leaf.public_key()).thumbprint()
    # an answer key is no code key: its number is not among the keys a DigSig is checked against
    assert all(answer_keys.kid_of(k["certificate"]) != header["kid"] for k in bundle_keys(client))

    # one character changed, in the facts or in the signature: refused
    payload_at = token.index(".") + 10
    for bad in (_tamper(token, payload_at), _tamper(token, len(token) - 10)):
        with pytest.raises(jwt.InvalidTokenError):
            _pyjwt(bad, jwks)
    # the same facts and kid signed by another key: refused
    other = answer_keys.AnswerKey(0, header["kid"], ECKey.generate_key("P-256"), header["x5c"])
    forged = other.sign(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    with pytest.raises(jwt.InvalidSignatureError):
        _pyjwt(forged, jwks)
    # the plain JSON scan is as it was: no signature on it
    assert client.get(scan_path(code), headers=JSON).headers["content-type"] == "application/json"


def bundle_keys(client) -> list[dict]:
    return client.get("/.well-known/crosstrust/certificates").json()["keys"]


def test_a_forged_code_gets_a_signed_counterfeit_answer_that_vouches_for_no_one(client, flow):
    _, _, codes = _signed_codes(flow, 2)
    serial = codes[0]["serial"]
    # a serial that differs in its last character (the issued one may itself end in Z)
    forged = codes[0]["uri"].replace(serial, serial[:-1] + ("Y" if serial.endswith("Z") else "Z"))
    assert forged != codes[0]["uri"]
    r = client.get(scan_path({"uri": forged}), headers=JOSE)
    jwks = client.get("/.well-known/crosstrust/jwks.json").json()
    claims = _pyjwt(r.text, jwks)
    assert (
        claims["verdict"] == client.get(scan_path({"uri": forged}), headers=JSON).json()["verdict"]["status"]
    )
    assert claims["verdict"] != "genuine" and claims["enterprise"] is None


def test_a_revoked_answer_key_leaves_the_jwks_and_a_new_one_signs(app, client, flow, db):
    _, _, codes = _signed_codes(flow, 1)
    first = client.get(scan_path(codes[0]), headers=JOSE).text
    kid = jwt.get_unverified_header(first)["kid"]
    with db.transaction() as s:
        row = answer_keys.active_row(s)
        assert row is not None and row.id is not None
        from traceability import code_keys

        code_keys.revoke(s, row.id, "leaked")
    app.state.answer_signing.ttl = 0  # read again at once (a running server does within a minute)
    jwks = client.get("/.well-known/crosstrust/jwks.json").json()
    assert kid not in {k["kid"] for k in jwks["keys"]}
    with pytest.raises(KeyError):
        _pyjwt(first, jwks)
    second = client.get(scan_path(codes[0]), headers=JOSE).text
    assert jwt.get_unverified_header(second)["kid"] != kid and _pyjwt(second, jwks)["verdict"] == "genuine"


def test_rotating_the_answer_key_keeps_the_old_answers_verifiable(app, client, flow, cli):
    _, _, codes = _signed_codes(flow, 1)
    first = client.get(scan_path(codes[0]), headers=JOSE).text
    rotated = cli("signing", "rotate-answers")
    assert rotated.exit_code == 0, rotated.output
    app.state.answer_signing.ttl = 0
    second = client.get(scan_path(codes[0]), headers=JOSE).text
    jwks = client.get("/.well-known/crosstrust/jwks.json").json()
    assert [k["crosstrust:status"] for k in jwks["keys"]] == ["active", "retired"]
    assert jwt.get_unverified_header(first)["kid"] != jwt.get_unverified_header(second)["kid"]
    assert _pyjwt(first, jwks)["verdict"] == _pyjwt(second, jwks)["verdict"]


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        if os.environ.get("CI") == "true":
            raise AssertionError(f"{name} is missing: scripts/system-deps.sh test installs it")
        pytest.skip(f"{name} is not installed (scripts/system-deps.sh test installs it)")
    return found


def _jose_home() -> Path:
    """panva's jose, installed from the committed lockfile into var/ by `npm ci`, once per lockfile."""
    lock = (JOSE_DATA / "package-lock.json").read_bytes()
    home = ROOT / "var" / "jose-node" / hashlib.sha256(lock).hexdigest()[:16]
    if not (home / "node_modules" / "jose" / "package.json").exists():
        home.mkdir(parents=True, exist_ok=True)
        for name in ("package.json", "package-lock.json"):
            shutil.copy(JOSE_DATA / name, home / name)
        subprocess.run(  # noqa: S603
            [_tool("npm"), "ci", "--no-audit", "--no-fund", "--ignore-scripts"],
            cwd=home,
            check=True,
            capture_output=True,
            timeout=300,
        )
    shutil.copy(JOSE_DATA / "verify.mjs", home / "verify.mjs")
    return home


def _node_jose(home: Path, jwks: dict, token: str, tmp_path: Path) -> subprocess.CompletedProcess:
    (tmp_path / "jwks.json").write_text(json.dumps(jwks))
    (tmp_path / "answer.jws").write_text(token)
    return subprocess.run(  # noqa: S603
        [
            _tool("node"),
            str(home / "verify.mjs"),
            str(tmp_path / "jwks.json"),
            str(tmp_path / "answer.jws"),
            BASE,
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_nodes_jose_verifies_the_answer_and_refuses_a_changed_one(client, flow, tmp_path):
    home = _jose_home()
    _, _, codes = _signed_codes(flow, 1)
    token = client.get(scan_path(codes[0]), headers=JOSE).text
    jwks = client.get("/.well-known/crosstrust/jwks.json").json()
    done = _node_jose(home, jwks, token, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    answer = json.loads(done.stdout)
    assert answer["payload"]["verdict"] == "genuine" and answer["payload"]["digsig"] == codes[0]["digsig"]
    assert answer["header"]["typ"] == answer_keys.TYP
    for bad in (_tamper(token, token.index(".") + 10), _tamper(token, len(token) - 10)):
        refused = _node_jose(home, jwks, bad, tmp_path)
        assert refused.returncode == 1 and refused.stdout.strip() in (
            "ERR_JWS_SIGNATURE_VERIFICATION_FAILED",
            "ERR_JWS_INVALID",
            "ERR_JWT_INVALID",
        ), refused.stdout


@pytest.fixture
def _checkpoints_by_hand(settings):
    settings.tlog_checkpoint_seconds = 0


@pytest.mark.usefixtures("_checkpoints_by_hand")
def test_each_keys_certificate_is_a_leaf_of_the_log_with_a_proof(db, client, flow, dispatcher, settings):
    _signed_codes(flow, 1)
    client.get("/.well-known/crosstrust/jwks.json")  # makes the answer key
    dispatcher.drain()
    assert scheduled.checkpoint(settings, db) is not None
    with db.read_session() as s:
        rows = list(s.exec(select(CodeKey).order_by(CodeKey.id)))  # type: ignore[arg-type]
        assert sorted(r.kind for r in rows) == ["answer", "root", "signing"]
        cp = service.latest_checkpoint(s)
        assert cp is not None
        opened = open_note(cp.note.encode(), [scheduled.signer(settings).verifier])
        root_hash = base64.b64decode(opened.text.splitlines()[2])
        for row in rows:
            proof = service.inclusion(s, service.leaf_of(s, f"code-key:{row.id}"))
            leaf = json.loads(base64.b64decode(proof["leaf"]))
            assert leaf["kind"] == "code_key.certificate" and leaf["record"]["certificate"] == row.certificate
            assert proof["root_hash"] == base64.b64encode(root_hash).decode()
            assert merkle.verify_inclusion(
                proof["leaf_index"],
                proof["tree_size"],
                merkle.leaf_hash(base64.b64decode(proof["leaf"])),
                [base64.b64decode(h) for h in proof["proof"]],
                root_hash,
            )
            # a changed certificate is not in the log
            changed = base64.b64decode(proof["leaf"]).replace(b"MII", b"MIJ", 1)
            assert not merkle.verify_inclusion(
                proof["leaf_index"],
                proof["tree_size"],
                merkle.leaf_hash(changed),
                [base64.b64decode(h) for h in proof["proof"]],
                root_hash,
            )
