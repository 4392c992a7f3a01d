"""What the complaint handler does when events arrive: deliver its own cases to the merchant's webhook
(from the outbox, so a failed delivery is retried with backoff).

A delivery needs the process's configuration (the networks a webhook may reach, the at-rest key of the
merchants' secrets): the subscriptions are declared here, at import, and their handler is constructed
with the complaint `Kit` by whoever builds the Dispatcher (`api.wiring.dispatcher`), never read from a
module global."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.events import Handler, registry

if TYPE_CHECKING:
    from complaints.service import Kit

WEBHOOK_EVENTS = (
    "complaint.received",
    "complaint.overdue",
    "complaint.escalated",
    "complaint.deadline_near",
    "complaint.closed",
)
WEBHOOK_SUBSCRIBERS = {f"complaints.webhook.{t.split('.', 1)[1]}": t for t in WEBHOOK_EVENTS}

for _name, _type in WEBHOOK_SUBSCRIBERS.items():
    # external: the POST runs outside the dispatcher's write transaction (see core.events.Subscriber).
    registry.declare(_type, _name, external=True)


def bound_handlers(kit: Kit) -> dict[str, Handler]:
    """The webhook deliveries, for a Dispatcher of a process configured with `kit`."""
    from complaints.webhooks import WebhookDelivery

    delivery = WebhookDelivery(kit)
    return dict.fromkeys(WEBHOOK_SUBSCRIBERS, delivery)
