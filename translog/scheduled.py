"""The log's scheduled job: sign a checkpoint of the tree whenever it grew (once per period across
processes, core.schedule). Its period bounds the lag from a change to a signed checkpoint that includes
it, with the outbox's own delay before the leaf is appended; each checkpoint records the longest wait of
the leaves it newly covers (`tlog_checkpoint.max_lag_seconds`)."""

from __future__ import annotations

from core.db import Database
from core.jobs import DailyJob, IntervalJob
from core.settings import Settings
from translog import service, witnessing
from translog.note import Signer


def signer(settings: Settings) -> Signer:
    return Signer.from_seed(settings.tlog_origin_line(), settings.tlog_signing_seed())


def checkpoint(settings: Settings, db: Database) -> int | None:
    """Sign a checkpoint if the tree grew; returns its size, or None."""
    cp = service.sign_checkpoint(db, signer(settings), settings.tlog_origin_line())
    return None if cp is None else cp.size


def jobs(settings: Settings, db: Database) -> list[IntervalJob | DailyJob]:
    found: list[IntervalJob | DailyJob] = []
    if settings.tlog_checkpoint_seconds:
        found.append(
            IntervalJob(
                "tlog-checkpoint", lambda: checkpoint(settings, db), settings.tlog_checkpoint_seconds, db=db
            )
        )
    if settings.tlog_witness_seconds and settings.tlog_witnesses:
        # The witnesses' outbox: each new checkpoint is sent until every witness has cosigned it or
        # refused it (translog.witnessing keeps the size each last cosigned).
        found.append(
            IntervalJob(
                "tlog-witness", lambda: witnessing.push(settings, db), settings.tlog_witness_seconds, db=db
            )
        )
    return found
