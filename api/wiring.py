"""Loads every domain's event contracts and handlers, so that `emit` knows each event's shape and subscribers;
and builds a process's Dispatcher with the handlers that need what the process built or configured (the search
backend, the complaint kit).

New domains add their handlers module here, once.
"""

from __future__ import annotations

import importlib

from complaints.service import Kit
from core.db import Database
from core.events import Dispatcher, Handler, registry
from core.webhooks import Destinations
from disclosure.search.base import SearchBackend

# The contracts: each domain's events.py declares what it emits (see core.events.contract).
EVENT_MODULES = [
    "enterprises.events",
    "traceability.events",
    "disclosure.events",
    "credit.events",
    "credit.trust_events",
    "complaints.events",
    "insurance.events",
    "intake.events",
]

HANDLER_MODULES = [
    "traceability.handlers",
    "disclosure.handlers",
    "credit.handlers",
    "credit.trust_handlers",
    "complaints.handlers",
    "insurance.handlers",
    "translog.handlers",
    "credit.intake_handlers",
    "intake.handlers",
    "intake.dist_handlers",
    "traceability.lab_results",
]

MODEL_MODULES = [
    "core.security",
    "core.sessions",
    "core.audit",
    "core.events",
    "core.schedule",
    "core.shared",
    "core.ratelimit",
    "enterprises.models",
    "traceability.models",
    "disclosure.models",
    "credit.models",
    "credit.trust_models",
    "credit.sharing_models",
    "credit.tipoff_models",
    "complaints.models",
    "insurance.models",
    "translog.models",
    "intake.models",
    "intake.settle_models",
    "intake.dist_models",
]


def load_models() -> None:
    for name in MODEL_MODULES:
        importlib.import_module(name)


def load_handlers() -> None:
    load_models()
    for name in EVENT_MODULES:
        importlib.import_module(name)
    for name in HANDLER_MODULES:
        importlib.import_module(name)
    registry.loaded = True


def bound_handlers(search: SearchBackend, kit: Kit) -> dict[str, Handler]:
    """The handlers of subscribers declared without one (core.events.Registry.declare), built on this
    process's resources and configuration: the indexer on its search backend, the merchants' and the
    EPCIS subscriptions' webhooks on its complaint kit (allowed networks, at-rest key)."""
    from complaints import handlers as complaint_handlers
    from disclosure import handlers as disclosure_handlers
    from intake import dist_handlers
    from traceability import handlers as trace_handlers

    return {
        **disclosure_handlers.bound_handlers(search),
        **complaint_handlers.bound_handlers(kit),
        **trace_handlers.bound_handlers(Destinations(kit.webhook_networks), kit.box),
        **dist_handlers.bound_handlers(Destinations(kit.webhook_networks), kit.box),
    }


def dispatcher(
    db: Database,
    search: SearchBackend,
    kit: Kit,
    *,
    max_attempts: int = 8,
    backoff_base: float = 2.0,
) -> Dispatcher:
    """A Dispatcher that delivers every subscriber's events, the indexer's into `search`, the webhooks'
    as `kit` configures them."""
    load_handlers()
    return Dispatcher(
        db, max_attempts=max_attempts, backoff_base=backoff_base, handlers=bound_handlers(search, kit)
    )
