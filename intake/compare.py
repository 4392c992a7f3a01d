"""Comparing an incoming fact with what is stored and with what other sources said (issue 24, step 3).

A fact is one thing a source says about one enterprise: its name, its status, a penalty's amount (the
subject names which penalty). Facts are compared by their value made canonical per kind (`normalisers`: a
name by `intake.names.name_key`, an amount as a decimal, anything else folded: full-width, traditional,
case, spaces), so another spelling of the same value is the same value. Each fact comes out as one of:

- `duplicate`: the same source already said the same value about the same subject (in this delivery or a
  stored one), or sent the very same record again after correcting it: `duplicate_of` is where. Nothing
  new is kept, and a stale record sent again never undoes a correction.
- `supersedes`: the same source said another value before: its correction supersedes the earlier claim
  (`superseded`, still kept by the caller: superseded, never deleted). Conflicts the earlier claim had are
  settled if the new value agrees (`settled`), re-raised against the new value if not.
- `corroborates`: another source already says the same value.
- `new`: nobody said anything about this subject before.

and, with any of the last three, `conflicts`: each other source whose current value differs, as a typed
`Conflict` carrying both claims and both provenances, for a regulator to settle. Nothing is overwritten.

The comparer holds, per (enterprise, kind, subject), each source's current claim, and a digest of each
(source, enterprise, kind, subject, value) seen: memory grows with the distinct facts, not with the rows.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Literal

from intake import names

Status = Literal["new", "duplicate", "supersedes", "corroborates"]


@dataclass(frozen=True)
class Provenance:
    source: str
    delivery: str
    row: int
    record_key: str


@dataclass(frozen=True)
class Fact:
    enterprise_id: int
    kind: str  # "name" | "status" | "penalty_amount" | ...
    subject: str  # which penalty, which year; "" for the enterprise itself
    value: str
    provenance: Provenance


@dataclass(frozen=True)
class Claim:
    value: str  # as the source wrote it
    canonical: str
    provenance: Provenance


@dataclass(frozen=True)
class Conflict:
    enterprise_id: int
    kind: str
    subject: str
    first: Claim  # the claim already held
    second: Claim  # the claim that disagrees with it

    @property
    def sources(self) -> frozenset[str]:
        return frozenset((self.first.provenance.source, self.second.provenance.source))


@dataclass(frozen=True)
class Outcome:
    fact: Fact
    status: Status
    duplicate_of: Provenance | None = None
    superseded: Claim | None = None
    conflicts: tuple[Conflict, ...] = ()
    settled: tuple[Conflict, ...] = ()


def amount(value: str) -> str:
    """A money amount made canonical: full-width digits, thousands separators, 元, trailing zeros."""
    text = unicodedata.normalize("NFKC", value).replace(",", "").replace("元", "").strip()
    try:
        return f"{Decimal(text).normalize():f}"
    except InvalidOperation:
        return names.fold(value).strip()


def folded(value: str) -> str:
    return "".join(names.fold(value).split())


DEFAULT_NORMALISERS: Mapping[str, Callable[[str], str]] = {
    "name": names.name_key,
    "penalty_amount": amount,
}

_Key = tuple[int, str, str]


@dataclass(slots=True)
class _Subject:
    """Each source's current claim on one (enterprise, kind, subject), and the open conflicts."""

    claims: dict[str, Claim] = field(default_factory=dict)
    open: dict[frozenset[str], Conflict] | None = None  # made on the first conflict (most subjects have none)


class Comparer:
    """Compares facts one at a time; `stored` are the facts already held (compared silently, in order)."""

    def __init__(
        self, stored: Iterable[Fact] = (), normalisers: Mapping[str, Callable[[str], str]] | None = None
    ) -> None:
        self._normalisers = dict(DEFAULT_NORMALISERS if normalisers is None else normalisers)
        self._subjects: dict[_Key, _Subject] = {}
        self._seen: dict[bytes, Provenance] = {}
        for fact in stored:
            self.compare(fact)

    def canonical(self, kind: str, value: str) -> str:
        return self._normalisers.get(kind, folded)(value)

    @staticmethod
    def _digest(fact: Fact, canonical: str) -> bytes:
        text = "\x1f".join(
            (fact.provenance.source, str(fact.enterprise_id), fact.kind, fact.subject, canonical)
        )
        return hashlib.blake2b(text.encode(), digest_size=12).digest()

    def compare(self, fact: Fact) -> Outcome:
        canonical = self.canonical(fact.kind, fact.value)
        digest = self._digest(fact, canonical)
        seen = self._seen.get(digest)
        source = fact.provenance.source
        key = (fact.enterprise_id, fact.kind, fact.subject)
        subject = self._subjects.setdefault(key, _Subject())
        current = subject.claims.get(source)
        if seen is not None and (
            (current is not None and current.canonical == canonical)
            or seen.record_key == fact.provenance.record_key  # a stale row sent again changes nothing
        ):
            return Outcome(fact, "duplicate", duplicate_of=seen)
        self._seen.setdefault(digest, fact.provenance)
        claim = Claim(fact.value, canonical, fact.provenance)
        subject.claims[source] = claim
        settled: list[Conflict] = []
        if current is not None and subject.open:
            for pair in [p for p in subject.open if source in p]:
                settled.append(subject.open.pop(pair))
        conflicts = []
        agrees = False
        for other, held in subject.claims.items():
            if other == source:
                continue
            if held.canonical == canonical:
                agrees = True
                continue
            conflict = Conflict(fact.enterprise_id, fact.kind, fact.subject, held, claim)
            if subject.open is None:
                subject.open = {}
            subject.open[frozenset((source, other))] = conflict
            conflicts.append(conflict)
        reraised = {c.sources for c in conflicts}
        settled = [c for c in settled if c.sources not in reraised]
        status: Status = "supersedes" if current is not None else "corroborates" if agrees else "new"
        return Outcome(fact, status, superseded=current, conflicts=tuple(conflicts), settled=tuple(settled))

    def open_conflicts(self) -> list[Conflict]:
        return [c for s in self._subjects.values() if s.open for c in s.open.values()]

    def __len__(self) -> int:
        """How many subjects (enterprise, kind, subject) are held."""
        return len(self._subjects)
