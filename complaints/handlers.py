"""What the complaint handler does when events arrive: deliver its own cases to the merchant's webhook
(from the outbox, so a failed delivery is retried with backoff)."""

from __future__ import annotations

from sqlmodel import Session

from core.events import Event, subscribe

WEBHOOK_EVENTS = (
    "complaint.received",
    "complaint.overdue",
    "complaint.escalated",
    "complaint.deadline_near",
    "complaint.closed",
)


def _deliver(session: Session, event: Event) -> None:
    from complaints import webhooks

    webhooks.deliver_event(session, event)


for _type in WEBHOOK_EVENTS:
    # external: the POST runs outside the dispatcher's write transaction (see core.events.Subscriber).
    subscribe(_type, f"complaints.webhook.{_type.split('.', 1)[1]}", external=True)(_deliver)
