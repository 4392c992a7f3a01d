"""The quality trail on the console: a page per source (/console/intake/sources/{id}) with its completeness,
timeliness, rejection and conflict rates per delivery and per month; and the trail of one fact
(/console/intake/records/{id}): which source said it, when, in which delivery and row, under which mapping
and credit rule, what it made in credit, and what changed it since. A credit record whose reference is
`intake:<id>` links here."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import Response
from sqlmodel import select

from api.pages import web
from core.identifiers import MAX_ID
from core.security import Principal
from credit import methodology as methodology_
from credit.models import CreditRecord
from intake import quality
from intake import service as intake
from intake.mapping import get as mapping
from intake.words import field_group

router = APIRouter(include_in_schema=False, route_class=web.PageRoute)
Console = Annotated[Principal, Depends(web.console_user)]
Id = Annotated[int, Path(ge=1, le=MAX_ID)]


def percent(ratio: float | None) -> str:
    """A rate as the pages show one: "87.5%"; nothing to count: a dash."""
    if ratio is None:
        return "—"
    return f"{ratio * 100:.1f}%".replace(".0%", "%")


@router.get("/console/intake/sources/{source_id}")
def source_quality(request: Request, _: Console, source_id: Id) -> Response:
    with request.app.state.db.read_session() as s:
        ctx = quality.report(s, source_id)
    ctx["percent"] = percent
    return web.render(request, "console_intake_source.html", ctx)


def _credit(s: Any, record_id: int) -> list[CreditRecord]:  # noqa: ANN401 - a session
    stmt = select(CreditRecord).where(CreditRecord.evidence_ref == f"intake:{record_id}")
    return list(s.exec(stmt))


@router.get("/console/intake/records/{record_id}")
def record_trail(request: Request, _: Console, record_id: Id) -> Response:
    with request.app.state.db.read_session() as s:
        t = intake.trail(s, record_id)
        credit = _credit(s, record_id)
    m = mapping(t["mapping"]["kind"])
    kinds = {k.code: (k.name_zh, k.name_en) for k in methodology_.current().kinds.values()}
    ctx = {
        "t": t,
        "rules": [r for r in m.credit if r.applies(t["fields"])],
        "credit": credit,
        "kinds": kinds,
        "field_words": field_group(m.kind),  # the record's own mapping names its fields
    }
    return web.render(request, "console_intake_record.html", ctx)
