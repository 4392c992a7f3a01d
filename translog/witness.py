"""A witness (c2sp.org/tlog-witness): `POST <prefix>/add-checkpoint` with an old size, a consistency
proof and a signed checkpoint; it cosigns (c2sp.org/tlog-cosignature) only a checkpoint signed by a log
it knows and consistent with the last it cosigned for that log, and answers with the cosignature line.

- unknown origin: 404; no valid signature by the log's key: 403; old size above the checkpoint's: 400;
- old size not the size it last cosigned: 409, `text/x.tlog.size`, that size;
- same size with another root, or a proof that does not verify: refused (409 / 422), and the evidence
  is kept: the checkpoint it last cosigned, the one refused and the proof, in `evidence/`.

Its state (per origin: the last cosigned size, root and note) is one JSON file, replaced atomically
(written beside, fsynced, renamed, the folder fsynced) under an exclusive file lock held from the check
of the old size to the write, so two requests cannot roll the size back (the race the spec names)."""

from __future__ import annotations

import base64
import binascii
import fcntl
import hashlib
import json
import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from translog import merkle
from translog.cosign import Cosigner
from translog.note import Checkpoint, NoteError, Verifier, open_note

MAX_BODY = 64 * 1024
MAX_PROOF = 63
SIZE_TYPE = "text/x.tlog.size"
PROBLEM_TYPE = "application/problem+json"


@dataclass(frozen=True)
class Answer:
    status: int
    content_type: str
    body: bytes


def _problem(status: int, field: str, detail: str) -> Answer:
    doc = {
        "type": "about:blank",
        "title": {400: "Bad Request", 403: "Forbidden", 404: "Not Found", 409: "Conflict"}.get(
            status, "Unprocessable Entity"
        ),
        "status": status,
        "detail": detail,
        "errors": [{"field": field, "reason": detail}],
    }
    return Answer(status, PROBLEM_TYPE, json.dumps(doc, ensure_ascii=False).encode())


class Refused(Exception):
    def __init__(self, answer: Answer) -> None:
        super().__init__(answer.body.decode(errors="replace"))
        self.answer = answer


def _refuse(status: int, field: str, detail: str) -> Refused:
    return Refused(_problem(status, field, detail))


@dataclass(frozen=True)
class Request:
    old: int
    proof: list[bytes]
    note: bytes


def parse(body: bytes) -> Request:
    """The add-checkpoint body: `old N`, up to 63 base64 hash lines, a blank line, the signed note."""
    if len(body) > MAX_BODY:
        raise _refuse(400, "body", f"the body is over {MAX_BODY} bytes")
    head, sep, note = body.partition(b"\n\n")
    if not sep:
        raise _refuse(400, "body", "the old size and proof lines end with a blank line")
    lines = head.split(b"\n")
    first = lines[0].decode(errors="replace")
    if not re.fullmatch(r"old (0|[1-9][0-9]{0,18})", first):
        raise _refuse(400, "old", "the first line is `old <size>`, a decimal without leading zeros")
    if len(lines) - 1 > MAX_PROOF:
        raise _refuse(400, "proof", f"at most {MAX_PROOF} consistency proof lines")
    try:
        proof = [base64.b64decode(x, validate=True) for x in lines[1:]]
    except binascii.Error:
        raise _refuse(400, "proof", "each consistency proof line is one hash in base64") from None
    if any(len(h) != merkle.HASH_SIZE for h in proof):
        raise _refuse(400, "proof", "each consistency proof line is a 32-byte hash")
    return Request(int(first[4:]), proof, note)


class Witness:
    def __init__(self, cosigner: Cosigner, logs: list[Verifier], state_dir: Path) -> None:
        self.cosigner = cosigner
        self.logs = {v.name: v for v in logs}
        self.dir = state_dir
        self.dir.mkdir(parents=True, exist_ok=True)
        (self.dir / "evidence").mkdir(exist_ok=True)

    @property
    def state_file(self) -> Path:
        return self.dir / "state.json"

    def state(self) -> dict[str, Any]:
        try:
            return dict(json.loads(self.state_file.read_text(encoding="utf-8")))
        except FileNotFoundError:
            return {}

    @contextmanager
    def _locked(self) -> Iterator[None]:
        with open(self.dir / "lock", "a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _write(self, state: dict[str, Any]) -> None:
        tmp = self.state_file.with_suffix(".tmp")
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(state, fh, indent=1, sort_keys=True)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.state_file)
        fd = os.open(self.dir, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def _evidence(self, why: str, last: dict[str, Any], body: bytes) -> str:
        digest = hashlib.sha256(body).hexdigest()[:16]
        path = self.dir / "evidence" / f"{int(time.time())}-{digest}.json"
        doc = {
            "why": why,
            "last_cosigned_note": last.get("note"),
            "refused_request": body.decode(errors="replace"),
        }
        path.write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
        return path.name

    def _open(self, note: bytes) -> tuple[Checkpoint, str]:
        try:
            origin = note.split(b"\n", 1)[0].decode()
        except UnicodeDecodeError:
            raise _refuse(400, "checkpoint", "a checkpoint is UTF-8") from None
        log = self.logs.get(origin)
        if log is None:
            raise Refused(_problem(404, "checkpoint", f"unknown log origin {origin[:100]!r}"))
        try:
            opened = open_note(note, [log])
        except NoteError as exc:
            raise _refuse(403, "checkpoint", f"not signed by the log's key: {exc}") from None
        try:
            cp = Checkpoint.parse(opened.text)
        except NoteError as exc:
            raise _refuse(400, "checkpoint", str(exc)) from None
        return cp, opened.text

    def add_checkpoint(self, body: bytes) -> Answer:
        try:
            req = parse(body)
            cp, text = self._open(req.note)
            with self._locked():
                return self._add(req, cp, text, body)
        except Refused as refused:
            return refused.answer

    def _add(self, req: Request, cp: Checkpoint, text: str, body: bytes) -> Answer:
        if req.old > cp.size:
            raise _refuse(400, "old", f"the old size {req.old} is above the checkpoint's {cp.size}")
        state = self.state()
        last = state.get(cp.origin, {"size": 0})
        if req.old != last["size"]:
            return Answer(409, SIZE_TYPE, f"{last['size']}\n".encode())
        if req.old == 0 and req.proof:
            raise _refuse(400, "proof", "the proof from size 0 is empty")
        if req.old == cp.size and req.old > 0:
            if base64.b64decode(last["root"]) != cp.root:
                name = self._evidence("same size, another root: a fork", last, body)
                raise _refuse(
                    409, "checkpoint", f"the same size with another root: refused (evidence {name})"
                )
        elif req.old > 0:
            old_root = base64.b64decode(last["root"])
            if not merkle.verify_consistency(req.old, cp.size, old_root, cp.root, req.proof):
                name = self._evidence("the consistency proof does not verify", last, body)
                raise _refuse(
                    422,
                    "proof",
                    f"not consistent with the checkpoint of {req.old} last cosigned: refused (evidence {name})",
                )
        line = self.cosigner.cosign(text, int(time.time()))
        state[cp.origin] = {
            "size": cp.size,
            "root": base64.b64encode(cp.root).decode(),
            "note": req.note.decode(),
        }
        self._write(state)
        return Answer(200, "text/plain; charset=utf-8", line.encode())
