"""The zone's live figures (/figures, .json, .csv): every figure counted a second way, straight from the
tables, agrees with what the portal publishes; a new declaration shows at once (no nightly job)."""

from __future__ import annotations

import csv
import io
from dataclasses import replace

from sqlalchemy import func
from sqlmodel import select

from complaints.models import Complaint
from insurance.models import InsuranceClaim
from tests.complaints.conftest import Cases
from tests.conftest import Keys
from tests.insurance.conftest import insure, product
from tests.insurance.test_advance_compensation import compensation_due
from tests.traceability.conftest import Flow
from traceability.models import CodeBatch, Declaration, DeclarationLine, ScanRecord


def _counted_in_the_tables(db) -> dict[str, int]:
    """The same figures, counted without the portal's code (everything in these tests happens today)."""
    with db.read_session() as s:
        lines = s.exec(select(DeclarationLine.quantity, DeclarationLine.unit_value_minor)).all()
        verdicts = dict(s.exec(select(ScanRecord.verdict, func.count()).group_by(ScanRecord.verdict)).all())
        complaints = s.exec(select(Complaint)).all()
        claims = s.exec(select(InsuranceClaim).where(InsuranceClaim.status == "paid")).all()
        released = s.exec(select(Declaration).where(Declaration.status == "released")).all()
        units = {
            d.id: sum(
                s.exec(select(DeclarationLine.quantity).where(DeclarationLine.declaration_id == d.id)).all()
            )
            for d in released
        }
        return {
            "declarations": s.exec(select(func.count()).select_from(Declaration)).one(),
            "declared_value_minor": sum(q * v for q, v in lines),
            "codes_issued": s.exec(select(func.sum(CodeBatch.issued))).one() or 0,
            "scans": sum(verdicts.values()),
            "scans_genuine": verdicts.get("genuine", 0),
            "scans_counterfeit": verdicts.get("counterfeit", 0),
            "complaints_received": len(complaints),
            "complaints_answered_on_time": sum(1 for c in complaints if c.answered_on_time),
            "complaints_closed": sum(1 for c in complaints if c.status == "closed"),
            "compensation_paid_minor": sum(c.paid_minor for c in claims),
            "units_released": sum(units.values()),
        }


def _published(client, **params) -> dict:
    r = client.get("/figures.json", params=params)
    assert r.status_code == 200, r.text
    return r.json()


def test_the_zone_figures_agree_with_the_tables_and_a_new_declaration_shows_at_once(
    client, db, keys: Keys, dispatcher
):
    flow = Flow(client, keys)
    insurer_product = product(client, keys)
    _, before_cover, codes = flow.released_codes(quantity=4)  # released today, before the policy
    dispatcher.drain()
    insure(client, keys, insurer_product["id"])
    dispatcher.drain()
    _, under_cover, _ = flow.released_codes(quantity=2)  # 100 more, released under the policy
    other = Flow(client, replace(keys, merchant=keys.other_merchant, merchant_id=keys.other_merchant_id))
    other.released_codes(quantity=1)  # 100 units of a merchant with no policy
    # scans: two genuine-looking reads of an issued code and one of a forged serial
    forged = codes[0]["uri"].replace(codes[0]["serial"], codes[0]["serial"][:-4] + "ZZZZ")
    for uri in (codes[0]["uri"], codes[1]["uri"], forged):
        assert client.get(uri, headers={"Accept": "application/json"}).status_code in (200, 404)
    client.app.state.resolver.writer.flush()
    # a complaint, answered; and an advance compensation paid by the insurer
    cases = Cases(client, keys)
    filed = cases.file()
    cases.answer(filed)
    compensation_due(db, filed.id, keys.merchant_id, codes[2]["serial"])
    dispatcher.drain()

    expected = _counted_in_the_tables(db)
    assert (
        expected["declarations"] >= 3 and expected["scans"] == 3 and expected["compensation_paid_minor"] > 0
    )
    for interval in ("day", "month"):
        totals = _published(client, interval=interval)["totals"]
        for name, value in expected.items():
            assert totals[name] == value, (interval, name, totals[name], value)
    totals = _published(client)["totals"]
    # insured: what the merchant released once its policy was bound (the lot under cover, and the lot the
    # complaint's code came from); not insured: its lot released before, and the other merchant's lot
    assert totals["units_released"] == 400 and totals["units_insured"] == 200
    assert sum(line["quantity"] for line in under_cover["lines"]) == 100
    assert sum(line["quantity"] for line in before_cover["lines"]) == 100
    assert totals["insured_share"] == round(totals["units_insured"] / totals["units_released"], 4)
    assert totals["complaints_received"] == 1 and totals["complaints_answered_on_time"] == 1

    # a new declaration shows in the next request: the JSON, the CSV and the page
    page_before = client.get("/figures").text
    new = flow.declare(flow.product()["id"], quantity=7)
    after = _published(client)
    assert after["totals"]["declarations"] == expected["declarations"] + 1
    assert after["totals"]["declared_value_minor"] == expected["declared_value_minor"] + 7 * 19900
    today = after["series"][-1]
    assert today["declarations"] == after["totals"]["declarations"]
    rows = list(csv.DictReader(io.StringIO(client.get("/figures.csv").text.lstrip("\ufeff"))))
    assert int(rows[-1]["declarations"]) == expected["declarations"] + 1
    page = client.get("/figures")
    assert page.status_code == 200
    assert f'data-total="declarations">{expected["declarations"] + 1}<' in page.text
    assert f'data-total="declarations">{expected["declarations"]}<' in page_before
    assert new["declaration_no"]


def test_the_figures_window_is_checked_and_named(client):
    for params, field in (
        ({"interval": "week"}, "interval"),
        ({"periods": "0"}, "periods"),
        ({"periods": "x"}, "periods"),
    ):
        r = client.get("/figures.json", params=params)
        assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
        assert field in r.text
        page = client.get("/figures", params=params)
        assert page.status_code == 422 and "text/html" in page.headers["content-type"] and field in page.text
    month = _published(client, interval="month", periods="3")
    assert [len(p) for p in (r["period"] for r in month["series"])] == [7, 7, 7]
    assert len(_published(client)["series"]) == 30
    assert client.get("/figures.json", params={"periods": "61"}).status_code == 422
