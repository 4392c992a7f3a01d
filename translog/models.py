"""The log's tables: leaves (append-only, numbered from 0), the tree's nodes, and signed checkpoints."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, Index, LargeBinary, SmallInteger, Text
from sqlmodel import Field, SQLModel

from core.db import UtcDateTime


class TlogLeaf(SQLModel, table=True):
    """One entry of the log: its RFC 8785 bytes (what the entry bundles serve) and what it is about,
    so that a record's, a grade's or a batch's leaf is found by its subject and version."""

    __tablename__ = "tlog_leaf"
    __table_args__ = (Index("ix_tlog_leaf_subject", "subject", "version"),)

    idx: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    kind: str = Field(max_length=40)
    subject: str = Field(max_length=120)
    version: int
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    leaf_hash: bytes = Field(sa_column=Column(LargeBinary(32), nullable=False))
    # The outbox event that made the leaf: at most one leaf per event.
    event_id: int | None = Field(default=None, unique=True)
    # When the change was made (its event's time), for the lag to the checkpoint that includes it.
    source_at: datetime = Field(sa_type=UtcDateTime)
    appended_at: datetime = Field(sa_type=UtcDateTime)


class TlogNode(SQLModel, table=True):
    """The hash of a complete subtree: leaves [idx * 2**level, (idx + 1) * 2**level). Written once,
    when its last leaf is appended; tiles and proofs are read from here."""

    __tablename__ = "tlog_node"

    level: int = Field(sa_column=Column(SmallInteger, primary_key=True, autoincrement=False))
    idx: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    hash: bytes = Field(sa_column=Column(LargeBinary(32), nullable=False))


class TlogCheckpoint(SQLModel, table=True):
    """A signed checkpoint of the tree at `size` leaves, as served at /tlog/checkpoint."""

    __tablename__ = "tlog_checkpoint"

    size: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    root_hash: bytes = Field(sa_column=Column(LargeBinary(32), nullable=False))
    note: str = Field(sa_column=Column(Text, nullable=False))
    signed_at: datetime = Field(sa_type=UtcDateTime)
    # The longest a leaf it newly includes waited, from its change to this signature.
    max_lag_seconds: float | None = None


class TlogCosignature(SQLModel, table=True):
    """A witness's cosignature (c2sp.org/tlog-cosignature) of a checkpoint: its signature line, served
    after the log's own signature in the published checkpoint."""

    __tablename__ = "tlog_cosignature"

    size: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    witness: str = Field(primary_key=True, max_length=200)
    line: str = Field(max_length=400)
    cosigned_at: datetime = Field(sa_type=UtcDateTime)


class TlogWitnessState(SQLModel, table=True):
    """What the platform knows of each witness: the size it last cosigned (the `old` of the next
    add-checkpoint), and the last refusal or failure, for the operator."""

    __tablename__ = "tlog_witness_state"

    witness: str = Field(primary_key=True, max_length=200)
    size: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    last_error: str = Field(default="", max_length=1000)
    updated_at: datetime = Field(sa_type=UtcDateTime)
