"""What traceability does when events arrive: send newly captured EPCIS events to the query
subscriptions' webhooks (from the outbox, so a failed delivery is retried with backoff)."""

from __future__ import annotations

from sqlmodel import Session

from core.events import Event, subscribe


# external: the POSTs run outside the dispatcher's write transaction (see core.events.Subscriber).
@subscribe("epcis.events_captured", "traceability.epcis_subscriptions", external=True)
def deliver_to_subscriptions(session: Session, event: Event) -> None:
    from traceability import epcis_queries

    epcis_queries.deliver(session, event.data.event_ids)


@subscribe("epcis.subscription_started", "traceability.epcis_backfill", external=True)
def send_what_was_recorded_since(session: Session, event: Event) -> None:
    from traceability import epcis_queries

    epcis_queries.backfill(session, event.data.subscription_id)
