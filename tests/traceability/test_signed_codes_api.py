"""Signed codes over HTTP and on the command line (issue 26): a merchant issues a signed batch through
the API, its codes resolve as the same codes without their signature would, the platform publishes its
certificates at a well-known URL, and `crosstrust codes verify` checks a scanned code against the
cached certificates with no server running and no socket opened."""

from __future__ import annotations

import datetime
import json
import socket

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from typer.testing import CliRunner

from api.cli import app as cli_app
from core.settings import get_settings
from tests.conftest import serve
from tests.traceability.scans import JSON, scan_path
from traceability import digsig, scanned


@pytest.fixture
def cli(db, settings, monkeypatch, tmp_path):
    monkeypatch.setenv("CROSSTRUST_DATABASE_URL", db.url)
    monkeypatch.setenv("CROSSTRUST_VAR_DIR", str(settings.var_dir))
    monkeypatch.setenv("CROSSTRUST_CODE_SECRET", settings.code_secret)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    get_settings.cache_clear()
    runner = CliRunner()
    yield lambda *args: runner.invoke(cli_app, [str(a) for a in args])
    get_settings.cache_clear()


def _signed_codes(flow, quantity: int = 5) -> tuple[dict, dict, list[dict]]:
    product = flow.product()
    decl = flow.declare(product["id"])
    flow.inspect(decl)
    decl = flow.release(decl)
    batch = flow.issue(decl, quantity=quantity, signed=True)
    return decl, batch, flow.codes(batch)


def test_a_signed_code_resolves_as_the_same_code_without_its_signature(client, flow):
    decl, batch, rows = _signed_codes(flow)
    assert batch["signing_key_id"] is not None
    line = decl["lines"][0]
    flow.ship(line["gtin"], line["lot"])
    for row in rows:
        assert row["digsig"] and f"&8030={row['digsig']}" in row["uri"]
        signed = client.get(scan_path(row), headers=JSON)
        bare = client.get(scan_path({"uri": row["uri"].replace(f"&8030={row['digsig']}", "")}), headers=JSON)
        assert signed.status_code == bare.status_code == 200, signed.text
        assert signed.json()["verdict"] == bare.json()["verdict"]
        assert signed.json()["verdict"]["status"] == "genuine"
    # a DigSig that breaks GS1's rules for (8030) is refused as any bad AI is, naming the AI
    bad = client.get(scan_path({"uri": rows[0]["uri"].replace("8030=", "8030=%2B")}), headers=JSON)
    assert bad.status_code == 400 and "8030" in bad.text


def test_the_certificates_are_published_at_a_well_known_url(client, flow):
    _, batch, _ = _signed_codes(flow, 2)
    r = client.get("/.well-known/crosstrust/certificates")
    assert r.status_code == 200 and "max-age" in r.headers["cache-control"]
    document = r.json()
    assert [k["key_id"] for k in document["keys"]] == [batch["signing_key_id"]]
    bundle = digsig.Bundle.from_document(document)
    assert bundle.rejected == [] and set(bundle.keys) == {batch["signing_key_id"]}
    pem = client.get(f"/.well-known/crosstrust/certificates/{batch['signing_key_id']}.pem")
    der = client.get(f"/.well-known/crosstrust/certificates/{batch['signing_key_id']}.der")
    assert x509.load_pem_x509_certificate(pem.content) == x509.load_der_x509_certificate(der.content)
    assert x509.load_der_x509_crl(client.get("/.well-known/crosstrust/crl.der").content) is not None
    missing = client.get("/.well-known/crosstrust/certificates/x.pem")
    assert missing.status_code == 404 and missing.headers["content-type"].startswith(
        "application/problem+json"
    )


def test_verify_offline_genuine_bad_unknown_revoked(app, client, flow, cli, monkeypatch):
    _, batch, rows = _signed_codes(flow, 3)
    with serve(app) as base:
        fetched = cli("codes", "certificates", base)
    assert fetched.exit_code == 0, fetched.output

    # From here on no connection may be opened: the server is gone, and a connect would fail the test.
    with monkeypatch.context() as offline:

        def no_network(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            raise AssertionError("codes verify opened a connection")

        offline.setattr(socket.socket, "connect", no_network)
        offline.setattr(socket, "create_connection", no_network)

        def verify(code: str) -> tuple[int, dict]:
            r = cli("codes", "verify", code, "--json")
            return r.exit_code, json.loads(r.stdout.strip().splitlines()[-1]) if r.exit_code != 2 else {}

        row = rows[0]
        code, said = verify(row["uri"])
        assert (
            code == 0 and said["outcome"] == "genuine-signature" and said["key_id"] == batch["signing_key_id"]
        )
        # the same code as an element string, bracketed and as a scanner sends it (GS after variable values)
        expiry = row["expiry"][2:].replace("-", "")
        bracketed = f"(01){row['gtin']}(17){expiry}(10){row['lot']}(21){row['serial']}(8030){row['digsig']}"
        assert verify(bracketed)[0] == 0
        raw = f"]Q301{row['gtin']}17{expiry}10{row['lot']}\x1d21{row['serial']}\x1d8030{row['digsig']}"
        assert verify(raw)[0] == 0
        # one character changed: of the serial (still a valid-looking serial), of the signature
        serial = row["serial"]
        other = serial[:-1] + ("0" if serial[-1] != "0" else "1")
        assert verify(row["uri"].replace(serial, other))[1]["outcome"] == "bad-signature"
        sig = row["digsig"]
        tampered = sig[:10] + ("A" if sig[10] != "A" else "B") + sig[11:]
        assert verify(row["uri"].replace(sig, tampered))[1]["outcome"] == "bad-signature"
        # an unsigned code, and a signature by a key the cache does not know
        assert verify(row["uri"].replace(f"&8030={sig}", ""))[1]["outcome"] == "unsigned"
        unknown = digsig.encode(60000, digsig.decode(sig)[1])
        assert verify(row["uri"].replace(sig, unknown))[1]["outcome"] == "unknown-key"
        assert cli("codes", "verify", "not a code").exit_code == 2

    revoked = cli("signing", "revoke", "--key", batch["signing_key_id"], "--reason", "the key leaked")
    assert revoked.exit_code == 0, revoked.output
    with serve(app) as base:
        assert cli("codes", "certificates", base).exit_code == 0
    r = cli("codes", "verify", row["uri"], "--json")
    assert r.exit_code == 4 and json.loads(r.stdout)["outcome"] == "revoked-key"


def _forged(document: dict, key_id: int) -> tuple[dict, ec.EllipticCurvePrivateKey]:
    """A look-alike site's document: its own root and a key of the same number, under the same names."""
    real_root = x509.load_pem_x509_certificate(document["roots"][0]["certificate"].encode())
    real_key = x509.load_pem_x509_certificate(document["keys"][0]["certificate"].encode())
    root, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())

    def cert(subject, issuer, public, signer):  # noqa: ANN001, ANN202
        now = datetime.datetime.now(datetime.UTC)
        return (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer)
            .public_key(public)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=1))
            .sign(signer, hashes.SHA256())
            .public_bytes(serialization.Encoding.PEM)
            .decode()
        )

    forged = {
        "roots": [{"certificate": cert(real_root.subject, real_root.subject, root.public_key(), root)}],
        "keys": [
            {
                "key_id": key_id,
                "certificate": cert(real_key.subject, real_root.subject, key.public_key(), root),
            }
        ],
        "crls": [],
    }
    return forged, key


def test_a_look_alike_site_cannot_bring_in_a_root_or_key_of_its_own(client, flow, cli, tmp_path):
    _, batch, rows = _signed_codes(flow, 1)
    (tmp_path / "real.json").write_text(client.get("/.well-known/crosstrust/certificates").text)
    assert cli("codes", "certificates", tmp_path / "real.json").exit_code == 0
    document = json.loads((tmp_path / "real.json").read_text())
    forged, key = _forged(document, batch["signing_key_id"])
    # the forger signs a code of its own with "key n"
    row = rows[0]
    element, _, _ = scanned.of_scanned(row["uri"])
    fake_sig = digsig.CodeSigner(batch["signing_key_id"], key).sign(element)
    fake_uri = row["uri"].replace(row["digsig"], fake_sig)
    # a later fetch of the forged document is refused: its root is not the pinned one
    (tmp_path / "forged.json").write_text(json.dumps(forged))
    r = cli("codes", "certificates", tmp_path / "forged.json")
    assert r.exit_code == 2 and "pinned" in r.output
    assert cli("codes", "verify", fake_uri).exit_code == 1  # bad-signature against the real key
    # and its key certificate slipped into the real document does not chain to the real root
    mixed = document | {"keys": forged["keys"]}
    bundle = digsig.Bundle.from_document(mixed)
    assert bundle.rejected and digsig.check(bundle, element, fake_sig).outcome == "unknown-key"


def test_signed_codes_ship_by_their_uris_and_keep_their_epcis_identifiers(client, flow, keys):
    _, batch, rows = _signed_codes(flow, 3)
    url = f"/api/v1/enterprises/{keys.merchant_id}/shipments"
    r = client.post(url, json={"codes": [row["uri"] for row in rows]}, headers=flow.m)
    assert r.status_code == 201, r.text
    for row in rows:
        assert client.get(scan_path(row), headers=JSON).json()["verdict"]["status"] == "genuine"
    # the EPCIS identifiers of the items are their links' paths: the signature is not part of them
    r = client.get("/api/v1/epcis/events", params={"EQ_bizStep": "shipping"}, headers=flow.m)
    assert r.status_code == 200, r.text
    assert "8030" not in r.text and rows[0]["serial"] in r.text
