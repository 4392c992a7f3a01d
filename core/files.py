"""Files only the platform's own user may read: var/ holds the database, the search index, the code
secret, demo keys and exports of regulator-only records. Folders are 0700, files 0600, from the
moment they exist (created with that mode, not chmod-ed after), and an older install's wider modes
are narrowed when it next starts."""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path
from typing import IO

PRIVATE_UMASK = 0o077  # for the server and the CLI: whatever else they create is private too
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


def narrow(path: Path) -> None:
    """Take group and other permissions off an existing file or folder (a missing one is fine)."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return
    if mode & 0o077:
        os.chmod(path, mode & ~0o077)


def private_dir(path: Path) -> Path:
    """`path` as a folder only its owner may enter (the folders above it are left as they are)."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    narrow(path)
    return path


def open_private(path: Path, mode: str = "wb") -> IO:
    """A file opened for writing (truncated), created 0600; an existing one is narrowed to it."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, stat.S_IMODE(os.fstat(fd).st_mode) & ~0o077)
        return os.fdopen(fd, mode)
    except BaseException:
        os.close(fd)
        raise


def create_private_sqlite(path: Path) -> None:
    """Create an SQLite file empty and 0600 before SQLite opens it (SQLite would make it 0644 less the
    umask); SQLite gives its -wal and -shm files the database file's mode."""
    if str(path) in ("", ":memory:"):
        return
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    narrow_sqlite(path)


def narrow_sqlite(path: Path) -> None:
    """The database file and its side files, as they are now, narrowed to their owner."""
    narrow(path)
    for suffix in SQLITE_SIDE_FILES:
        narrow(path.with_name(path.name + suffix))
