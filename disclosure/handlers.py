"""How events of the other domains become disclosures: each subscription hands the event to the builders
its table names (one table per source domain, beside its builders: `records_enterprises.py`,
`records_traceability.py`, `records_credit.py`, `records_trust.py`, `records_insurance.py`,
`records_complaints.py`), and
`records.publish` writes what they return with one upsert, by record key, so an event delivered twice
changes nothing the second time. A new kind of event is a row in a table, and a subscription here.
"""

from __future__ import annotations

from sqlmodel import Session

from complaints.events import ComplaintAnswered, ComplaintClosed, ComplaintOverdue, ComplaintReceived
from core.events import Event, Handler, registry, subscribe
from credit.events import CreditRecordChanged, GradeChanged
from credit.trust_events import PledgeChanged, ToleranceChanged
from disclosure import service
from disclosure.events import DisclosureChanged
from disclosure.records import publish
from disclosure.records_complaints import COMPLAINT_CASE, COMPLAINT_FIGURES, CaseEvent
from disclosure.records_credit import CREDIT_RECORD, GRADE
from disclosure.records_enterprises import ENTITY
from disclosure.records_insurance import INSURANCE_CLAIM, INSURANCE_COVER
from disclosure.records_traceability import DECLARATION, RECALL
from disclosure.records_trust import PLEDGE, TOLERANCE
from disclosure.search.base import SearchBackend
from enterprises.events import EnterpriseChanged, EnterpriseRegistered
from insurance.events import ClaimPaid, PolicyChanged
from traceability.events import DeclarationChanged, LotRecalled


@subscribe("enterprise.registered", "disclosure.entity.registered")
@subscribe("enterprise.changed", "disclosure.entity.changed")
def entity(session: Session, event: Event[EnterpriseRegistered | EnterpriseChanged]) -> None:
    publish(session, event, ENTITY[event.type])


@subscribe("declaration.declared", "disclosure.operating.declared")
@subscribe("declaration.inspected", "disclosure.operating.inspected")
@subscribe("declaration.released", "disclosure.operating.released")
@subscribe("declaration.rejected", "disclosure.operating.rejected")
def operating(session: Session, event: Event[DeclarationChanged]) -> None:
    """A declaration as operating information and the enterprise's public monthly totals; a failed
    inspection or a rejection as regulatory information too."""
    publish(session, event, DECLARATION[event.type])


@subscribe("lot.recalled", "disclosure.regulatory.recall")
def recall(session: Session, event: Event[LotRecalled]) -> None:
    publish(session, event, RECALL[event.type])


@subscribe("credit.record_changed", "disclosure.reward_punishment.record")
def credit_record(session: Session, event: Event[CreditRecordChanged]) -> None:
    publish(session, event, CREDIT_RECORD[event.type])


@subscribe("credit.grade_changed", "disclosure.reward_punishment.grade")
def credit_grade(session: Session, event: Event[GradeChanged]) -> None:
    """The enterprise's grade as a public record, and on all its records."""
    for _, fields in publish(session, event, GRADE[event.type]):
        service.set_enterprise_grade(session, fields["enterprise_id"], fields["fields"]["grade"])


@subscribe("credit.pledge_changed", "disclosure.regulatory.pledge")
def credit_pledge(session: Session, event: Event[PledgeChanged]) -> None:
    """A pledge made, withdrawn or broken (a broken one as reward-and-punishment information too)."""
    publish(session, event, PLEDGE[event.type])


@subscribe("credit.tolerance_changed", "disclosure.regulatory.tolerance")
def credit_tolerance(session: Session, event: Event[ToleranceChanged]) -> None:
    """A tolerance granted, corrected or lapsed (regulators only until it lapses and counts)."""
    publish(session, event, TOLERANCE[event.type])


@subscribe("insurance.policy_activated", "disclosure.service.insurance_activated")
@subscribe("insurance.policy_lapsed", "disclosure.service.insurance_lapsed")
@subscribe("insurance.policy_cancelled", "disclosure.service.insurance_cancelled")
def insurance_cover(session: Session, event: Event[PolicyChanged]) -> None:
    publish(session, event, INSURANCE_COVER[event.type])


@subscribe("insurance.claim_paid", "disclosure.complaint.insurance_claim")
def insurance_claim(session: Session, event: Event[ClaimPaid]) -> None:
    publish(session, event, INSURANCE_CLAIM[event.type])


@subscribe("complaint.received", "disclosure.complaint.figures.received")
@subscribe("complaint.answered", "disclosure.complaint.figures.answered")
@subscribe("complaint.overdue", "disclosure.complaint.figures.overdue")
@subscribe("complaint.closed", "disclosure.complaint.figures.closed")
def complaint_figures(
    session: Session, event: Event[ComplaintReceived | ComplaintAnswered | ComplaintOverdue | ComplaintClosed]
) -> None:
    publish(session, event, COMPLAINT_FIGURES[event.type])


@subscribe("complaint.published", "disclosure.complaint.case")
@subscribe("complaint.unpublished", "disclosure.complaint.case_withdrawn")
@subscribe("complaint.answered", "disclosure.complaint.case_answered")
@subscribe("complaint.closed", "disclosure.complaint.case_closed")
@subscribe("complaint.changed", "disclosure.complaint.case_changed")
def complaint_case(session: Session, event: CaseEvent) -> None:
    publish(session, event, COMPLAINT_CASE[event.type])


# The indexer is the one subscriber that needs something a process builds: the search backend. It is
# not looked up in a module global (two apps in one process, as in the tests, each have their own index,
# and a global set by the last app built would index into the wrong one); it is constructed with the
# backend by whoever builds the Dispatcher (create_app, `crosstrust worker`, `crosstrust demo`), through
# `bound_handlers`. The subscription itself is declared here, at import, so that `emit` writes its
# deliveries whichever process delivers them.
INDEXER = "disclosure.indexer"
registry.declare("disclosure.changed", INDEXER)


class Indexer:
    """Keeps the search index in step; raising (search down) leaves the event for a retry."""

    def __init__(self, backend: SearchBackend) -> None:
        self.backend = backend

    def __call__(self, session: Session, event: Event[DisclosureChanged]) -> None:
        changed = event.data
        row = service.get(session, changed.id)
        if row is None:
            self.backend.delete([changed.id])
            return
        if row.version != changed.version:
            return  # a later change has its own event
        self.backend.index([service.document(row)])


def bound_handlers(backend: SearchBackend) -> dict[str, Handler]:
    """The handlers of disclosure's declared subscribers, for a Dispatcher of a process with `backend`."""
    return {INDEXER: Indexer(backend)}
