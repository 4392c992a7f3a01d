"""Supervision by grade (差别化监管): which declarations are inspected is drawn at random, weighted by
the importer's grade, from a published seed, so that anyone holding the published inputs can replay it.

The draw is defined without any language's random generator, so it can be replayed anywhere:
  input_hash = SHA-256 of the canonical JSON of the inputs (methodology version, rates, inspectors,
               candidates sorted by declaration number)
  u(c)       = first 8 bytes of HMAC-SHA256(key = seed bytes, "select|" + input_hash + "|" + declaration_no)
               read as a big-endian integer, divided by 2^64
  selected   = the candidates with u(c) < rate[grade of c]
  inspector  = inspectors[HMAC-SHA256(seed, "inspector|" + input_hash + "|" + declaration_no) mod n]
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from typing import Any

from sqlmodel import Session, select

from core import audit
from core.clock import utcnow
from core.errors import Invalid, NotFound
from core.events import emit
from core.security import Principal
from credit import methodology as methodology_
from credit.events import SupervisionDrawn
from credit.models import CreditStanding, SupervisionDraw
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
        if u < rates[c["grade"]]:
            pick = _uniform(seed, "inspector", input_hash, c["declaration_no"]) % len(inspectors)
            selected.append(
                {
                    "declaration_no": c["declaration_no"],
                    "uscc": c["uscc"],
                    "grade": c["grade"],
                    "u": round(u, 6),
                    "inspector": inspectors[pick],
                }
            )
    return input_hash, selected


def _inputs(session: Session, inspectors: list[str]) -> dict[str, Any]:
    m = methodology_.current()
    pending = traceability.awaiting_inspection(session)
    ent_ids = {p["enterprise_id"] for p in pending}
    grades = {
        s.enterprise_id: s.grade
        for s in session.exec(select(CreditStanding).where(CreditStanding.enterprise_id.in_(ent_ids)))  # type: ignore[attr-defined]
    }
    usccs = {i: p["uscc"] for i, p in enterprises.public_profiles(session, ent_ids).items()}
    unrated = score(m, (), utcnow()).grade  # an enterprise not yet scored starts where everyone starts
    candidates = sorted(
        (
            {
                "declaration_no": p["declaration_no"],
                "uscc": usccs[p["enterprise_id"]],
                "grade": grades.get(p["enterprise_id"], unrated),
            }
            for p in pending
        ),
        key=lambda c: c["declaration_no"],
    )
    names = [n.strip() for n in inspectors if n.strip()]
    if not names:
        raise Invalid.field("inspectors", "name at least one inspector")
    if len(set(names)) != len(names):
        raise Invalid.field("inspectors", "an inspector is named twice")
    return {
        "methodology_version": m.version,
        "rates": m.inspection_rates,
        "inspectors": sorted(names),
        "candidates": candidates,
    }


def draw(session: Session, inspectors: list[str], by: Principal, seed: str | None = None) -> SupervisionDraw:
    inputs = _inputs(session, inspectors)
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
    state = {"seed": seed, "input_hash": input_hash, "result_hash": d.result_hash, "selected": len(selected)}
    audit.record(session, by.actor, "supervision.drawn", "supervision_draw", d.id, state)
    emit(session, "supervision.drawn", "supervision_draw", d.id, SupervisionDrawn(id=d.id, **state), by.actor)
    return d


def get(session: Session, draw_id: int) -> SupervisionDraw:
    d = session.get(SupervisionDraw, draw_id)
    if d is None:
        raise NotFound(f"no supervision draw {draw_id}")
    return d


def replay(d: SupervisionDraw) -> dict[str, Any]:
    """Recompute a published draw from its inputs and seed and say whether it matches."""
    input_hash, selected = draw_from(d.inputs, d.seed)
    result_hash = hashlib.sha256(canonical(selected)).hexdigest()
    return {
        "input_hash": input_hash,
        "result_hash": result_hash,
        "matches": input_hash == d.input_hash and result_hash == d.result_hash,
    }
