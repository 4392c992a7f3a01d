"""API keys and roles. Keys are random, shown once, stored as a SHA-256 hash, found by a visible prefix.

The one rule of enterprise scope lives here (`Principal.ensure_may_act_for`): merchant, insurer and bank
keys are bound to one enterprise and may touch only its records; admins and regulators see all (a regulator
key also names its agency, and acts only on that agency's cases: `core.agencies`). So does the
rule of enterprise standing (`Principal.ensure_may_write`): the keys of a suspended or deregistered
enterprise still read its own records but change nothing, from the moment its status changes.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import column, table
from sqlmodel import Field, Session, SQLModel, col, select

from core import audit, sessions
from core.agencies import AGENCIES, DEFAULT_REGION
from core.clock import utcnow
from core.db import UtcDateTime
from core.errors import Forbidden, Invalid, NotFound, Unauthorized
from core.roles import Role

KEY_PREFIX = "ct_"


ENTERPRISE_BOUND = {Role.merchant, Role.insurer, Role.bank}
# The enterprise registry's table, by name only: core imports no domain, but a key's standing is its
# enterprise's status, read in the same query that finds the key (enterprises.models owns the table).
_enterprise = table("enterprise", column("id"), column("status"), column("status_reason"))
ACTIVE = "active"


class ApiKey(SQLModel, table=True):
    __tablename__ = "api_key"

    id: int | None = Field(default=None, primary_key=True)
    prefix: str = Field(max_length=16, unique=True, index=True)
    key_hash: str = Field(max_length=64)
    role: str = Field(max_length=16)
    enterprise_id: int | None = Field(default=None, foreign_key="enterprise.id", index=True)
    agency: str | None = Field(default=None, max_length=6)  # a regulator's agency (GB/T 2260 division)
    label: str = Field(default="", max_length=200)
    created_at: datetime = Field(sa_type=UtcDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


@dataclass(frozen=True)
class Principal:
    """Who is calling: a key's role and, for merchants, insurers and banks, its enterprise."""

    key_id: int | None
    role: Role
    enterprise_id: int | None
    prefix: str = ""
    # The bound enterprise's status when the key was presented (active, suspended, deregistered).
    enterprise_status: str = ACTIVE
    enterprise_status_reason: str = ""
    # A regulator's agency (division code): it acts only on that agency's cases (core.agencies).
    agency: str | None = None

    @property
    def actor(self) -> str:
        return f"{self.role}:{self.prefix}" if self.prefix else str(self.role)

    def require_role(self, *roles: Role) -> None:
        if self.role not in roles:
            allowed = ", ".join(sorted(r.value for r in roles))
            raise Forbidden(f"this action needs one of the roles: {allowed}; your key is {self.role}")

    def ensure_may_act_for(self, enterprise_id: int | None) -> None:
        """The single enterprise-scope check every scoped endpoint and resource load goes through."""
        if self.role in ENTERPRISE_BOUND and (enterprise_id is None or enterprise_id != self.enterprise_id):
            raise Forbidden("your key is bound to another enterprise and cannot see or change this record")

    def ensure_may_write(self) -> None:
        """The single standing check: every request that changes something goes through it (api.deps)."""
        if self.role in ENTERPRISE_BOUND and self.enterprise_status != ACTIVE:
            reason = f" ({self.enterprise_status_reason})" if self.enterprise_status_reason else ""
            raise Forbidden(
                f"enterprise {self.enterprise_id} is {self.enterprise_status}{reason}: its keys may still"
                " read its records but cannot change anything",
                enterprise_id=self.enterprise_id,
                enterprise_status=self.enterprise_status,
            )


SYSTEM = Principal(key_id=None, role=Role.admin, enterprise_id=None, prefix="system")


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_key(
    session: Session,
    role: Role | str,
    enterprise_id: int | None = None,
    label: str = "",
    agency: str | None = None,
) -> str:
    """Create a key and return it in clear: the only time it is ever shown. A regulator's key acts for
    `agency` (the bonded zone's own when none is named); no other key names an agency."""
    try:
        role = Role(role)
    except ValueError:
        raise Invalid.field(
            "role", f"unknown role '{role}'; one of {', '.join(r.value for r in Role)}"
        ) from None
    if role in ENTERPRISE_BOUND and enterprise_id is None:
        raise Invalid.field("enterprise", f"a {role} key must be bound to an enterprise")
    if role not in ENTERPRISE_BOUND and enterprise_id is not None:
        raise Invalid.field("enterprise", f"a {role} key is not bound to an enterprise")
    if role == Role.regulator:
        agency = agency or DEFAULT_REGION
        if agency not in AGENCIES:
            raise Invalid.field("agency", f"no agency is known for division {agency}")
    elif agency is not None:
        raise Invalid.field("agency", f"a {role} key does not act for an agency; only a regulator's does")
    prefix = secrets.token_hex(4)
    key = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    session.add(
        ApiKey(
            prefix=prefix,
            key_hash=_hash(key),
            role=role.value,
            enterprise_id=enterprise_id,
            agency=agency,
            label=label,
            created_at=utcnow(),
        )
    )
    session.flush()
    return key


def issue_key(
    session: Session,
    role: Role | str,
    enterprise_id: int | None = None,
    label: str = "",
    *,
    by: str,
    agency: str | None = None,
) -> str:
    """Create a key for an admin (the API or the CLI) and record it in the audit ledger, in the caller's
    transaction; returns the key in clear, the only time it is shown."""
    if enterprise_id is not None and (
        session.exec(select(_enterprise.c.id).where(_enterprise.c.id == enterprise_id)).first() is None
    ):
        raise NotFound(f"no enterprise with id {enterprise_id}", field="enterprise_id")
    key = create_key(session, role, enterprise_id, label, agency)
    state = {"role": Role(role).value, "enterprise_id": enterprise_id, "label": label}
    if Role(role) == Role.regulator:
        state["agency"] = agency or DEFAULT_REGION
    audit.record(session, by, "api_key.created", "api_key", key.split("_")[1], state)
    return key


def list_keys(session: Session) -> list[ApiKey]:
    """Every key, oldest first (its prefix and role; the key itself is never stored)."""
    return list(session.exec(select(ApiKey).order_by(col(ApiKey.id))).all())


def authenticate(session: Session, key: str) -> Principal:
    parts = key.split("_")
    if len(parts) < 3 or not key.startswith(KEY_PREFIX):
        raise Unauthorized("the API key is malformed")
    prefix = parts[1]
    found = session.exec(
        select(ApiKey, _enterprise.c.status, _enterprise.c.status_reason)
        .outerjoin(_enterprise, _enterprise.c.id == ApiKey.enterprise_id)
        .where(ApiKey.prefix == prefix)
    ).first()
    row, status, status_reason = found if found is not None else (None, None, None)
    if row is None or not hmac.compare_digest(row.key_hash, _hash(key)):
        raise Unauthorized("the API key is not valid")
    if row.revoked_at is not None:
        raise Unauthorized("the API key has been revoked")
    return _principal(row, status, status_reason)


def principal_of_session(session: Session, session_hash: str) -> tuple[Principal, datetime] | None:
    """The principal of a live page session and when it was last seen, or None: the session row, its
    key and the key's enterprise in one read by primary key. A session ended (sign-out, sign-out
    everywhere), expired, or whose key was revoked is no session."""
    found = session.exec(
        select(ApiKey, _enterprise.c.status, _enterprise.c.status_reason, sessions.PageSession.last_seen_at)
        .join(sessions.PageSession, col(sessions.PageSession.key_id) == ApiKey.id)
        .outerjoin(_enterprise, _enterprise.c.id == ApiKey.enterprise_id)
        .where(
            sessions.PageSession.id == session_hash,
            col(sessions.PageSession.ended_at).is_(None),
            sessions.PageSession.expires_at > utcnow(),
            col(ApiKey.revoked_at).is_(None),
        )
    ).first()
    if found is None:
        return None
    row, status, status_reason, last_seen = found
    return _principal(row, status, status_reason), last_seen


def _principal(row: ApiKey, status: str | None, status_reason: str | None) -> Principal:
    return Principal(
        key_id=row.id,
        role=Role(row.role),
        enterprise_id=row.enterprise_id,
        prefix=row.prefix,
        enterprise_status=status or ACTIVE,
        enterprise_status_reason=status_reason or "",
        agency=(row.agency or DEFAULT_REGION) if row.role == Role.regulator else None,
    )


def revoke_key(session: Session, prefix: str, *, by: str) -> ApiKey:
    """Revoke the key with `prefix` (again is no change) and record it in the audit ledger."""
    row = session.exec(select(ApiKey).where(ApiKey.prefix == prefix)).first()
    if row is None:
        raise NotFound(f"no API key with prefix '{prefix}'")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.add(row)
    # The key's page sessions end with it (the page's read refuses a revoked key anyway; ended rows
    # also leave the key's list of live sessions).
    assert row.id is not None  # read from the table
    sessions.end_all_of_key(session, row.id)
    audit.record(session, by, "api_key.revoked", "api_key", prefix, {"prefix": prefix})
    return row
