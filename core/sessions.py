"""Page sessions held on the server (会话): the browser's cookie carries a random session id, the database
keeps only its hash, so signing out, signing out everywhere and revoking the key end a session at once.

Who a session's key is, and whether the key is still good, is read in the same query as the session row
(`core.security.principal_of_session`): one read by primary key per page. `last_seen_at` is written at
most once per `TOUCH_EVERY`, so a busy page costs no write per request. Rows long expired are pruned
whenever a session starts (one indexed delete), so the table holds about a week of sign-ins.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlmodel import Field, Session, SQLModel, col, select

from core.clock import utcnow
from core.db import UtcDateTime, affected

LIFETIME = timedelta(hours=8)  # a working day; then sign in again
TOUCH_EVERY = timedelta(minutes=1)
# How long an expired row is kept (it shows nowhere; kept only so a replayed cookie finds a dead row,
# not none, for a while): then the next sign-in deletes it.
KEEP_AFTER_EXPIRY = timedelta(days=7)


class PageSession(SQLModel, table=True):
    __tablename__ = "page_session"

    # SHA-256 of the session id the cookie carries: a copy of the table signs nobody in.
    id: str = Field(primary_key=True, max_length=64)
    key_id: int = Field(foreign_key="api_key.id", index=True)
    created_at: datetime = Field(sa_type=UtcDateTime)
    last_seen_at: datetime = Field(sa_type=UtcDateTime)
    expires_at: datetime = Field(sa_type=UtcDateTime, index=True)
    ended_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


def session_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(session: Session, key_id: int, *, lifetime: timedelta = LIFETIME) -> str:
    """A new session for the key; returns the session id in clear, for the cookie only."""
    now = utcnow()
    prune(session, now)
    token = secrets.token_urlsafe(32)
    session.add(
        PageSession(
            id=session_hash(token),
            key_id=key_id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + lifetime,
        )
    )
    session.flush()
    return token


def end(session: Session, token: str) -> bool:
    """End the session the cookie names (again is no change); whether a live one was ended."""
    result = session.execute(
        update(PageSession)
        .where(col(PageSession.id) == session_hash(token), col(PageSession.ended_at).is_(None))
        .values(ended_at=utcnow())
    )
    return affected(result) > 0


def end_all_of_key(session: Session, key_id: int) -> int:
    """End every session of the key that has not ended (signing out everywhere, revoking the key)."""
    now = utcnow()
    result = session.execute(
        update(PageSession)
        .where(
            col(PageSession.key_id) == key_id,
            col(PageSession.ended_at).is_(None),
            col(PageSession.expires_at) > now,
        )
        .values(ended_at=now)
    )
    return affected(result)


def live_of_key(session: Session, key_id: int) -> list[PageSession]:
    """The key's sessions still live (not ended, not expired), the most recently seen first."""
    return list(
        session.exec(
            select(PageSession)
            .where(
                PageSession.key_id == key_id,
                col(PageSession.ended_at).is_(None),
                PageSession.expires_at > utcnow(),
            )
            .order_by(col(PageSession.last_seen_at).desc(), col(PageSession.created_at).desc())
        ).all()
    )


def touch(session: Session, hashed: str) -> None:
    """Note that the session was used now (the page calls it at most once per TOUCH_EVERY)."""
    now = utcnow()
    session.execute(
        update(PageSession)
        .where(col(PageSession.id) == hashed, col(PageSession.last_seen_at) < now - TOUCH_EVERY)
        .values(last_seen_at=now)
    )


def prune(session: Session, now: datetime | None = None) -> int:
    """Delete the rows that expired more than KEEP_AFTER_EXPIRY ago (an ended row expires too)."""
    cutoff = (now or utcnow()) - KEEP_AFTER_EXPIRY
    return affected(session.execute(delete(PageSession).where(col(PageSession.expires_at) < cutoff)))
