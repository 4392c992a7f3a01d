"""Helpers that walk a shipment through the API: product, declaration, inspection, release, codes.

The bodies come from `api.seeding`, the one seed flow (the demo and the benchmarks walk it through the
services)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import quote

import pytest

from api import seeding
from core.clock import utcnow
from tests.conftest import Keys
from traceability.codes import gtin_with_check

_numbers = itertools.count(1)


def new_gtin() -> str:
    return gtin_with_check(f"690{next(_numbers):09d}")  # a GTIN-13 under a Chinese (690) prefix


def declaration_no() -> str:
    return f"3105{2026}1{next(_numbers):09d}"


@dataclass
class Shipment:
    enterprise_id: int
    product_id: int
    gtin: str
    declaration_id: int
    lots: list[str]
    keys: Keys

    def base(self) -> str:
        return f"/api/v1/enterprises/{self.enterprise_id}"


class Flow:
    def __init__(self, client, keys: Keys) -> None:
        self.client = client
        self.keys = keys
        self.m = Keys.header(keys.merchant)
        self.r = Keys.header(keys.regulator)

    def product(self, **over) -> dict:
        body = seeding.product_body(
            new_gtin(),
            name_zh="爱他美婴幼儿配方奶粉3段 800克",
            name_en="Aptamil Infant Formula Stage 3 800 g",
            brand="Aptamil 爱他美",
            manufacturer="Nutricia",
            shelf_life_days=730,
        )
        body.update(over)
        r = self.client.post(
            f"/api/v1/enterprises/{self.keys.merchant_id}/products", json=body, headers=self.m
        )
        assert r.status_code == 201, r.text
        return r.json()

    def declare(self, product_id: int, lots=("LOT2611A",), quantity=100, **over) -> dict:
        lines = [
            seeding.line_body(
                product_id,
                lot,
                quantity,
                production_date="2026-09-01",
                expiry_date="2028-08-31",
                unit_value={"amount_minor": 19900, "currency": "CNY"},
            )
            for lot in lots
        ]
        body = seeding.declaration_body(
            declaration_no(), lines, transport_doc_no="MSKU1234567", bonded_warehouse="宁波保税区三号保税仓"
        )
        body.update(over)
        r = self.client.post(
            f"/api/v1/enterprises/{self.keys.merchant_id}/declarations", json=body, headers=self.m
        )
        assert r.status_code == 201, r.text
        return r.json()

    def inspect(self, declaration: dict, results=None) -> dict:
        results = results or ["pass"] * len(declaration["lines"])
        body = seeding.inspection_body(
            [
                {
                    "result": res,
                    "tests_performed": ["阪崎肠杆菌", "三聚氰胺"],
                    "lab_report_ref": f"NBCIQ-{i + 1}",
                }
                for i, res in enumerate(results)
            ]
        )
        r = self.client.post(
            f"/api/v1/declarations/{declaration['id']}/inspection", json=body, headers=self.r
        )
        assert r.status_code == 200, r.text
        return r.json()

    def release(self, declaration: dict) -> dict:
        r = self.client.post(f"/api/v1/declarations/{declaration['id']}/release", json={}, headers=self.r)
        assert r.status_code == 200, r.text
        return r.json()

    def issue(self, declaration: dict, line_no: int = 1, quantity: int = 10, signed: bool = False) -> dict:
        url = f"/api/v1/enterprises/{self.keys.merchant_id}/declarations/{declaration['id']}/lines/{line_no}/codes"
        body = {"quantity": quantity} | ({"signed": True} if signed else {})
        r = self.client.post(url, json=body, headers=self.m)
        assert r.status_code == 202, r.text
        self.client.app.state.jobs.wait(60)
        batch = self.client.get(r.headers["Location"], headers=self.m).json()
        assert batch["status"] == "done", batch
        return batch

    def codes(self, batch: dict) -> list[dict]:
        import csv
        import io

        r = self.client.get(
            f"/api/v1/enterprises/{self.keys.merchant_id}/code-batches/{batch['id']}/codes.csv",
            headers=self.m,
        )
        assert r.status_code == 200, r.text
        return list(csv.DictReader(io.StringIO(r.text)))

    def released_codes(self, quantity: int = 10, **product_over) -> tuple[dict, dict, list[dict]]:
        product = self.product(**product_over)
        decl = self.declare(product["id"])
        self.inspect(decl)
        decl = self.release(decl)
        batch = self.issue(decl, quantity=quantity)
        return product, decl, self.codes(batch)

    def ship(self, gtin: str, lot: str) -> None:
        """Record the lot leaving the bonded warehouse (a lot-level shipping event)."""
        event = {
            "type": "ObjectEvent",
            "eventTime": (utcnow() + timedelta(minutes=1)).isoformat(),
            "eventTimeZoneOffset": "+08:00",
            "action": "OBSERVE",
            "bizStep": "shipping",
            "disposition": "in_transit",
            "epcList": [],
            # The lot percent-encoded, as in any Digital Link (a lot may hold '/' or '%').
            "quantityList": [
                {"epcClass": f"https://id.gs1.org/01/{gtin}/10/{quote(lot, safe='')}", "quantity": 10}
            ],
        }
        r = self.client.post("/api/v1/epcis/capture", json=event, headers=self.m)
        assert r.status_code == 202 and r.json()["success"], r.text


@pytest.fixture
def flow(client, keys) -> Flow:
    return Flow(client, keys)


@pytest.fixture
def shipped(flow):
    """A released declaration with five codes issued, its lot shipped: (product, declaration, codes)."""
    product, decl, codes = flow.released_codes(quantity=5)
    flow.ship(codes[0]["gtin"], codes[0]["lot"])
    return product, decl, codes


@pytest.fixture
def cli(db, settings, monkeypatch):
    """The `crosstrust` CLI's entry point on the test's database and var/ (the app's code secret)."""
    from typer.testing import CliRunner

    from api.cli import app as cli_app
    from core.settings import get_settings

    monkeypatch.setenv("CROSSTRUST_DATABASE_URL", db.url)
    monkeypatch.setenv("CROSSTRUST_VAR_DIR", str(settings.var_dir))
    monkeypatch.setenv("CROSSTRUST_CODE_SECRET", settings.code_secret)
    get_settings.cache_clear()
    runner = CliRunner()
    yield lambda *args: runner.invoke(cli_app, [str(a) for a in args], terminal_width=400)
    get_settings.cache_clear()


def signed_in(app, key: str):  # noqa: ANN001, ANN201 - the app, a TestClient
    """A browser's session on the pages, signed in with `key` (redirects not followed)."""
    from tests.testclient import TestClient

    page = TestClient(app, follow_redirects=False)
    page.get("/signin")
    r = page.post("/signin", data={"key": key, "csrftoken": page.cookies["csrftoken"]})
    assert r.status_code == 303, r.text
    return page
