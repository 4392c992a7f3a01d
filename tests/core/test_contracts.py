"""Event contracts: every event a domain emits or subscribes to has a declared payload model, and payloads
that break it are refused when they are emitted, not when a subscriber trips over them."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from api.wiring import EVENT_MODULES, load_handlers
from core.events import UndeclaredEvent, contracts, emit, registry


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
        emit(s, "nobody.declared_this", "thing", 1, {})


def test_a_payload_that_breaks_its_contract_is_refused(db):
    with pytest.raises(ValidationError), db.transaction() as s:
        emit(s, "code.revoked", "trace_code", 1, {"serial": "x", "line_id": "not a number"})
    with pytest.raises(ValueError, match="does not declare"), db.transaction() as s:
        emit(
            s,
            "code.revoked",
            "trace_code",
            1,
            {"serial": "x", "line_id": 1, "enterprise_id": 1, "reason": "r", "secret": "leaks"},
        )
