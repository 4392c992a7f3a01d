"""Scores out: an enterprise's scorecard from its records, recomputed in the transaction that changes
them (and nightly for all), its grade, history and the red and black lists."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, text, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from core.clock import as_utc, utcnow
from core.db import Database, id_of
from core.errors import Invalid, NotFound
from core.events import emit_many
from credit.events import GradeChanged
from credit.methodology import Methodology
from credit.models import CreditRecord, CreditScore, CreditStanding
from credit.records import current_methodology, record_public, records_of
from credit.scorecard import Entry, Scorecard, Weights, score
from enterprises import service as enterprises


def entry_of(r: CreditRecord) -> Entry:
    return Entry(id_of(r), r.kind, r.severity, as_utc(r.occurred_at).timestamp(), r.status)


def compute(
    session: Session, enterprise_id: int, now: datetime | None = None
) -> tuple[Scorecard, list[CreditRecord]]:
    """The score as of `now`, with the records it was computed from (nothing written)."""
    m = current_methodology()
    records = records_of(session, enterprise_id)
    return score(m, (entry_of(r) for r in records), now or utcnow()), records


def grade_names(m: Methodology, code: str) -> dict[str, str]:
    g = m.grade(code)
    return {"grade_name_zh": g.name_zh, "grade_name_en": g.name_en}


@dataclass
class _Change:
    standing: dict[str, Any]
    new: bool
    previous_grade: str | None


Previous = tuple[float, str, str, dict]  # score, grade, methodology version, explanation


def _change(enterprise_id: int, card: Scorecard, previous: Previous | None, now: datetime) -> _Change | None:
    """What to write for a new score, or None when nothing differs from the standing score."""
    explanation = card.explanation()
    if previous is not None and previous == (card.score, card.grade, card.methodology_version, explanation):
        return None
    standing = {
        "enterprise_id": enterprise_id,
        "score": card.score,
        "grade": card.grade,
        "methodology_version": card.methodology_version,
        "computed_at": now,
        "explanation": explanation,
    }
    return _Change(standing, previous is None, previous[1] if previous else None)


def _write(session: Session, changes: list[_Change], trigger: str) -> None:
    """Standing scores, their history and the grade changes' events, in bulk (one or ten thousand)."""
    if not changes:
        return
    new = [c.standing for c in changes if c.new]
    if new:
        session.execute(insert(CreditStanding), new)
    updated = [c.standing for c in changes if not c.new]
    if updated:
        session.execute(update(CreditStanding), updated)
    session.execute(insert(CreditScore), [c.standing | {"trigger": trigger[:80]} for c in changes])
    emit_many(
        session,
        [
            (
                "credit.grade_changed",
                "enterprise",
                c.standing["enterprise_id"],
                _grade_payload(c),
                "system:credit",
            )
            for c in changes
            if c.previous_grade != c.standing["grade"]
        ],
    )
    # Bulk statements bypass the identity map: let loaded standings reload.
    for obj in list(session.identity_map.values()):
        if isinstance(obj, CreditStanding):
            session.expire(obj)


def _grade_payload(c: _Change) -> GradeChanged:
    s, e = c.standing, c.standing["explanation"]
    return GradeChanged(
        enterprise_id=s["enterprise_id"],
        grade=s["grade"],
        previous_grade=c.previous_grade,
        score=s["score"],
        computed_at=s["computed_at"].isoformat(),
        methodology_version=s["methodology_version"],
        reasons=e["reasons"],
        capped_by=e["capped_by"],
    )


def _previous(session: Session, enterprise_id: int | None = None) -> dict[int, Previous]:
    # Five columns: SQLAlchemy's select (SQLModel's is typed for at most four).
    stmt = sa_select(
        col(CreditStanding.enterprise_id),
        col(CreditStanding.score),
        col(CreditStanding.grade),
        col(CreditStanding.methodology_version),
        col(CreditStanding.explanation),
    )
    if enterprise_id is not None:
        stmt = stmt.where(col(CreditStanding.enterprise_id) == enterprise_id)
    return {e: (score, grade, version, why) for e, score, grade, version, why in session.execute(stmt)}


def _serialise_scoring(session: Session) -> None:
    """One scoring at a time on PostgreSQL (SQLite's write lock already gives this): two concurrent
    recomputes would each miss the other's new record, or both insert a first standing."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCORING_LOCK})


SCORING_LOCK = 0x43524544  # "CRED"


def recompute(session: Session, enterprise_id: int, trigger: str = "manual") -> Scorecard:
    """Score one enterprise now; only merchants get a standing (so only merchants are ever listed)."""
    _serialise_scoring(session)
    now = utcnow()
    card, _ = compute(session, enterprise_id, now)
    if enterprises.get(session, enterprise_id).kind == "merchant":
        change = _change(enterprise_id, card, _previous(session, enterprise_id).get(enterprise_id), now)
        _write(session, [change] if change else [], trigger)
    return card


def _epoch_sql(db: Database, column: str) -> str:
    if db.is_sqlite:
        return f"(julianday({column}) - 2440587.5) * 86400.0"
    return f"EXTRACT(EPOCH FROM {column})"


def recompute_all(db: Database, trigger: str = "nightly") -> dict[str, int]:
    """Recompute every merchant's score (the nightly run): one read of the records that can still
    count, the scorecard per enterprise, bulk writes where something changed."""
    m = current_methodology()
    weights = Weights(m)
    now = utcnow()
    oldest = now - max(s.window for s in m.severities.values())
    with db.transaction() as session:
        _serialise_scoring(session)
        conn = session.connection()
        merchant_ids = enterprises.ids_of_kind(session, "merchant")
        previous = _previous(session)
        sql = (
            f"SELECT enterprise_id, id, kind, severity, {_epoch_sql(db, 'occurred_at')}, status "  # noqa: S608 - fixed SQL per dialect
            "FROM credit_record WHERE status IN ('active', 'under_review') AND occurred_at > {param}"
        )
        # The driver's own cursor: a million rows do not need SQLAlchemy's per-row processing.
        driver = conn.connection.driver_connection
        assert driver is not None  # a live connection's
        cursor = driver.cursor()
        if db.is_sqlite:
            cursor.execute(sql.format(param="?"), (oldest.replace(tzinfo=None).isoformat(" "),))
        else:
            cursor.execute(sql.format(param="%s"), (oldest,))
        by_enterprise: dict[int, list[Entry]] = {}
        for ent_id, rid, kind, severity, at, status in cursor.fetchall():
            by_enterprise.setdefault(ent_id, []).append(Entry(rid, kind, severity, float(at), status))
        cursor.close()
        changes = []
        for ent_id in merchant_ids:
            change = _change(
                ent_id, score(m, by_enterprise.get(ent_id, ()), now, weights), previous.get(ent_id), now
            )
            if change is not None:
                changes.append(change)
        _write(session, changes, trigger)
    return {
        "enterprises": len(merchant_ids),
        "changed": len(changes),
        "grades_changed": sum(1 for c in changes if c.previous_grade != c.standing["grade"]),
    }


def grade_of(session: Session, enterprise_id: int) -> dict[str, Any] | None:
    """The enterprise's current grade as other domains and pages show it (None: not rated)."""
    s = session.get(CreditStanding, enterprise_id)
    if s is None:
        return None
    m = current_methodology()
    return {
        "grade": s.grade,
        **(grade_names(m, s.grade) if s.grade in {g.code for g in m.grades} else {}),
        "score": s.score,
        "methodology_version": s.methodology_version,
        "computed_at": as_utc(s.computed_at).isoformat(),
        "reasons": s.explanation.get("reasons", []),
        "capped_by": s.explanation.get("capped_by"),
        "list": list_of(s.grade, s.explanation.get("capped_by")),
    }


def grade_codes() -> tuple[str, ...]:
    """The grades of the methodology in force, best first (what a grade filter may name)."""
    return tuple(g.code for g in current_methodology().grades)


def grade_code(session: Session, enterprise_id: int) -> str | None:
    s = session.get(CreditStanding, enterprise_id)
    return s.grade if s else None


def grades_of(session: Session, enterprise_ids: list[int]) -> dict[int, str]:
    """The current grade of each rated enterprise among `enterprise_ids` (unrated ones are absent)."""
    if not enterprise_ids:
        return {}
    rows = session.exec(
        select(CreditStanding.enterprise_id, CreditStanding.grade).where(
            col(CreditStanding.enterprise_id).in_(set(enterprise_ids))
        )
    )
    return dict(rows.all())


def graded(session: Session, grades: list[str]) -> list[int]:
    """The enterprises whose current grade is one of `grades` (a registry filter by grade)."""
    return list(
        session.exec(
            select(CreditStanding.enterprise_id)
            .where(col(CreditStanding.grade).in_(set(grades)))
            .order_by(col(CreditStanding.enterprise_id))
        )
    )


def history(session: Session, enterprise_id: int, limit: int = 100) -> list[CreditScore]:
    return list(
        session.exec(
            select(CreditScore)
            .where(CreditScore.enterprise_id == enterprise_id)
            .order_by(col(CreditScore.computed_at).desc(), col(CreditScore.id).desc())
            .limit(limit)
        )
    )


def scorecard_view(session: Session, enterprise_id: int, *, public: bool) -> dict[str, Any]:
    """The score explained: grade, dimensions, top reasons, and each record's contribution now."""
    ent = enterprises.get(session, enterprise_id)
    if ent.kind != "merchant":
        raise NotFound(f"{ent.name_zh} is a {ent.kind}: credit grades are given to merchants only")
    m = current_methodology()
    now = utcnow()
    card, records = compute(session, enterprise_id, now)
    if public:
        shown = {r.id for r in records_of(session, enterprise_id, public_only=True)}
        records = [r for r in records if r.id in shown]
    return {
        "enterprise": {"id": ent.id, "uscc": ent.uscc, "name_zh": ent.name_zh, "name_en": ent.name_en},
        "as_of": now.isoformat(),
        **card.explanation(),
        **grade_names(m, card.grade),
        "dimension_names": {
            d.code: {"zh": d.name_zh, "en": d.name_en, "max": d.max} for d in m.dimensions.values()
        },
        "records": [
            record_public(r) | {"points_now": round(card.contributions.get(id_of(r), 0.0), 1)}
            for r in records
        ],
        "list": list_of(card.grade, card.capped_by),
    }


def list_of(grade: str, capped_by: int | None) -> str | None:
    """Red list (守信激励) for the best grade, black list (失信惩戒) for a cap or the worst grade."""
    m = current_methodology()
    if capped_by is not None or grade == m.grades[-1].code:
        return "black"
    if grade == m.grades[0].code:
        return "red"
    return None


def listed(session: Session, which: str, limit: int = 500, offset: int = 0) -> list[dict[str, Any]]:
    m = current_methodology()
    if which == "red":
        cond = CreditStanding.grade == m.grades[0].code
    elif which == "black":
        cond = CreditStanding.grade == m.grades[-1].code
    else:
        raise Invalid.field("list", "must be red or black")
    standings = list(
        session.exec(
            select(CreditStanding)
            .where(cond)
            .order_by(col(CreditStanding.score).desc() if which == "red" else col(CreditStanding.score))
            .limit(limit)
            .offset(offset)
        )
    )
    profiles = enterprises.public_profiles(session, (s.enterprise_id for s in standings))
    return [
        {
            "enterprise_id": s.enterprise_id,
            "uscc": profiles[s.enterprise_id]["uscc"],
            "name_zh": profiles[s.enterprise_id]["name_zh"],
            "name_en": profiles[s.enterprise_id]["name_en"],
            "grade": s.grade,
            "score": s.score,
            "since": as_utc(s.computed_at).isoformat(),
            "reasons": s.explanation.get("reasons", []),
        }
        for s in standings
    ]
