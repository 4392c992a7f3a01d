"""The platform's side of witnessing: each new checkpoint is sent to the witnesses it is configured with
(CROSSTRUST_TLOG_WITNESSES) by a scheduled job, as c2sp.org/tlog-witness asks (the size the witness
last cosigned, a consistency proof from it, the signed checkpoint); their cosignatures are checked
against their keys and stored, and published checkpoints carry them.

A checkpoint not yet cosigned waits: the log publishes its latest checkpoint that a witness cosigned,
unless none was cosigned for `UNWITNESSED_AFTER` (witnesses down must not freeze the log; a client
that asks for a quorum of cosignatures then refuses it, and says so)."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlmodel import Session, col, select

from core.clock import utcnow
from core.db import Database
from core.settings import Settings
from translog import service
from translog.cosign import WitnessKey, cosigned_by
from translog.models import TlogCheckpoint, TlogCosignature, TlogWitnessState
from translog.witness import SIZE_TYPE

# (status, content type, body) of a POST of `body` to `url`.
Post = Callable[[str, bytes], tuple[int, str, bytes]]


@dataclass(frozen=True)
class Configured:
    key: WitnessKey
    url: str
    zh: str
    en: str


def configured(settings: Settings) -> list[Configured]:
    return [
        Configured(WitnessKey.parse(w["key"]), w["url"], w["zh"], w["en"])
        for w in settings.tlog_witness_list()
    ]


def post(url: str, body: bytes, timeout: float = 10.0) -> tuple[int, str, bytes]:
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"not an http(s) URL: {url}")
    req = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "text/plain"})  # noqa: S310
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 - scheme checked above
            return resp.status, resp.headers.get("Content-Type", ""), resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Content-Type", ""), exc.read()


def _state(s: Session, name: str) -> TlogWitnessState:
    row = s.get(TlogWitnessState, name)
    return row if row is not None else TlogWitnessState(witness=name, size=0, updated_at=utcnow())


def _body(s: Session, old: int, cp: TlogCheckpoint) -> bytes:
    proof = service.consistency(s, old, cp.size, checkpoint=cp)["proof"] if old else []
    return ("".join(f"{h}\n" for h in [f"old {old}", *proof]) + "\n" + cp.note).encode()


def _ask(db: Database, w: Configured, send: Post) -> str:
    """Send the latest checkpoint to one witness; what happened, in a few words."""
    with db.read_session() as s:
        cp = service.latest_checkpoint(s)
        old = _state(s, w.key.name).size
    if cp is None or old == cp.size:
        return "up to date"
    for _ in range(2):  # a 409 tells the size the witness holds: one more try from there
        if old > cp.size:
            return _failed(db, w, old, f"the witness holds {old} leaves, more than the log's {cp.size}")
        with db.read_session() as s:
            body = _body(s, old, cp)
        status, ctype, answer = send(w.url.rstrip("/") + "/add-checkpoint", body)
        if status == 409 and ctype.startswith(SIZE_TYPE) and answer.strip().isdigit():
            old = int(answer.strip())
            continue
        if status != 200:
            return _failed(db, w, old, f"{status}: {answer[:300].decode(errors='replace')}")
        lines = answer.decode(errors="replace")
        found = cosigned_by(cp.note + lines, [w.key])
        if w.key.name not in found:
            return _failed(db, w, old, "its answer holds no valid cosignature by its key")
        line = next(
            x + "\n" for x in lines.splitlines() if w.key.verify(cp.note[: cp.note.rfind("\n\n") + 1], x)
        )
        with db.transaction() as s:
            s.merge(
                TlogCosignature(
                    size=cp.size,
                    witness=w.key.name,
                    line=line,
                    cosigned_at=datetime.fromtimestamp(found[w.key.name], UTC),
                )
            )
            s.merge(TlogWitnessState(witness=w.key.name, size=cp.size, last_error="", updated_at=utcnow()))
        return f"cosigned {cp.size}"
    return _failed(db, w, old, "the witness's size moved twice")


def _failed(db: Database, w: Configured, old: int, why: str) -> str:
    with db.transaction() as s:
        s.merge(TlogWitnessState(witness=w.key.name, size=old, last_error=why[:1000], updated_at=utcnow()))
    return f"refused or failed: {why}"


def push(settings: Settings, db: Database, send: Post = post) -> dict[str, str]:
    """One round: each configured witness is asked to cosign the latest checkpoint."""
    out: dict[str, str] = {}
    for w in configured(settings):
        try:
            out[w.key.name] = _ask(db, w, send)
        except (OSError, ValueError) as exc:
            out[w.key.name] = _failed(db, w, _size(db, w), f"unreachable: {exc}")
    return out


def _size(db: Database, w: Configured) -> int:
    with db.read_session() as s:
        return _state(s, w.key.name).size


def cosignatures(s: Session, size: int) -> list[TlogCosignature]:
    return list(
        s.exec(
            select(TlogCosignature).where(TlogCosignature.size == size).order_by(col(TlogCosignature.witness))
        )
    )
