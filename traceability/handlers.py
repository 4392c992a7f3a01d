"""What traceability does when events arrive: send newly captured EPCIS events to the query
subscriptions' webhooks (from the outbox, so a failed delivery is retried with backoff).

The delivery needs the process's configuration (where webhooks may go, the at-rest key of the
subscriptions' secrets): the subscription is declared here and its handler constructed with both by
whoever builds the Dispatcher (`api.wiring.dispatcher`)."""

from __future__ import annotations

from sqlmodel import Session

from core.events import Event, Handler, registry
from core.sealing import SecretBox
from core.webhooks import Destinations
from traceability.events import EpcisEventsCaptured

EPCIS_SUBSCRIPTIONS = "traceability.epcis_subscriptions"
# external: the POSTs run outside the dispatcher's write transaction (see core.events.Subscriber).
registry.declare("epcis.events_captured", EPCIS_SUBSCRIPTIONS, external=True)


class SubscriptionDelivery:
    def __init__(self, destinations: Destinations, box: SecretBox) -> None:
        self.destinations, self.box = destinations, box

    def __call__(self, session: Session, event: Event[EpcisEventsCaptured]) -> None:
        from traceability import epcis_queries

        epcis_queries.deliver(session, event.data.event_ids, self.destinations, self.box)


def bound_handlers(destinations: Destinations, box: SecretBox) -> dict[str, Handler]:
    return {EPCIS_SUBSCRIPTIONS: SubscriptionDelivery(destinations, box)}
