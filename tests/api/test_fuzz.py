"""Schemathesis over the whole OpenAPI document, against a real uvicorn server on SQLite, once per role
(no key, merchant, regulator, admin): no answer may be a server error, and every answer must be one the
document declares (status code, content type, body schema, headers, the Allow of a 405). A write that
succeeds is sent once more, so that what a repeat answers is checked too.

The run is derandomized (a fixed seed) and bounded (`EXAMPLES` generated cases per operation, plus
schemathesis's deterministic coverage cases: boundaries such as 2^63, nulls, missing and extra fields,
methods an operation does not have), so a failure here is reproducible and the run takes minutes.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    allow_header_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from api.app import create_app
from core.db import Database
from core.security import Role, create_key
from core.settings import Settings
from tests.conftest import Keys, _truncate, register, serve

EXAMPLES = 15
# CROSSTRUST_FUZZ_SURVEY=file.jsonl: write every failure there and go on (a survey), instead of failing.
SURVEY = os.environ.get("CROSSTRUST_FUZZ_SURVEY", "")
ROLES = ("anonymous", "merchant", "regulator", "admin")
WRITES = frozenset({"POST", "PUT", "PATCH"})
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    unsupported_method,
    allow_header_conformance,
]


@dataclass
class Fuzzed:
    base: str
    headers: dict[str, dict[str, str]]
    session: requests.Session
    requests: int = 0


def _seed(app, db: Database) -> dict[str, dict[str, str]]:
    """A merchant with a released, coded shipment, so that small generated ids reach real records."""
    from tests.traceability.conftest import Flow

    merchant, other, insurer = register(db), register(db, name_zh="另一家跨境公司"), register(db, "insurer")
    with db.transaction() as s:
        keys = Keys(
            admin=create_key(s, Role.admin),
            regulator=create_key(s, Role.regulator),
            merchant=create_key(s, Role.merchant, merchant.id),
            other_merchant=create_key(s, Role.merchant, other.id),
            insurer=create_key(s, Role.insurer, insurer.id),
            merchant_id=merchant.id,
            other_merchant_id=other.id,
            insurer_id=insurer.id,
        )
    Flow(TestClient(app), keys).released_codes(quantity=5)
    return {
        "anonymous": {},
        "merchant": Keys.header(keys.merchant),
        "regulator": Keys.header(keys.regulator),
        "admin": Keys.header(keys.admin),
    }


@pytest.fixture(scope="module")
def fuzzed(sqlite_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fuzzed]:
    db = Database(sqlite_url)
    _truncate(db)
    app = create_app(
        Settings(
            var_dir=tmp_path_factory.mktemp("fuzz-var"),
            database_url=sqlite_url,
            code_secret="fuzz",
            public_rate_limit_per_minute=1_000_000,
            public_rate_limit_burst=1_000_000,
            credit_nightly_at="",
            _env_file=None,
        ),
        db,
    )
    headers = _seed(app, db)
    with serve(app) as base, requests.Session() as session:
        fuzz = Fuzzed(base, headers, session)
        yield fuzz
        print(f"\nschemathesis: {fuzz.requests} requests")
    db.dispose()


@pytest.fixture(params=ROLES)
def role(request: pytest.FixtureRequest) -> str:
    return request.param


def _document() -> dict:
    """The OpenAPI document, as the app serves it (it depends on the routes only, not on data)."""
    var = Path(tempfile.mkdtemp(prefix="crosstrust-openapi-"))
    app = create_app(
        Settings(
            var_dir=var, database_url=f"sqlite:///{var / 'unused.db'}", code_secret="doc", _env_file=None
        )
    )
    return app.openapi()


# Excluded: the label sheet PDF. Each answer subsets a CJK font and takes seconds, which alone would
# triple the run; its parameters and their checks are qr.zip's (the same `_sheet` guard), which is
# fuzzed, tests/api/test_edge.py checks its offset, and tests/traceability/test_labels.py its PDF.
schema = schemathesis.openapi.from_dict(_document()).exclude(path_regex=r"/labels\.pdf$")


@schema.parametrize()
@pytest.mark.usefixtures("role")  # parametrizes the lazily built test by role
@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: report what was found, fast
    suppress_health_check=list(HealthCheck),
)
def test_api_answers_as_documented(case, role: str, fuzzed: Fuzzed) -> None:
    def call():  # noqa: ANN202
        fuzzed.requests += 1
        return case.call_and_validate(
            base_url=fuzzed.base, session=fuzzed.session, headers=fuzzed.headers[role], checks=CHECKS
        )

    try:
        if call().status_code < 300 and case.method.upper() in WRITES:
            # The same write again: what a repeat answers (an existing grant, a replayed declaration, a
            # second shipment) must be documented too, and generated input rarely reaches it otherwise.
            call()
    except FailureGroup as group:
        if not SURVEY:
            raise
        # Survey mode: note every failure and go on, to count them all instead of stopping at the first.
        with open(SURVEY, "a") as fh:
            for failure in group.exceptions:
                line = {
                    "op": case.operation.label,
                    "role": role,
                    "code": failure.code,
                    "title": failure.title,
                }
                line["message"] = failure.message[:300]
                fh.write(json.dumps(line, ensure_ascii=False) + "\n")
