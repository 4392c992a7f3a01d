"""What the log appends, and when: each handler runs in the dispatcher's transaction with its delivery
mark (core.events), so an event's leaf is appended exactly once, and the leaf is the canonical bytes of
what was published. Only what is public enters a log that is public for ever: no consumer's personal
data, no regulator-only record (a complaint's free-text summary and a claim's trace code are left out)."""

from __future__ import annotations

from sqlmodel import Session

from complaints.events import ComplaintClosed
from core.errors import NotFound
from core.events import Event, subscribe
from credit.events import CreditRecordChanged, GradeChanged
from disclosure import service as disclosure
from disclosure.events import DisclosureChanged
from insurance.events import ClaimPaid
from traceability import batches as trace
from traceability.events import CodeRevoked, CodesIssued, DeclarationChanged, KeyCertified, LotRecalled
from translog import merkle, service


def _log(
    session: Session,
    event: Event,
    kind: str,
    subject: str,
    *,
    version: int | None = None,
    exclude: set[str] | None = None,
) -> None:
    """The event's typed data, as published (less `exclude`), as one leaf of `subject`."""
    data = event.data.model_dump(mode="json", exclude=exclude)
    service.append(session, kind, subject, data, at=event.created_at, version=version, event_id=event.id)


@subscribe("disclosure.changed", "translog.disclosure")
def disclosure_changed(session: Session, event: Event[DisclosureChanged]) -> None:
    """A public disclosure record's version. A version already superseded when this runs is not
    logged (its content is gone); the newer version's own event logs that one."""
    row = disclosure.get(session, event.data.id)
    if row is None or row.version != event.data.version or row.visibility != "public":
        return
    service.append(
        session,
        "disclosure.record",
        f"disclosure:{row.id}",
        disclosure.document(row),
        at=event.created_at,
        version=row.version,
        event_id=event.id,
    )


@subscribe("credit.record_changed", "translog.credit_record")
def credit_record(session: Session, event: Event[CreditRecordChanged]) -> None:
    """A credit record's version. A record tolerated under a pledge (容错纠错) is for regulators only, kept
    off the public credit record while it is corrected: it is logged once it lapses and counts."""
    if event.data.status == "tolerated":  # credit.models.RecordStatus.tolerated
        return
    _log(session, event, "credit.record", f"credit-record:{event.data.id}", version=event.data.version)


@subscribe("credit.grade_changed", "translog.grade")
def grade(session: Session, event: Event[GradeChanged]) -> None:
    _log(session, event, "credit.grade", f"grade:{event.data.enterprise_id}")


@subscribe("declaration.released", "translog.declaration_released")
def declaration_released(session: Session, event: Event[DeclarationChanged]) -> None:
    _log(session, event, "declaration.released", f"declaration:{event.data.id}")


@subscribe("lot.recalled", "translog.recall")
def recall(session: Session, event: Event[LotRecalled]) -> None:
    _log(session, event, "lot.recalled", f"line:{event.data.line_id}")


@subscribe("code.revoked", "translog.revocation")
def revocation(session: Session, event: Event[CodeRevoked]) -> None:
    _log(session, event, "code.revoked", f"code:{event.data.serial}")


@subscribe("code_key.certified", "translog.key_certificate")
def key_certificate(session: Session, event: Event[KeyCertified]) -> None:
    """Each code-signing key's certificate (root, importer, scan answers): a key the platform made and
    did not log is seen missing from the log, and one it logged cannot be taken back."""
    _log(session, event, "code_key.certificate", f"code-key:{event.data.key_id}")


@subscribe("complaint.closed", "translog.complaint_outcome")
def complaint_outcome(session: Session, event: Event[ComplaintClosed]) -> None:
    _log(session, event, "complaint.closed", f"complaint:{event.data.complaint_id}", exclude={"summary"})


@subscribe("insurance.claim_paid", "translog.claim_paid")
def claim_paid(session: Session, event: Event[ClaimPaid]) -> None:
    _log(session, event, "insurance.claim_paid", f"claim:{event.data.claim_id}", exclude={"serial"})


@subscribe("codes.issued", "translog.code_batch")
def code_batch(session: Session, event: Event[CodesIssued]) -> None:
    """A batch's one leaf: the RFC 6962 root over its serials' leaf hashes, in issuing order, so that
    one code is proved by a path inside the batch and the batch's leaf in the log."""
    d = event.data
    serials = trace.serials_of_batch(session, d.batch_id)
    if len(serials) != d.quantity:
        raise NotFound(f"batch {d.batch_id} has {len(serials)} codes stored, not {d.quantity}")
    tree = merkle.MemoryTree(merkle.leaf_hash(s.encode()) for s in serials)
    record = {**d.model_dump(mode="json"), "serials_root": service.b64(tree.root())}
    service.append(
        session, "code.batch", f"code-batch:{d.batch_id}", record, at=event.created_at, event_id=event.id
    )
