"""Sources (the agencies that deliver) and their keys, and the old registration numbers a USCC replaced."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlmodel import Session, select

from core import audit
from core.clock import utcnow
from core.errors import Conflict, Invalid, NotFound, Unauthorized
from core.security import Principal
from enterprises import service as enterprises
from intake.models import IntakeOldRegNo, IntakeSource
from intake.schemas import SourceCreate

KEY_PREFIX = "cts_"


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def register(session: Session, data: SourceCreate, by: Principal) -> tuple[IntakeSource, str]:
    """A new source and its key, shown this once."""
    if session.exec(select(IntakeSource).where(IntakeSource.code == data.code)).first() is not None:
        raise Conflict(f"a source {data.code!r} is registered already", field="code")
    prefix = secrets.token_hex(4)
    key = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    src = IntakeSource(
        code=data.code,
        name_zh=data.name_zh,
        name_en=data.name_en,
        key_prefix=prefix,
        key_hash=_hash(key),
        created_by=by.actor,
        created_at=utcnow(),
    )
    session.add(src)
    session.flush()
    audit.record(session, by.actor, "intake.source_registered", "intake_source", src.id, {"code": src.code})
    return src, key


def authenticate(session: Session, key: str) -> IntakeSource:
    parts = key.split("_")
    if len(parts) < 3 or not key.startswith(KEY_PREFIX):
        raise Unauthorized("not a source key")
    src = session.exec(select(IntakeSource).where(IntakeSource.key_prefix == parts[1])).first()
    if src is None or not hmac.compare_digest(src.key_hash, _hash(key)):
        raise Unauthorized("unknown source key")
    return src


def by_code(session: Session, code: str) -> IntakeSource:
    src = session.exec(select(IntakeSource).where(IntakeSource.code == code)).first()
    if src is None:
        raise NotFound(f"no source {code!r}")
    return src


def listed(session: Session) -> list[IntakeSource]:
    return list(session.exec(select(IntakeSource).order_by(IntakeSource.code)))


def add_old_reg_no(session: Session, old_reg_no: str, uscc: str, by: Principal) -> IntakeOldRegNo:
    """Record that `old_reg_no` (a 工商注册号 or 组织机构代码) was replaced by this enterprise's USCC."""
    old = old_reg_no.strip().upper()
    if not old or len(old) > 30:
        raise Invalid.field("old_reg_no", "1 to 30 characters")
    ent = enterprises.get_by_uscc(session, uscc)
    row = session.get(IntakeOldRegNo, old)
    if row is not None:
        if row.enterprise_id != ent.id:
            raise Conflict(f"{old} belongs to enterprise {row.enterprise_id}", field="old_reg_no")
        return row
    row = IntakeOldRegNo(old_reg_no=old, enterprise_id=ent.id, created_at=utcnow())  # type: ignore[arg-type]
    session.add(row)
    audit.record(session, by.actor, "intake.old_reg_no_added", "enterprise", ent.id, {"old_reg_no": old})
    return row
