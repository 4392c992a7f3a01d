"""Loads every domain's event contracts and handlers, so that `emit` knows each event's shape and subscribers.

New domains add their handlers module here, once.
"""

from __future__ import annotations

import importlib

from core.events import registry

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
    "disclosure.handlers",
    "credit.handlers",
]

MODEL_MODULES = [
    "core.security",
    "core.audit",
    "core.events",
    "core.schedule",
    "core.shared",
    "core.ratelimit",
    "enterprises.models",
    "traceability.models",
    "disclosure.models",
    "credit.models",
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
