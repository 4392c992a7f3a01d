"""Schemathesis over the whole OpenAPI document, against a real uvicorn server on SQLite, for every role
(no key, bank, merchant, regulator, admin): no answer may be a server error, and every answer must be one the
document declares (status code, content type, body schema, headers, the Allow of a 405). A write that
succeeds is sent once more, so that what a repeat answers is checked too.

Each operation is fuzzed fully (generated cases and coverage cases) with the roles that can reach it:
no key for a public operation, the roles its `require(...)` names for the others (every keyed role when
it only needs a key). One role it refuses gets one pass of its coverage cases
(`test_api_answers_other_roles_as_documented`, in tests/api/test_fuzz_refused.py: a file of its own, so
that the suite's two workers run the two halves side by side): the keyed role nearest to allowed (403),
or no key (401) where every key reaches it; for a public operation, one key (which it ignores, so its
answers are the anonymous ones). A route checks access before it validates its parameters, so the other
refused roles' answers do not depend on the input: tests/api/test_refusal_equivalence.py proves it for
every operation and refused role with a valid request and malformed ones, and fails if a route starts
validating first. An operation whose roles cannot be read is fuzzed fully with every
role, and `test_every_fuzzed_operation_names_the_roles_that_reach_it` fails to say so.

The run is derandomized (a fixed seed) and bounded (`EXAMPLES` generated cases per operation, plus
schemathesis's deterministic coverage cases: boundaries such as 2^63, nulls, missing and extra fields,
methods an operation does not have), so a failure here is reproducible and the run takes minutes.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
import requests
import schemathesis
from fastapi.routing import APIRoute, iter_route_contexts
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.generation.hypothesis.builder import ApiOperationMark
from schemathesis.specs.openapi.checks import (
    allow_header_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from api.app import create_app
from core.clock import utcnow
from core.db import Database
from core.security import Role, create_key
from core.settings import Settings
from tests.conftest import Keys, _truncate, bank_key, register, serve
from tests.testclient import TestClient

EXAMPLES = 15
# CROSSTRUST_FUZZ_SURVEY=file.jsonl: write every failure there and go on (a survey), instead of failing.
SURVEY = os.environ.get("CROSSTRUST_FUZZ_SURVEY", "")
# Keyed roles from the least reaching to the most: `_once` takes the last refused one as nearest to allowed.
ROLES = ("anonymous", "bank", "merchant", "regulator", "admin")
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
    # A bank the merchant authorised (授权即达): its key reaches a report to read, under small ids.
    bank_id, bank = bank_key(db)
    ends = (utcnow() + timedelta(days=30)).date().isoformat()
    TestClient(app).post(
        f"/api/v1/enterprises/{merchant.id}/credit/authorisations",
        json={"institution_id": bank_id, "ends_on": ends},
        headers=Keys.header(keys.merchant),
    ).raise_for_status()
    return {
        "anonymous": {},
        "bank": Keys.header(bank),
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
        # The server is on loopback: no proxy or .netrc from the environment applies. Without this, every
        # request read the proxy variables and looked for ~/.netrc (4 % of the fuzz's CPU, py-spy).
        session.trust_env = False
        fuzz = Fuzzed(base, headers, session)
        yield fuzz
        print(f"\nschemathesis: {fuzz.requests} requests")
    db.dispose()


def _app():
    """The app as it serves its routes (its OpenAPI document depends on the routes only, not on data)."""
    var = Path(tempfile.mkdtemp(prefix="crosstrust-openapi-"))
    # Its var/ (keys made at start, an empty index) goes when the process ends: outside `make test`,
    # whose temporary folder is removed whole, TMPDIR would keep one a collection.
    atexit.register(shutil.rmtree, var, True)
    return create_app(
        Settings(
            var_dir=var, database_url=f"sqlite:///{var / 'unused.db'}", code_secret="doc", _env_file=None
        )
    )


def _dependencies(dependant, out: set[str]) -> set[str]:
    for dependency in dependant.dependencies:
        out.add(getattr(dependency.call, "__name__", ""))
        _dependencies(dependency, out)
    return out


def _reaching(app) -> dict[str, tuple[str, ...]]:
    """Operation label ("GET /path") to the roles that get past its key and role checks: no key for an
    operation without `current_principal`, the keyed roles of its `require(...)` (api.deps names the
    dependency `require_<role>_<role>…`), every keyed role when it needs only a key."""
    keyed = tuple(r for r in ROLES if r != "anonymous")
    reach: dict[str, tuple[str, ...]] = {}
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute):
            continue
        names = _dependencies(route.dependant, set())
        required = [n.removeprefix("require_").split("_") for n in names if n.startswith("require_")]
        if "current_principal" not in names:
            roles: tuple[str, ...] = ("anonymous",)
        elif not required:
            roles = keyed
        else:
            roles = tuple(r for r in keyed if all(r in allowed for allowed in required))
        for method in context.methods:
            reach[f"{method} {context.path_format}"] = roles
    return reach


_served = _app()
REACHING = _reaching(_served)
# Excluded: the label sheet PDF. Each answer subsets a CJK font and takes seconds, which alone would
# triple the run; its parameters and their checks are qr.zip's (traceability.exports' range rule), which is
# fuzzed, tests/api/test_edge.py checks its offset, and tests/traceability/test_labels.py its PDF.
schema = schemathesis.openapi.from_dict(_served.openapi()).exclude(path_regex=r"/labels\.pdf$")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Full fuzzing for the roles that reach an operation (its coverage cases once for the others:
    tests/api/test_fuzz_refused.py)."""
    operation = ApiOperationMark.get(metafunc.function)
    if operation is None or "role" not in metafunc.fixturenames:
        return
    reaching = REACHING.get(operation.label) or ROLES  # unknown: every role fully
    metafunc.parametrize("role", [r for r in ROLES if r in reaching])


def _once(reaching: tuple[str, ...]) -> list[str]:
    """The one role whose pass over the operation's coverage cases stands for every role it refuses: the
    refused role nearest to allowed, the last keyed one in `ROLES` (it passes the key check and is stopped
    by the route's own `require`, the deepest refusal); no key when every key reaches the operation; for a
    public operation, one key, which it ignores. The refusal answers none of its parameters, so the other
    refused roles' passes are the same: tests/api/test_refusal_equivalence.py checks that for every
    operation and every refused role with a valid request and malformed ones."""
    others = [r for r in ROLES if r not in reaching]
    keyed = [r for r in others if r != "anonymous"]
    return keyed[-1:] or others[:1]


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: report what was found, fast
    suppress_health_check=list(HealthCheck),
)
def test_api_answers_as_documented(case, role: str, fuzzed: Fuzzed) -> None:
    """The roles that reach the operation (parametrized by pytest_generate_tests)."""
    _call_and_validate(case, role, fuzzed)


def _call_and_validate(case, role: str, fuzzed: Fuzzed) -> None:
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


def test_every_fuzzed_operation_names_the_roles_that_reach_it() -> None:
    """The split above is read from the routes' dependencies: every fuzzed operation has its roles, and
    they are the ones its dependencies let through (spot checks of each kind)."""
    labels = [result.ok().label for result in schema.get_all_operations()]
    assert labels and all(REACHING.get(label) for label in labels), [x for x in labels if x not in REACHING]
    assert REACHING["GET /api/v1/me"] == ("bank", "merchant", "regulator", "admin")
    assert REACHING["GET /api/v1/credit/shared/{merchant_id}"] == ("bank", "admin")
    assert REACHING["GET /api/v1/admin/api-keys"] == ("admin",)
    assert REACHING["GET /api/v1/public/insurance/cover/{serial}"] == ("anonymous",)
    assert REACHING["GET /api/v1/insurance/products"] == ("merchant", "regulator", "admin")
    assert REACHING["POST /api/v1/insurance/policies/{policy_id}/bind"] == ("merchant", "admin")
    # One refused role an operation, never one that reaches it; no key where every key reaches it.
    once = {label: _once(REACHING[label]) for label in labels}
    assert all(len(roles) == 1 and roles[0] not in REACHING[x] for x, roles in once.items())
    assert once["GET /api/v1/me"] == ["anonymous"]
    assert once["GET /api/v1/admin/api-keys"] == ["regulator"]
    assert once["POST /api/v1/insurance/policies/{policy_id}/bind"] == ["regulator"]
    assert once["GET /api/v1/epcis/events"] == ["bank"]
    assert once["GET /api/v1/public/insurance/cover/{serial}"] == ["admin"]
