"""Distribution's handlers (intake.distribution): records that became active are fanned out to the
subscriptions entitled to them, one outbox event a message; each message is sent by an external
subscriber (outside the dispatcher's write transaction), which needs the process's configuration (where
webhooks may go, the at-rest key of the subscriptions' secrets): it is declared here and its handler
built by whoever builds the Dispatcher (`api.wiring.bound_handlers`)."""

from __future__ import annotations

from sqlmodel import Session

from core.events import Event, Handler, registry, subscribe
from core.sealing import SecretBox
from core.webhooks import Destinations
from intake import distribution
from intake.events import IntakeCatchUpDue, IntakeDispatchDue, IntakeRecordsLinked, IntakeRecordSuperseded

SEND = "intake.send_dispatch"
registry.declare("intake.dispatch_due", SEND, external=True)


@subscribe("intake.records_linked", "intake.distribute")
def distribute(session: Session, event: Event[IntakeRecordsLinked]) -> None:
    distribution.fan_out(session, event.data)


@subscribe("intake.catch_up_due", "intake.catch_up")
def catch_up(session: Session, event: Event[IntakeCatchUpDue]) -> None:
    """A new subscription's older records, a chunk an event."""
    distribution.catch_up(session, event.data)


@subscribe("intake.record_superseded", "intake.withdraw_superseded")
def withdraw_superseded(session: Session, event: Event[IntakeRecordSuperseded]) -> None:
    """A settled conflict's losing record is withdrawn from the agencies that were sent it."""
    distribution.withdraw_superseded(session, event.data)


class DispatchSender:
    def __init__(self, destinations: Destinations, box: SecretBox) -> None:
        self.destinations, self.box = destinations, box

    def __call__(self, session: Session, event: Event[IntakeDispatchDue]) -> None:
        distribution.deliver(session, event.data.dispatch_id, self.destinations, self.box)


def bound_handlers(destinations: Destinations, box: SecretBox) -> dict[str, Handler]:
    return {SEND: DispatchSender(destinations, box)}
