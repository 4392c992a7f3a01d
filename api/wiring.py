"""Loads every domain's event contracts and handlers, so that `emit` knows each event's shape and subscribers;
and builds a process's Dispatcher with the handlers that need what the process built (the search backend).

New domains add their handlers module here, once.
"""

from __future__ import annotations

import importlib

from core.db import Database
from core.events import Dispatcher, Handler, registry
from disclosure.search.base import SearchBackend

# The contracts: each domain's events.py declares what it emits (see core.events.contract).
EVENT_MODULES = [
    "enterprises.events",
    "traceability.events",
    "disclosure.events",
    "credit.events",
    "complaints.events",
    "insurance.events",
]

HANDLER_MODULES = [
    "traceability.handlers",
    "disclosure.handlers",
    "credit.handlers",
    "complaints.handlers",
    "insurance.handlers",
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
    "complaints.models",
    "insurance.models",
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


def bound_handlers(search: SearchBackend) -> dict[str, Handler]:
    """The handlers of subscribers declared without one (core.events.Registry.declare), built on this
    process's resources."""
    from disclosure import handlers as disclosure_handlers

    return {**disclosure_handlers.bound_handlers(search)}


def dispatcher(
    db: Database, search: SearchBackend, *, max_attempts: int = 8, backoff_base: float = 2.0
) -> Dispatcher:
    """A Dispatcher that delivers every subscriber's events, the indexer's into `search`."""
    load_handlers()
    return Dispatcher(
        db, max_attempts=max_attempts, backoff_base=backoff_base, handlers=bound_handlers(search)
    )
