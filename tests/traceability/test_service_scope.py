"""Service tests: who may act on a declaration, its codes and its lot is decided by the traceability
service itself, not by the router in front of it (the CLI, the demo and jobs call the service too)."""

from __future__ import annotations

import pytest

from api import seeding
from core.errors import Forbidden, NotFound
from core.security import SYSTEM, Principal, Role
from tests.conftest import register
from traceability import service as trace
from traceability.codes import Keyring

from .issuance import RESOLVER, released_lines

KEYRING = Keyring.from_secret(b"service-scope")


def merchant(enterprise_id: int) -> Principal:
    return Principal(key_id=None, role=Role.merchant, enterprise_id=enterprise_id, prefix="test")


@pytest.fixture
def shipment(db):
    """(owner id, declaration id, another merchant's id)."""
    owner, decl = released_lines(db, [10])
    return owner, decl, register(db).id


def test_codes_are_reserved_only_by_whoever_may_act_for_the_importer(db, shipment):
    owner, decl, other = shipment
    with db.transaction() as s, pytest.raises(Forbidden):
        trace.reserve_codes(s, decl, 1, 1, KEYRING, merchant(other))
    with db.transaction() as s:
        assert trace.reserve_codes(s, decl, 1, 1, KEYRING, merchant(owner)).quantity == 1


def test_a_declaration_of_another_enterprise_is_not_found_through_that_enterprise(db, shipment):
    owner, decl, other = shipment
    with db.transaction() as s:
        with pytest.raises(NotFound, match=f"enterprise {other} has no declaration {decl}"):
            trace.reserve_codes(s, decl, 1, 1, KEYRING, SYSTEM, enterprise_id=other)
        with pytest.raises(NotFound, match=f"enterprise {other} has no declaration {decl}"):
            trace.recall_lot(s, decl, 1, "not theirs", SYSTEM, RESOLVER, enterprise_id=other)
        with pytest.raises(NotFound):
            trace.get_declaration(s, decl, other)
        assert trace.get_declaration(s, decl, owner).id == decl
    with db.read_session() as s:
        assert trace.get_line(s, decl, 1).recalled_at is None
        assert trace.get_line(s, decl, 1).codes_reserved == 0


def test_a_batch_of_another_enterprise_is_not_found_through_that_enterprise(db, shipment):
    owner, decl, other = shipment
    batch = seeding.issue(db, decl, 1, 2, KEYRING, RESOLVER)
    with db.read_session() as s:
        assert trace.get_batch(s, batch.id, owner).issued == 2
        with pytest.raises(NotFound, match=f"enterprise {other} has no code batch {batch.id}"):
            trace.get_batch(s, batch.id, other)


def test_a_lot_is_recalled_by_its_importer_not_by_another_merchant(db, shipment):
    owner, decl, other = shipment
    with db.transaction() as s, pytest.raises(Forbidden):
        trace.recall_lot(s, decl, 1, "not theirs", merchant(other), RESOLVER)
    with db.transaction() as s:
        line = trace.recall_lot(s, decl, 1, "标签不符", merchant(owner), RESOLVER, enterprise_id=owner)
        assert line.recall_reason == "标签不符"
