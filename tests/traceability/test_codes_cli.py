"""The merchant's trace-code commands: issue by declaration number, export CSV / labels / QR, ship out of
the bonded warehouse; what a scan says afterwards, and how a refusal reads."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
import zipfile

from tests.conftest import missing
from tests.traceability.scans import JSON, scan_path


def _released(flow) -> dict:
    decl = flow.declare(flow.product()["id"])
    flow.inspect(decl)
    return flow.release(decl)


def _verdict(client, uri: str) -> str:
    return client.get(scan_path({"uri": uri}), headers=JSON).json()["verdict"]["status"]


def test_issue_export_and_ship_a_line_by_its_declaration_number(client, flow, cli, tmp_path):
    decl = _released(flow)
    issued = cli("codes", "issue", "--declaration", decl["declaration_no"], "--line", 1, "--quantity", 3)
    assert issued.exit_code == 0, issued.output
    batch = int(issued.output.split("batch ")[1].split(":")[0])

    out = tmp_path / "codes.csv"
    r = cli("codes", "export", "--batch", batch, "--format", "csv", "-o", out)
    assert r.exit_code == 0 and "3 codes written" in r.output, r.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    api = flow.codes({"id": batch})
    assert rows == api  # the same file the API serves
    assert [_verdict(client, row["uri"]) for row in rows] == ["not_shipped"] * 3

    shipped = cli("codes", "ship", "--declaration", decl["declaration_no"], "--line", 1)
    assert shipped.exit_code == 0, shipped.output
    assert "3 item(s) shipped" in shipped.output and decl["declaration_no"] in shipped.output
    assert [_verdict(client, row["uri"]) for row in rows] == ["genuine"] * 3
    again = cli("codes", "ship", "--declaration", decl["id"], "--line", 1)
    assert again.exit_code == 0 and "already shipped: 3 item(s)" in again.output, again.output

    qr = tmp_path / "qr.zip"
    r = cli("codes", "export", "--batch", batch, "--format", "qr", "--output", qr, "--offset", 1)
    assert r.exit_code == 0, r.output
    names = zipfile.ZipFile(qr).namelist()
    assert sorted(n.removesuffix(".png") for n in names) == sorted(row["short_code"] for row in rows[1:])


def test_label_sheet_from_the_cli_carries_each_code(flow, cli, tmp_path):
    decl = _released(flow)
    issued = cli("codes", "issue", "--declaration", decl["id"], "--quantity", 2)
    assert issued.exit_code == 0, issued.output
    batch = int(issued.output.split("batch ")[1].split(":")[0])
    pdf = tmp_path / "labels.pdf"
    r = cli("codes", "export", "--batch", batch, "--format", "labels", "-o", pdf)
    assert r.exit_code == 0 and "2 codes written" in r.output, r.output
    assert pdf.read_bytes().startswith(b"%PDF-")
    if not shutil.which("pdftotext"):
        missing("pdftotext", "apt-get install poppler-utils")
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout  # noqa: S603, S607
    for row in flow.codes({"id": batch}):
        assert row["short_code"] in text


def test_ship_item_codes_from_a_file_as_their_owner_only(client, flow, cli, tmp_path, keys):
    from enterprises import service as enterprises

    decl = _released(flow)
    batch = flow.issue(decl, quantity=3)
    rows = flow.codes(batch)
    export = tmp_path / "codes.csv"
    assert cli("codes", "export", "--batch", batch["id"], "-o", export).exit_code == 0
    with client.app.state.db.read_session() as s:
        mine = enterprises.get(s, keys.merchant_id).uscc
        theirs = enterprises.get(s, keys.other_merchant_id).uscc

    refused = cli("codes", "ship", "--codes-file", export, "--enterprise", theirs)
    assert refused.exit_code == 2, refused.output
    assert "codes.0" in refused.output and "belongs to another enterprise" in refused.output
    assert _verdict(client, rows[0]["uri"]) == "not_shipped"

    one = tmp_path / "one.txt"
    one.write_text(rows[0]["short_code"] + "\n")
    r = cli("codes", "ship", "--codes-file", one, "--enterprise", mine)
    assert r.exit_code == 0 and "1 item(s) shipped" in r.output, r.output
    r = cli("codes", "ship", "--codes-file", export, "--code", rows[2]["serial"], "--enterprise", mine)
    assert r.exit_code == 0 and "2 item(s) shipped, 1 already shipped" in r.output, r.output
    assert [_verdict(client, row["uri"]) for row in rows] == ["genuine"] * 3


def test_cli_refusals_say_what_to_fix(flow, cli):
    decl = _released(flow)
    cases = [
        # the service's own words (traceability.shipping.ship), as the API and the pages say them
        (("codes", "ship"), "send exactly one of"),
        (
            ("codes", "ship", "--declaration", decl["id"]),
            "a line is named by its declaration and its line_no",
        ),
        (("codes", "ship", "--gtin", "123"), "a lot is named by its gtin and its lot"),
        (("codes", "ship", "--declaration", decl["id"], "--line", 1), "issue them first"),
        (("codes", "ship", "--declaration", "31052026x", "--line", 1), "declaration"),
        (("codes", "ship", "--declaration", "999999999999999999", "--line", 1), "no declaration numbered"),
        (("codes", "ship", "--code", "nonsense"), "codes.0"),
        (("codes", "issue", "--declaration", "abc", "--quantity", 1), "neither a declaration id"),
        (("codes", "export", "--batch", 99999), "no code batch 99999"),
        (("codes", "export", "--batch", 1, "--format", "xls"), "--format"),
    ]
    for args, said in cases:
        r = cli(*args)
        assert r.exit_code == 2, (args, r.output)
        assert said in r.output, (args, r.output)
