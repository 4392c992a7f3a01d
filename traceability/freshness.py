"""A generation counter for what a scan shows about a lot: every write that changes it (inspection,
release, recall, an EPCIS event) bumps the counter, and the scan's cache re-reads older entries."""

from __future__ import annotations

import itertools

_counter = itertools.count(1)
generation = 0


def invalidate() -> None:
    global generation
    generation = next(_counter)
