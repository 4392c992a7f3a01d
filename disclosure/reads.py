"""What one delivery of an event to disclosure's subscribers reads about enterprises, read once and shared
by the record builders it runs (disclosure/records_*.py, called by disclosure/handlers.py)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from credit import service as credit
from enterprises import service as enterprises


class Reads:
    """What one delivery reads about enterprises (the public profile, the grade), read once and shared by
    its builders: an inspection with failed lines writes the declaration's record, the month's totals and
    a record per failed line, all of one enterprise. It lives for one delivery (`_publish`), so a later
    delivery in the same transaction (the enterprise renamed meanwhile) reads afresh."""

    KEY = "disclosure.delivery_reads"  # where `_publish` keeps it, in the delivery's session.info

    def __init__(self, session: Session) -> None:
        self.session = session
        self.profiles: dict[int, dict[str, Any]] = {}
        self.grades: dict[int, str | None] = {}

    @classmethod
    def of(cls, session: Session) -> Reads:
        found = session.info.get(cls.KEY)
        return found if isinstance(found, Reads) else cls(session)  # outside a delivery: not shared

    def enterprise(self, enterprise_id: int) -> dict[str, Any]:
        if enterprise_id not in self.profiles:
            profile = enterprises.public_profile(self.session, enterprise_id)
            if profile is None:
                raise LookupError(f"enterprise {enterprise_id} not found")
            self.profiles[enterprise_id] = profile
        return self.profiles[enterprise_id]

    def grade(self, enterprise_id: int) -> str | None:
        if enterprise_id not in self.grades:
            self.grades[enterprise_id] = credit.grade_code(self.session, enterprise_id)
        return self.grades[enterprise_id]
