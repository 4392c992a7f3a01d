"""A generation counter for what a scan shows about a lot: every write that changes it (inspection,
release, recall, an EPCIS event) bumps the counter, and the scan's cache re-reads older entries.

The counter is two numbers: this process's own (moved at once, for writes made here) and the one all
processes share in the database (core.shared, moved when the write commits and read at most every half
second), so a recall made through one API process shows in a scan through any other."""

from __future__ import annotations

import itertools

from sqlmodel import Session

from core.db import Database
from core.shared import GenerationReader, bump_after_commit

NAME = "scan-facts"
_counter = itertools.count(1)
generation = 0
shared = GenerationReader(NAME, ttl=0.5)


def invalidate(session: Session | None = None) -> None:
    """A change to what scans show: this process sees it now, every process once `session` commits."""
    global generation
    generation = next(_counter)
    if session is not None:
        bump_after_commit(session, NAME)


def current(db: Database, io: bool = True) -> tuple[int, int]:
    return generation, shared.value(db, io)
