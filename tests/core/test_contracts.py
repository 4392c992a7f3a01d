"""Event contracts: every event a domain emits or subscribes to has a declared payload model, and payloads
that break it are refused when they are emitted, not when a subscriber trips over them."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from api.wiring import EVENT_MODULES, load_handlers
from core.events import UndeclaredEvent, contracts, emit, registry
from traceability.events import CodeRevoked, LotRecalled


def test_every_subscription_has_a_declared_contract():
    load_handlers()
    subscribed = {sub.event_type for subs in registry._by_type.values() for sub in subs}
    assert subscribed, "no subscriptions loaded"
    missing = sorted(t for t in subscribed if t not in contracts and not t.startswith("test."))
    assert missing == [], f"events subscribed to without a contract in any events.py: {missing}"


def test_contracts_live_in_the_emitting_domains_events_module():
    load_handlers()
    for event_type, model in contracts.items():
        if event_type.startswith("test."):
            continue
        assert model.__module__ in EVENT_MODULES, f"{event_type} is declared in {model.__module__}"


def test_emitting_an_undeclared_event_is_refused(db):
    with pytest.raises(UndeclaredEvent), db.transaction() as s:
        emit(
            s,
            "nobody.declared_this",
            "thing",
            1,
            CodeRevoked(serial="x", line_id=1, enterprise_id=1, reason="r"),
        )


def test_emit_takes_the_contract_model_and_nothing_else(db):
    """The model is the contract: a dict (whatever it holds), another event's model, or a model that
    does not validate never reaches the outbox."""
    with pytest.raises(ValidationError):
        CodeRevoked(serial="x", line_id="not a number", enterprise_id=1, reason="r")
    with pytest.raises(TypeError, match="carries its contract CodeRevoked"), db.transaction() as s:
        emit(
            s,
            "code.revoked",
            "trace_code",
            1,
            {"serial": "x", "line_id": 1, "enterprise_id": 1, "reason": "r"},
        )
    with pytest.raises(TypeError, match="not LotRecalled"), db.transaction() as s:
        emit(s, "code.revoked", "trace_code", 1, LotRecalled.model_construct(line_id=1))
    with db.transaction() as s:
        ev = emit(
            s,
            "code.revoked",
            "trace_code",
            1,
            CodeRevoked(serial="x", line_id=1, enterprise_id=1, reason="r"),
        )
    assert ev.payload == {"serial": "x", "line_id": 1, "enterprise_id": 1, "reason": "r"}


@pytest.mark.parametrize(
    ("model", "field", "bad"),
    [
        ("complaints.events.ComplaintClosed", "outcome", "rejected"),
        ("complaints.events.ComplaintClosed", "severity", "grave"),
        ("complaints.events.ComplaintOverdue", "stage", "regulator"),
        ("credit.events.CreditRecordChanged", "status", "deleted"),
        ("enterprises.events.EnterpriseRegistered", "kind", "court"),  # not a kind (a bank is one now)
        ("insurance.events.ClaimPaid", "source", "insurer"),
        ("traceability.events.LotRecalled", "recalled_by", "consumer"),
        ("traceability.events.DeclarationLinePayload", "inspection_result", "failed"),
    ],
)
def test_enumerations_in_the_contracts_are_typed(model, field, bad):
    """A value outside an enumeration is refused where the event is built, so handlers need not re-check
    it (complaints' severity is credit's enumeration, as a Literal: complaints may not import credit)."""
    import importlib

    module, name = model.rsplit(".", 1)
    cls = getattr(importlib.import_module(module), name)
    with pytest.raises(ValidationError) as raised:
        cls.model_validate({field: bad})
    assert any(e["loc"] == (field,) and e["type"] in ("enum", "literal_error") for e in raised.value.errors())
