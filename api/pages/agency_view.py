"""What the console shows of agency scope (issue 25, item 8): which agency the signed-in regulator acts
for, and, on another agency's case, that it is read-only and why. The rule itself is `core.agencies`,
checked by the domain services on every write; a page only hides the forms the rule would refuse."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from core import agencies
from core.security import Principal, Role


def read_only(me: Principal, case_agency: str) -> dict[str, Any] | None:
    """None when `me` may act on a case of `case_agency`; else what the page says instead of its forms."""
    if me.role != Role.regulator or me.agency == case_agency:
        return None
    return {"case_agency": case_agency, "your_agency": me.agency}


def foreign(session: Session, me: Principal, enterprise_ids: set[int]) -> dict[int, str]:
    """{enterprise id: its agency} of the listed enterprises `me` may not act for (none for an admin):
    a list page shows these rows without their forms."""
    if me.role != Role.regulator:
        return {}
    return {
        i: a for i, a in agencies.agencies_of_enterprises(session, enterprise_ids).items() if a != me.agency
    }


def read_only_enterprise(session: Session, me: Principal, enterprise_id: int) -> dict[str, Any] | None:
    if me.role != Role.regulator:
        return None
    return read_only(me, agencies.agency_of_enterprise(session, enterprise_id))
