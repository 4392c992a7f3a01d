"""Every subscription against its emitter's contract: each handler declares the contract it reads
(`Event[TheContract]`), and is fed an event built through that contract, stored and parsed as the
Dispatcher does, so a field renamed in an events.py fails here, not at delivery in production."""

from __future__ import annotations

import inspect
import types
import typing
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from api import wiring
from complaints import events as complaint_events
from complaints.service import Kit
from core.errors import DomainError
from core.events import Event, EventPayload, UndeclaredEvent, contracts, payload_of, registry
from credit import events as credit_events
from credit.trust_events import MeasureNoticeSent, PledgeChanged, ToleranceChanged
from disclosure import events as disclosure_events
from disclosure.search.factory import from_settings
from enterprises import events as enterprise_events
from insurance import events as insurance_events
from intake.events import (
    AcceptedRecord,
    IntakeCatchUpDue,
    IntakeDispatchDue,
    IntakeRecordsAccepted,
    IntakeRecordsLinked,
    IntakeRecordSuperseded,
    LinkedRecord,
)
from traceability import events as trace_events

wiring.load_handlers()
SUBSCRIPTIONS = sorted(
    (sub.name, sub.event_type) for sub in (registry.get(n) for n in registry.names()) if sub is not None
)
SUBSCRIPTIONS = [(n, t) for n, t in SUBSCRIPTIONS if not t.startswith("test.")]
AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def _examples(ent: int, other: int) -> dict[type[EventPayload], EventPayload]:
    """One event of each subscribed contract, built through the contract as its emitter builds it."""
    product = trace_events.LineProduct(
        name_zh="婴儿配方奶粉", hs_code="1901101000", origin_country="NZ", category="infant_formula"
    )
    line = trace_events.DeclarationLinePayload(
        id=1,
        declaration_id=1,
        line_no=1,
        product_id=1,
        gtin="09421902960055",
        lot="L1",
        quantity=10,
        unit_value_minor=25_000,
        currency="CNY",
        inspection_result="fail",
        tests_performed=["阪崎肠杆菌"],
        product=product,
    )
    complaint = {"complaint_id": 999_001, "enterprise_id": ent}
    return {
        enterprise_events.EnterpriseRegistered: enterprise_events.EnterpriseRegistered(
            enterprise_id=ent,
            uscc="91310000MA1FL0001X",
            name_zh="测试",
            kind="merchant",
            country="CN",
            status="active",
            version=1,
        ),
        enterprise_events.EnterpriseChanged: enterprise_events.EnterpriseChanged(
            enterprise_id=ent,
            uscc="91310000MA1FL0001X",
            name_zh="测试",
            kind="merchant",
            country="CN",
            status="suspended",
            version=2,
            changed=["status"],
            reason="test",
        ),
        trace_events.DeclarationChanged: trace_events.DeclarationChanged(
            id=999_001,
            enterprise_id=ent,
            declaration_no="D1",
            transport_doc_type="awb",
            transport_doc_no="T1",
            arrival_port="CNSHA",
            bonded_warehouse="W1",
            declared_on=date(2026, 3, 1),
            status="rejected",
            decision_reason="test",
            created_at=AT,
            inspected_at=AT,
            lines=[line],
        ),
        trace_events.LotRecalled: trace_events.LotRecalled(
            declaration_id=999_001,
            declaration_no="D1",
            enterprise_id=ent,
            line_id=999_001,
            gtin="09421902960055",
            lot="L1",
            product_name_zh="奶粉",
            product_category="infant_formula",
            reason="test",
            recalled_by="regulator",
        ),
        trace_events.EpcisEventsCaptured: trace_events.EpcisEventsCaptured(event_ids=[999_001]),
        trace_events.CodesIssued: trace_events.CodesIssued(
            batch_id=999_001,
            line_id=999_001,
            declaration_id=999_001,
            enterprise_id=ent,
            gtin="09421902960055",
            lot="L1",
            quantity=10,
        ),
        trace_events.CodeRevoked: trace_events.CodeRevoked(
            serial="S1", line_id=999_001, enterprise_id=ent, reason="damaged"
        ),
        trace_events.KeyCertified: trace_events.KeyCertified(
            key_id=999_001,
            kind="importer",
            enterprise_id=ent,
            issuer_id=1,
            fingerprint="00" * 32,
            certificate="-----BEGIN CERTIFICATE-----\nMA==\n-----END CERTIFICATE-----\n",
            created_at=AT,
        ),
        trace_events.EpcisSubscriptionStarted: trace_events.EpcisSubscriptionStarted(
            subscription_id="00000000-0000-0000-0000-000000000000"
        ),
        credit_events.CreditRecordChanged: credit_events.CreditRecordChanged(
            id=999_001,
            enterprise_id=ent,
            kind="recall",
            severity="general",
            occurred_at=AT,
            title_zh="t",
            title_en="t",
            source_type="lot.recalled",
            status="active",
            publish_until=AT,
            version=1,
        ),
        credit_events.GradeChanged: credit_events.GradeChanged(
            enterprise_id=ent, grade="B", score=700.0, computed_at=AT, methodology_version="1", reasons=[]
        ),
        MeasureNoticeSent: MeasureNoticeSent(
            notice_id=999_001,
            department="taxation",
            measure="black_tax_credit",
            action="apply",
            enterprise_id=ent,
            body={"measure": "black_tax_credit", "enterprise_id": ent},
            body_sha256="0" * 64,
            signature="AA==",
            key_id="0" * 16,
        ),
        PledgeChanged: PledgeChanged(
            id=999_001,
            enterprise_id=ent,
            procedure="warehouse_filing",
            obligations_zh="如实申报",
            statement_sha256="0" * 64,
            seal="AA==",
            seal_key_id="0" * 16,
            signed_at=AT,
            ends_at=AT + timedelta(days=365),
            status="active",
        ),
        ToleranceChanged: ToleranceChanged(
            id=999_001,
            record_id=999_001,
            enterprise_id=ent,
            rule="first_minor_declaration",
            status="open",
            correct_by=AT + timedelta(days=30),
            grade_counted="B",
            grade_tolerated="A",
        ),
        insurance_events.PolicyChanged: insurance_events.PolicyChanged(
            policy_id=999_001,
            policy_no="P1",
            enterprise_id=ent,
            insurer_id=other,
            status="active",
            grade="A",
            starts_at=AT,
            ends_at=AT + timedelta(days=3650),
            currency="CNY",
            cover_per_unit_minor=100_000,
            aggregate_limit_minor=10_000_000,
            premium_minor=1_000,
            product_name_zh="品质险",
        ),
        IntakeRecordsAccepted: IntakeRecordsAccepted(
            source_code="court-nb",
            source_name_zh="宁波市中级人民法院",
            delivery_id=1,
            kind="court_dishonest",
            records=[
                AcceptedRecord(
                    record_id=999_001,
                    row_no=1,
                    enterprise_id=ent,
                    credit_kind="dishonest_judgment_debtor",
                    severity="serious",
                    occurred_at=AT,
                    title_zh="失信被执行人",
                )
            ],
        ),
        IntakeRecordsLinked: IntakeRecordsLinked(
            delivery_id=1,
            kind="court_dishonest",
            records=[LinkedRecord(record_id=999_001, enterprise_id=ent)],
        ),
        IntakeDispatchDue: IntakeDispatchDue(dispatch_id=999_001, subscription_id=999_001, record_id=999_001),
        IntakeCatchUpDue: IntakeCatchUpDue(subscription_id=999_001, after_record_id=0),
        IntakeRecordSuperseded: IntakeRecordSuperseded(
            record_id=999_001,
            credit_kinds=["administrative_penalty"],
            by_record_id=999_002,
            conflict_id=1,
            settled_by="regulator:1",
            reason="处罚决定书原件为准",
        ),
        insurance_events.ClaimPaid: insurance_events.ClaimPaid(
            claim_id=999_001,
            enterprise_id=ent,
            amount_minor=150_000,
            currency="CNY",
            paid_at=AT,
            source="complaint",
        ),
        complaint_events.ComplaintReceived: complaint_events.ComplaintReceived(
            **complaint,
            ticket_no="C1",
            category="quality",
            wanted="refund",
            narrative="n",
            region="310000",
            received_at=AT,
            due_at=AT,
        ),
        complaint_events.ComplaintAnswered: complaint_events.ComplaintAnswered(
            **complaint, outcome="refund", on_time=True, answered_at=AT
        ),
        complaint_events.ComplaintOverdue: complaint_events.ComplaintOverdue(**complaint, due_at=AT),
        complaint_events.ComplaintClosed: complaint_events.ComplaintClosed(
            **complaint, outcome="upheld", severity="serious", closed_at=AT, summary="s"
        ),
        complaint_events.ComplaintEscalated: complaint_events.ComplaintEscalated(
            **complaint, reason="disputed", region="310000", due_at=AT
        ),
        complaint_events.ComplaintDeadlineNear: complaint_events.ComplaintDeadlineNear(
            **complaint, stage="merchant", due_at=AT
        ),
        complaint_events.ComplaintCompensationDue: complaint_events.ComplaintCompensationDue(
            **complaint, serial="S1", code_uri="https://id.example/01/1/21/S1", reason="defect"
        ),
        complaint_events.ComplaintPublished: complaint_events.ComplaintPublished(**complaint),
        complaint_events.ComplaintUnpublished: complaint_events.ComplaintUnpublished(**complaint),
        complaint_events.ComplaintChanged: complaint_events.ComplaintChanged(
            **complaint, status="answered", step="reply"
        ),
        disclosure_events.DisclosureChanged: disclosure_events.DisclosureChanged(id=999_001, version=1),
    }


def _read_contracts(handler: Any) -> set[type]:
    """The contracts a handler says it reads: the X of its `event: Event[X]` (X may be a union)."""
    fn = handler.__call__ if not inspect.isfunction(handler) else handler
    hints = typing.get_type_hints(fn)
    event = hints.get("event")
    if typing.get_origin(event) is not Event:
        return set()
    (arg,) = typing.get_args(event)
    if typing.get_origin(arg) in (typing.Union, types.UnionType):
        return set(typing.get_args(arg))
    return {arg} if isinstance(arg, type) and issubclass(arg, EventPayload) else set()


@pytest.fixture
def bound(settings):
    return wiring.bound_handlers(from_settings(settings), Kit.from_settings(settings))


def test_the_registry_has_the_subscriptions_to_check():
    assert len(SUBSCRIPTIONS) >= 30


@pytest.mark.parametrize(("name", "event_type"), SUBSCRIPTIONS, ids=[n for n, _ in SUBSCRIPTIONS])
def test_each_handler_reads_its_emitters_contract(name, event_type, bound):
    """The handler is annotated with the contract its event is emitted under, so its reads of
    `event.data` are checked against that model (a type checker, and the run below)."""
    handler = bound.get(name) or registry.get(name).handler
    assert contracts[event_type] in _read_contracts(handler), (
        f"{name} should take Event[{contracts[event_type].__name__}] (it receives {event_type})"
    )


@pytest.mark.parametrize(("name", "event_type"), SUBSCRIPTIONS, ids=[n for n, _ in SUBSCRIPTIONS])
def test_each_handler_takes_the_event_its_emitter_builds(name, event_type, db, keys, bound):
    """Fed its emitter's own event (the contract's model, stored as JSON and parsed back as the
    Dispatcher does), a handler may find no row to act on, but never trips over the event's shape."""
    example = _examples(keys.merchant_id, keys.insurer_id)[contracts[event_type]]
    handler = bound.get(name) or registry.get(name).handler
    event = Event(1, event_type, "test", "1", "test", payload_of(event_type, example), AT)
    assert event.data == example
    with db.session() as s, s.begin():
        try:
            handler(s, event)
        except (AttributeError, KeyError, TypeError, ValidationError, UndeclaredEvent):
            raise
        except Exception as exc:  # noqa: BLE001 - a refusal for want of data, not of shape
            assert isinstance(exc, LookupError | ValueError | DomainError), f"{name}: {exc!r}"
        s.rollback()
