"""The fuzz's second half (tests/api/test_fuzz.py says what the fuzz checks and how the roles are
split): one role an operation refuses, once over its coverage cases (tests/api/
test_refusal_equivalence.py shows the other refused roles are answered the same). A file of its own so that
the suite's two pytest-xdist workers, which run each file whole, run it beside the first half; it has
its own server over the same seeded data (the module-scoped `fuzzed`)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, Phase, settings
from schemathesis.generation.hypothesis.builder import ApiOperationMark

from tests.api.test_fuzz import REACHING, ROLES, Fuzzed, _call_and_validate, _once, fuzzed, schema

__all__ = ["fuzzed"]  # the module-scoped fixture, made again for this module


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """The coverage cases once, for the refused role nearest to allowed (`_once`)."""
    operation = ApiOperationMark.get(metafunc.function)
    if operation is None or "role" not in metafunc.fixturenames:
        return
    metafunc.parametrize("role", _once(REACHING.get(operation.label) or ROLES))


@schema.parametrize()
@settings(
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.explicit],  # the coverage cases only: a refused role's answer does not depend on more
    suppress_health_check=list(HealthCheck),
)
def test_api_answers_other_roles_as_documented(case, role: str, fuzzed: Fuzzed) -> None:
    """One role the operation refuses, once over its coverage cases."""
    _call_and_validate(case, role, fuzzed)
