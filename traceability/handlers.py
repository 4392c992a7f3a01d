"""What traceability does when events arrive: send newly captured EPCIS events to the query
subscriptions' webhooks, and a new subscription with an initialRecordTime in the past what was
recorded since then (from the outbox, so a failed delivery is retried with backoff).

Both deliveries need the process's configuration (where webhooks may go, the at-rest key of the
subscriptions' secrets): the subscriptions are declared here and their handlers constructed with both by
whoever builds the Dispatcher (`api.wiring.dispatcher`)."""

from __future__ import annotations

from sqlmodel import Session

from core.events import Event, Handler, registry
from core.sealing import SecretBox
from core.webhooks import Destinations
from traceability.events import EpcisEventsCaptured, EpcisSubscriptionStarted

EPCIS_SUBSCRIPTIONS = "traceability.epcis_subscriptions"
EPCIS_BACKFILL = "traceability.epcis_backfill"
# external: the POSTs run outside the dispatcher's write transaction (see core.events.Subscriber).
registry.declare("epcis.events_captured", EPCIS_SUBSCRIPTIONS, external=True)
registry.declare("epcis.subscription_started", EPCIS_BACKFILL, external=True)


class SubscriptionDelivery:
    def __init__(self, destinations: Destinations, box: SecretBox) -> None:
        self.destinations, self.box = destinations, box

    def __call__(self, session: Session, event: Event[EpcisEventsCaptured]) -> None:
        from traceability import epcis_queries

        epcis_queries.deliver(session, event.data.event_ids, self.destinations, self.box)


class SubscriptionBackfill:
    def __init__(self, destinations: Destinations, box: SecretBox) -> None:
        self.destinations, self.box = destinations, box

    def __call__(self, session: Session, event: Event[EpcisSubscriptionStarted]) -> None:
        from traceability import epcis_queries

        epcis_queries.backfill(session, event.data.subscription_id, self.destinations, self.box)


def bound_handlers(destinations: Destinations, box: SecretBox) -> dict[str, Handler]:
    return {
        EPCIS_SUBSCRIPTIONS: SubscriptionDelivery(destinations, box),
        EPCIS_BACKFILL: SubscriptionBackfill(destinations, box),
    }
