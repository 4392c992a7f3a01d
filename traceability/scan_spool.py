"""The scan spool: every answered scan is a line in a file before its answer leaves, so that a process
killed with SIGKILL loses none of the scans it answered but had not yet written (issue 22).

- Before the answer, `append` hands the record to the kernel with one `write()` on an O_APPEND file:
  what `write()` returned is in the page cache and survives the death of the process (not a power cut:
  there is no fsync, which would cost a disk flush per scan).
- The writer takes its batch and `rotate`s in one step, so a segment file holds exactly the records of
  one batch. The batch is written in one transaction together with a row naming the segment
  (`scan_spool_done`); then the file is removed, and the row with the next batch.
- A segment's file stays locked (`flock`) by its process until it is written and removed. On start,
  `replay` takes every segment no live process holds: one whose row exists was written already and is
  only removed; any other is written (records and row, one transaction) and removed. A replay run twice,
  or by two processes starting at once, writes each record once.
"""

from __future__ import annotations

import fcntl
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import orjson

log = logging.getLogger(__name__)

SUFFIX = ".spool"


@dataclass(frozen=True)
class Segment:
    """A closed segment of the spool: its name (its row in scan_spool_done) and its open, locked file."""

    name: str
    path: Path
    fd: int


def decode(line: bytes) -> tuple:
    """A spooled record back into RECORD_FIELDS order (scanned_at, the fifth, as a datetime)."""
    values = orjson.loads(line)
    values[4] = datetime.fromisoformat(values[4])
    return tuple(values)


class ScanSpool:
    """One process's spool in `folder` (shared by the processes of a host: each has its own files)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self._prefix = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._seq = 0
        self._current: Segment | None = None  # opened on the first record

    def _open(self) -> Segment:
        """A new segment, locked before it gets its final name: a replaying process never sees it free."""
        self._seq += 1
        name = f"{self._prefix}-{self._seq:09d}"
        path = self.folder / (name + SUFFIX)
        temporary = self.folder / (name + ".new")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.rename(temporary, path)
        return Segment(name, path, fd)

    def append(self, record: tuple) -> None:
        if self._current is None:
            self._current = self._open()
        os.write(self._current.fd, orjson.dumps(record, option=orjson.OPT_APPEND_NEWLINE))

    def rotate(self) -> Segment:
        """Close the current segment to new records (the caller's batch is its records); the next record
        opens another."""
        if self._current is None:
            self._current = self._open()
        closed, self._current = self._current, None
        return closed

    def done(self, segment: Segment) -> None:
        """The segment's records and row are committed: its file goes."""
        segment.path.unlink(missing_ok=True)
        os.close(segment.fd)

    def release(self, segment: Segment) -> None:
        """Writing the segment failed: its file stays for a replay (this process's next start, or another's)."""
        os.close(segment.fd)

    def close(self, *, drained: bool) -> None:
        """A stop: the current segment goes if the writer drained (it holds nothing unwritten), and
        otherwise stays for a replay."""
        if self._current is not None:
            (self.done if drained else self.release)(self._current)
            self._current = None


def replay(
    folder: Path, write: Callable[[list[tuple], str], None], is_done: Callable[[str], bool]
) -> tuple[int, list[str]]:
    """Write the records of every segment in `folder` no live process holds (see the module's text);
    `write(records, name)` commits them with the segment's row, `is_done(name)` says whether that row
    exists. Returns how many records were written, and the names of the segments removed (whose rows
    can go)."""
    written = 0
    names: list[str] = []
    if not folder.is_dir():
        return written, names
    for path in sorted(folder.glob("*.new")):  # killed between creating a segment and naming it: empty
        _remove_if_free(path)
    for path in sorted(folder.glob("*" + SUFFIX)):
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:  # another process replayed it meanwhile
            continue
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # a live process's segment
            if not path.exists():  # replayed and removed by another process while we waited
                continue
            name = path.name.removesuffix(SUFFIX)
            if not is_done(name):
                with open(path, "rb") as fh:
                    # A line cut short by the kill (its write never returned) was never answered: skip it.
                    records = [decode(line) for line in fh.read().split(b"\n") if line.endswith(b"]")]
                if records:
                    write(records, name)
                    written += len(records)
                    log.warning("replayed %d answered scans from the spool segment %s", len(records), name)
            path.unlink(missing_ok=True)
            names.append(name)
        finally:
            os.close(fd)
    return written, names


def _remove_if_free(path: Path) -> None:
    try:
        if time.time() - path.stat().st_mtime < 60:  # a live process may be about to lock and name it
            return
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        path.unlink(missing_ok=True)
    except BlockingIOError:
        pass
    finally:
        os.close(fd)
