"""Supervision by grade (差别化监管): which declarations are inspected is drawn at random, weighted by
the importer's grade, from a published seed, so that anyone holding the published inputs can replay it.

The draw is defined without any language's random generator, so it can be replayed anywhere:
  input_hash = SHA-256 of the canonical JSON of the inputs (methodology version, rates, inspectors,
               candidates sorted by declaration number; and the agency, when a regulator draws for its own)
  u(c)       = first 8 bytes of HMAC-SHA256(key = seed bytes, "select|" + input_hash + "|" + declaration_no)
               read as a big-endian integer, divided by 2^64
  selected   = the candidates with u(c) < rate(c): the candidate's raised rate when it carries one (the
               black list's own rate, an early warning's; its reasons beside it), else rate[grade of c]
  inspector  = inspectors[HMAC-SHA256(seed, "inspector|" + input_hash + "|" + declaration_no) mod n]
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from typing import Any

from sqlmodel import Session, select

from core import agencies, audit
from core.clock import utcnow
from core.db import id_of
from core.errors import Conflict, Invalid, NotFound
from core.events import emit
from core.security import Principal, Role
from credit import draw_raise
from credit import methodology as methodology_
from credit.events import SupervisionDrawn
from credit.models import CreditStanding, SupervisionDraw, SupervisionSelection
from credit.scorecard import score
from enterprises import service as enterprises
from traceability import service as traceability

ALGORITHM = __doc__.split("\n\n", 1)[1].strip()


def canonical(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def _uniform(seed: bytes, label: str, input_hash: str, declaration_no: str) -> int:
    return int.from_bytes(
        hmac.new(seed, f"{label}|{input_hash}|{declaration_no}".encode(), hashlib.sha256).digest(), "big"
    )


def draw_from(inputs: dict[str, Any], seed_hex: str) -> tuple[str, list[dict[str, Any]]]:
    """The pure draw: the same inputs and seed give the same selection and inspectors."""
    try:
        seed = bytes.fromhex(seed_hex)
    except ValueError:
        raise Invalid.field("seed", "must be hexadecimal") from None
    input_hash = hashlib.sha256(canonical(inputs)).hexdigest()
    rates = inputs["rates"]
    inspectors = inputs["inspectors"]
    selected = []
    for c in inputs["candidates"]:
        u = (_uniform(seed, "select", input_hash, c["declaration_no"]) >> 192) / 2**64
        if u < (c["raised"]["rate"] if "raised" in c else rates[c["grade"]]):
            pick = _uniform(seed, "inspector", input_hash, c["declaration_no"]) % len(inspectors)
            row = {
                "declaration_no": c["declaration_no"],
                "uscc": c["uscc"],
                "grade": c["grade"],
                "u": round(u, 6),
                "inspector": inspectors[pick],
            }
            selected.append({**row, "raised": c["raised"]} if "raised" in c else row)
    return input_hash, selected


def _candidate(
    p: dict, usccs: dict, standings: dict, unrated: str, rates: dict[str, float], why: list[dict]
) -> dict[str, Any]:
    s = standings.get(p["enterprise_id"])
    c: dict[str, Any] = {
        "declaration_no": p["declaration_no"],
        "uscc": usccs[p["enterprise_id"]],
        "grade": s.grade if s is not None else unrated,
    }
    rate = max((w["rate"] for w in why), default=0.0)
    if rate > rates.get(c["grade"], 0.0):  # raised above its grade's rate: the reasons go with it
        c["raised"] = {"rate": rate, "because": why}
    return c


def _inputs(session: Session, inspectors: list[str], agency: str | None = None) -> dict[str, Any]:
    m = methodology_.current()
    pending = traceability.awaiting_inspection(session)
    ent_ids = {p["enterprise_id"] for p in pending}
    usccs = {i: p["uscc"] for i, p in enterprises.public_profiles(session, ent_ids).items()}
    if agency is not None:  # a regulator draws from its own agency's declarations only
        pending = [p for p in pending if agencies.agency_of_uscc(usccs[p["enterprise_id"]]) == agency]
    standings = {
        s.enterprise_id: s
        for s in session.exec(select(CreditStanding).where(CreditStanding.enterprise_id.in_(ent_ids)))  # type: ignore[attr-defined]
    }
    unrated = score(m, (), utcnow()).grade  # an enterprise not yet scored starts where everyone starts
    raised = draw_raise.raises(session, m, pending, standings)
    candidates = sorted(
        (
            _candidate(p, usccs, standings, unrated, m.inspection_rates, raised.get(p["declaration_no"], []))
            for p in pending
        ),
        key=lambda c: c["declaration_no"],
    )
    names = [n.strip() for n in inspectors if n.strip()]
    if not names:
        raise Invalid.field("inspectors", "name at least one inspector")
    if len(set(names)) != len(names):
        raise Invalid.field("inspectors", "an inspector is named twice")
    inputs = {
        "methodology_version": m.version,
        "rates": m.inspection_rates,
        "inspectors": sorted(names),
        "candidates": candidates,
    }
    return inputs if agency is None else {**inputs, "agency": agency}


def draw(session: Session, inspectors: list[str], by: Principal, seed: str | None = None) -> SupervisionDraw:
    # An admin draws over every pending declaration; a regulator over its agency's (named in the inputs).
    inputs = _inputs(session, inspectors, by.agency if by.role == Role.regulator else None)
    if not inputs["candidates"]:
        # A published draw is a public statement that the pending declarations were drawn from; one
        # over none would read as "drawn, nothing selected" when nothing was there to draw.
        raise Conflict(
            "no declaration is waiting for inspection"
            + (f" in {agencies.describe(inputs['agency'])}" if "agency" in inputs else "")
            + ", so there is nothing to draw from; "
            "draw again when declarations are pending",
            field="candidates",
        )
    seed = seed or secrets.token_hex(16)
    input_hash, selected = draw_from(inputs, seed)
    d = SupervisionDraw(
        drawn_at=utcnow(),
        drawn_by=by.actor,
        seed=seed,
        input_hash=input_hash,
        result_hash=hashlib.sha256(canonical(selected)).hexdigest(),
        methodology_version=inputs["methodology_version"],
        inputs=inputs,
        selected=selected,
    )
    session.add(d)
    session.flush()
    for row in selected:
        session.add(
            SupervisionSelection(
                draw_id=id_of(d),
                declaration_no=row["declaration_no"],
                inspector=row["inspector"],
                grade=row["grade"],
                drawn_at=d.drawn_at,
            )
        )
    session.flush()
    state = {"seed": seed, "input_hash": input_hash, "result_hash": d.result_hash, "selected": len(selected)}
    audit.record(session, by.actor, "supervision.drawn", "supervision_draw", d.id, state)
    emit(session, "supervision.drawn", "supervision_draw", d.id, SupervisionDrawn(id=d.id, **state), by.actor)
    return d


def get(session: Session, draw_id: int) -> SupervisionDraw:
    d = session.get(SupervisionDraw, draw_id)
    if d is None:
        raise NotFound(f"no supervision draw {draw_id}")
    return d


def recent(session: Session, limit: int = 50, offset: int = 0) -> list[SupervisionDraw]:
    """Past draws, newest first (the console's list; each is public at its own address)."""
    return list(
        session.exec(
            select(SupervisionDraw)
            .order_by(SupervisionDraw.id.desc())  # type: ignore[union-attr]
            .limit(limit)
            .offset(offset)
        )
    )


def replay(d: SupervisionDraw) -> dict[str, Any]:
    """Recompute a published draw from its inputs and seed and say whether it matches."""
    input_hash, selected = draw_from(d.inputs, d.seed)
    result_hash = hashlib.sha256(canonical(selected)).hexdigest()
    return {
        "input_hash": input_hash,
        "result_hash": result_hash,
        "matches": input_hash == d.input_hash and result_hash == d.result_hash,
    }


def selections(session: Session, declaration_nos: list[str]) -> dict[str, dict[str, Any]]:
    """Whether each declaration was selected for inspection, and by which draw for which inspector
    (the latest draw that selected it); declarations no draw selected are absent."""
    if not declaration_nos:
        return {}
    rows = session.exec(
        select(SupervisionSelection)
        .where(SupervisionSelection.declaration_no.in_(set(declaration_nos)))  # type: ignore[attr-defined]
        .order_by(SupervisionSelection.draw_id)  # type: ignore[arg-type]
    )
    return {
        r.declaration_no: {
            "selected": True,
            "draw_id": r.draw_id,
            "inspector": r.inspector,
            "importer_grade": r.grade,
            "drawn_at": r.drawn_at,
            "published_at": f"/api/v1/public/credit/draws/{r.draw_id}",
        }
        for r in rows  # later draws overwrite earlier ones
    }


def view(d: SupervisionDraw) -> dict[str, Any]:
    """A draw as the API answers it: as published, with counts and a readable selection."""
    return {
        **d.model_dump(),
        "candidates_count": len(d.inputs.get("candidates", [])),
        "selected_count": len(d.selected),
        "selection": readable(d),
        "algorithm": ALGORITHM,
    }


def readable(d: SupervisionDraw) -> list[dict[str, Any]]:
    """The selection with columns a person reads without the algorithm at hand (the published
    `selected` keeps its short keys: its hash is what a replay checks)."""
    rates = d.inputs.get("rates", {})
    return [
        {
            "declaration_no": row["declaration_no"],
            "importer_uscc": row["uscc"],
            "importer_grade": row["grade"],
            "inspection_rate": row["raised"]["rate"] if "raised" in row else rates.get(row["grade"]),
            "draw_value": row["u"],  # selected because it is below the inspection rate
            "raised_because": row.get("raised", {}).get("because", []),
            "inspector": row["inspector"],
        }
        for row in d.selected
    ]
