"""What anyone may read without a key: rate-limited per client."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel

from api.deps import DbDep, public_rate_limit
from core import audit
from enterprises import service
from enterprises.schemas import EnterprisePublic

router = APIRouter(prefix="/api/v1/public", tags=["public"], dependencies=[Depends(public_rate_limit)])


@router.get(
    "/enterprises/{uscc}", response_model=EnterprisePublic, summary="Look up an enterprise by its USCC"
)
def enterprise_by_uscc(
    db: DbDep, uscc: str = Path(description="Unified social credit code")
) -> EnterprisePublic:
    with db.read_session() as s:
        return EnterprisePublic.model_validate(service.get_by_uscc(s, uscc))


class AuditCheckpointOut(BaseModel):
    seq: int
    head_hash: str
    at: str
    key_id: str
    signature: str


class AuditCheckpoints(BaseModel):
    algorithm: str
    public_key: str
    key_id: str
    message: str
    checkpoints: list[AuditCheckpointOut]


@router.get(
    "/audit/checkpoints",
    response_model=AuditCheckpoints,
    summary="Signed checkpoints of the audit ledger, with the key that verifies them",
)
def audit_checkpoints(
    db: DbDep,
    after_seq: Annotated[int, Query(ge=0, le=2**62, description="Checkpoints after this entry")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    """Keep copies: `crosstrust audit verify --published` compares the ledger with them, so that a
    ledger rewritten or cut short by whoever holds the database shows. Each signature is Ed25519
    over `message` with the checkpoint's fields filled in."""
    import base64

    keys = audit.keys_of(db)
    with db.read_session() as s:
        found = audit.checkpoints(s, after_seq, limit)
    return {
        "algorithm": "Ed25519",
        "public_key": base64.b64encode(keys.public_raw).decode(),
        "key_id": keys.key_id,
        "message": audit.CHECKPOINT_FORMAT,
        "checkpoints": [cp.public() for cp in found],
    }
