"""Checking the log from outside, given only its base URL and its verifier key (`crosstrust log verify`):
the checkpoint's signature, the tree's root recomputed from the tiles, a leaf's inclusion computed from
the tiles (the JSON API only says where the leaf is: its bytes come from the entry bundle), a code's path
to its batch's root, and the consistency of an earlier checkpoint with the latest.

Nothing here trusts the server beyond what the signed checkpoint commits to."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from translog import merkle, tiles
from translog.cosign import WitnessKey, cosigned_by
from translog.note import Checkpoint, NoteError, Verifier, open_note

Fetch = Callable[[str], bytes]  # the body of a GET, raising on anything but 200


class VerifyError(ValueError):
    """What the server showed does not verify: the message says which check failed."""


def _b64(text: str) -> bytes:
    return base64.b64decode(text, validate=True)


@dataclass
class Log:
    """A served log as its tiles show it, at the size of a verified checkpoint."""

    base: str
    verifier: Verifier
    fetch: Fetch
    checkpoint: Checkpoint | None = None
    note: bytes = b""
    _tiles: dict[str, bytes] = field(default_factory=dict)

    def url(self, path: str) -> str:
        return self.base.rstrip("/") + "/" + path.lstrip("/")

    def open(self, note: bytes) -> Checkpoint:
        try:
            opened = open_note(note, [self.verifier])
            cp = Checkpoint.parse(opened.text)
        except NoteError as exc:
            raise VerifyError(f"checkpoint: {exc}") from exc
        if cp.origin != self.verifier.name:
            raise VerifyError(
                f"checkpoint: origin {cp.origin!r} is not the key's name {self.verifier.name!r}"
            )
        return cp

    def latest(self) -> Checkpoint:
        self.note = self.fetch(self.url("tlog/checkpoint"))
        self.checkpoint = self.open(self.note)
        return self.checkpoint

    def cosigners(self, witnesses: Sequence[str], quorum: int) -> list[dict[str, Any]]:
        """The witnesses (of those given) whose cosignatures of the checkpoint hold, with their times;
        VerifyError when fewer than `quorum` did."""
        keys = [WitnessKey.parse(w) for w in witnesses]
        try:
            found = cosigned_by(self.note.decode(), keys)
        except (NoteError, UnicodeDecodeError) as exc:
            raise VerifyError(f"checkpoint: {exc}") from exc
        if len(found) < quorum:
            raise VerifyError(
                f"checkpoint: cosigned by {len(found)} of the {len(keys)} witnesses given, fewer than {quorum}"
            )
        return [
            {"witness": name, "at": datetime.fromtimestamp(ts, UTC).isoformat()}
            for name, ts in sorted(found.items())
        ]

    @property
    def size(self) -> int:
        if self.checkpoint is None:
            raise VerifyError("no checkpoint read yet")
        return self.checkpoint.size

    def _tile(self, t: tiles.Tile) -> bytes:
        path = t.path()
        if path not in self._tiles:
            self._tiles[path] = self.fetch(self.url("tlog/" + path))
        return self._tiles[path]

    def read(self, nodes: Sequence[merkle.Node]) -> dict[merkle.Node, bytes]:
        """Nodes of the tree at the checkpoint's size, from its tiles: a node at level 8L + k is
        hashed up from the 2**k hashes of the tile at level L that it covers."""
        out: dict[merkle.Node, bytes] = {}
        for level, idx in nodes:
            tl, k = divmod(level, tiles.HEIGHT)
            first = idx << k
            n = first // tiles.WIDTH
            present = self.size >> (tiles.HEIGHT * tl)  # nodes of level 8L the tree has
            width = min(tiles.WIDTH, present - n * tiles.WIDTH)
            if width < ((first + (1 << k)) - n * tiles.WIDTH):
                raise VerifyError(f"node {level}/{idx} is not in the tree of {self.size}")
            data = self._tile(tiles.Tile(tl, n, width))
            if len(data) != width * merkle.HASH_SIZE:
                raise VerifyError(f"tile {tl}/{n} has {len(data)} bytes, not {width * merkle.HASH_SIZE}")
            start = (first - n * tiles.WIDTH) * merkle.HASH_SIZE
            row = [data[start + i * 32 : start + (i + 1) * 32] for i in range(1 << k)]
            out[(level, idx)] = merkle.MemoryTree(row).root()
        return out

    def check_root(self) -> bytes:
        root = merkle.root(self.size, self.read)
        assert self.checkpoint is not None
        if root != self.checkpoint.root:
            raise VerifyError("the tiles do not hash to the checkpoint's root")
        return root

    def entry(self, index: int) -> bytes:
        n = index // tiles.WIDTH
        width = min(tiles.WIDTH, self.size - n * tiles.WIDTH)
        entries = tiles.unbundle(self._tile(tiles.Tile(None, n, width)))
        if len(entries) != width:
            raise VerifyError(f"entry bundle {n} holds {len(entries)} entries, not {width}")
        return entries[index % tiles.WIDTH]

    def check_inclusion(self, index: int) -> bytes:
        """The entry at `index`, once its inclusion, computed from the tiles, verifies."""
        if index >= self.size:
            raise VerifyError(f"leaf {index} is not in the checkpoint's tree of {self.size}")
        data = self.entry(index)
        proof = merkle.prove_inclusion(index, self.size, self.read)
        assert self.checkpoint is not None
        if not merkle.verify_inclusion(index, self.size, merkle.leaf_hash(data), proof, self.checkpoint.root):
            raise VerifyError(f"leaf {index}: the inclusion proof does not verify")
        return data

    def check_all(self) -> int:
        """The whole tree, from outside: every entry bundle hashes to its tile at level 0, every tile
        level is the roots of the full tiles below it, and the tiles hash to the checkpoint's root.
        Streams the log once (nothing cached but one hash per full tile); returns the entries checked."""
        width_of = tiles.WIDTH
        above: list[bytes] = []
        for n in range((self.size + width_of - 1) // width_of):
            width = min(width_of, self.size - n * width_of)
            entries = tiles.unbundle(self.fetch(self.url("tlog/" + tiles.Tile(None, n, width).path())))
            if len(entries) != width:
                raise VerifyError(f"entry bundle {n} holds {len(entries)} entries, not {width}")
            hashes = [merkle.leaf_hash(e) for e in entries]
            if b"".join(hashes) != self.fetch(self.url("tlog/" + tiles.Tile(0, n, width).path())):
                raise VerifyError(f"entry bundle {n}: its entries do not hash to tile 0/{n}")
            if width == width_of:
                above.append(merkle.MemoryTree(hashes).root())
        level = 1
        while above:
            full: list[bytes] = []
            for n in range((len(above) + width_of - 1) // width_of):
                row = above[n * width_of : (n + 1) * width_of]
                if b"".join(row) != self.fetch(self.url("tlog/" + tiles.Tile(level, n, len(row)).path())):
                    raise VerifyError(f"tile {level}/{n}: not the roots of the full tiles below it")
                if len(row) == width_of:
                    full.append(merkle.MemoryTree(row).root())
            above, level = full, level + 1
        self.check_root()
        return self.size

    def check_consistency(self, earlier: Checkpoint) -> None:
        if earlier.size > self.size:
            raise VerifyError(
                f"the earlier checkpoint ({earlier.size}) is larger than the latest ({self.size})"
            )
        if earlier.size == 0:
            return
        assert self.checkpoint is not None
        proof = merkle.prove_consistency(earlier.size, self.size, self.read)
        if not merkle.verify_consistency(earlier.size, self.size, earlier.root, self.checkpoint.root, proof):
            raise VerifyError(f"the tree of {earlier.size} is not a prefix of the latest: the log forked")


def _api(log: Log, path: str) -> dict[str, Any]:
    found = json.loads(log.fetch(log.url(path)))
    if not isinstance(found, dict) or "leaf_index" not in found:
        raise VerifyError(f"{path}: not a proof")
    return found


def _leaf(log: Log, found: dict[str, Any], what: str) -> dict[str, Any]:
    index = int(found["leaf_index"])
    data = log.check_inclusion(index)
    if base64.b64encode(data).decode() != found["leaf"]:
        raise VerifyError(f"{what}: the API's leaf is not the log's entry {index}")
    leaf = json.loads(data)
    return {"index": index, "leaf": leaf}


def verify(
    base: str,
    vkey: str,
    fetch: Fetch,
    *,
    records: Sequence[tuple[int, int | None]] = (),
    grades: Sequence[int] = (),
    serials: Sequence[str] = (),
    earlier: bytes | None = None,
    witnesses: Sequence[str] = (),
    quorum: int | None = None,
    check_published: bool = False,
    whole: bool = False,
) -> dict[str, Any]:
    """Every check asked for, or VerifyError naming the first that failed. Given witnesses' keys, the
    checkpoint must carry the cosignatures of `quorum` of them (one, by default). `whole` checks every
    entry and tile of the tree (Log.check_all), not only those the root and the records need."""
    log = Log(base, Verifier.parse(vkey), fetch)
    cp = log.latest()
    cosigned = log.cosigners(witnesses, min(1, len(witnesses)) if quorum is None else quorum)
    log.check_root()
    report: dict[str, Any] = {
        "origin": cp.origin,
        "size": cp.size,
        "root": base64.b64encode(cp.root).decode(),
        "cosigned_by": cosigned,
    }
    if whole:
        report["entries_checked"] = log.check_all()
    if earlier is not None:
        old = log.open(earlier)
        log.check_consistency(old)
        report["consistent_with"] = old.size
    checked: list[dict[str, Any]] = []
    for record_id, version in records:
        path = f"api/v1/tlog/proof/record/{record_id}" + (f"?version={version}" if version else "")
        checked.append({"record": record_id, **_leaf(log, _api(log, path), f"record {record_id}")})
    for enterprise_id in grades:
        found = _api(log, f"api/v1/tlog/proof/grade/{enterprise_id}")
        checked.append({"grade_of": enterprise_id, **_leaf(log, found, f"grade of {enterprise_id}")})
    for serial in serials:
        checked.append({"serial": serial, **_code(log, serial)})
    report["checked"] = checked
    if check_published:
        problems = published_records(log)
        if problems:
            raise VerifyError("; ".join(problems))
    return report


def _code(log: Log, serial: str) -> dict[str, Any]:
    found = _api(log, f"api/v1/tlog/proof/code/{serial}")
    code = found.get("code") or {}
    got = _leaf(log, found, f"code {serial}")
    root = _b64(got["leaf"]["record"]["serials_root"])
    proof = [_b64(h) for h in code.get("proof", [])]
    index, size = int(code.get("index", -1)), int(code.get("batch_size", 0))
    if not merkle.verify_inclusion(index, size, merkle.leaf_hash(serial.encode()), proof, root):
        raise VerifyError(f"code {serial}: its path to the batch's root does not verify")
    return {**got, "batch_index": index, "batch_size": size}


def published_records(log: Log) -> list[str]:
    """The monitor's second check: each subject's latest entry in the log (its inclusion verified from
    the tiles) against the record the platform publishes now (GET /api/v1/tlog/current/<subject>);
    what changed without a new leaf, named. Reads every entry bundle of the checkpoint's tree."""
    from translog.current import CHECKED_KINDS, differs

    latest: dict[str, int] = {}
    for n in range((log.size + tiles.WIDTH - 1) // tiles.WIDTH):
        width = min(tiles.WIDTH, log.size - n * tiles.WIDTH)
        for k, data in enumerate(tiles.unbundle(log._tile(tiles.Tile(None, n, width)))):
            leaf = json.loads(data)
            if leaf.get("kind") in CHECKED_KINDS:
                latest[leaf["subject"]] = n * tiles.WIDTH + k
    found = []
    for subject, index in sorted(latest.items()):
        leaf = json.loads(log.check_inclusion(index))
        try:
            now = json.loads(log.fetch(log.url(f"api/v1/tlog/current/{subject}")))
        except RuntimeError as exc:
            if " 404 " in str(exc):
                continue  # withdrawn or expired
            raise
        problem = differs(index, leaf, now)
        if problem:
            found.append(problem)
    return found
