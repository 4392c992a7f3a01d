"""One Elasticsearch node serves both test workers, and `tests/disclosure/test_search_outage.py` stops and
starts it. Every test that uses the node holds a shared lock on a file beside it for as long as it does;
the outage test holds it exclusively, so it waits for the other worker's Elasticsearch test to end and no
such test starts while the node is down. (Without it, the outage landed in the middle of the other
worker's disclosure tests once the files were handed out in another order: eight of them failed with
connection errors.)"""

from __future__ import annotations

import fcntl
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit


def _path(url: str) -> Path:
    port = urlsplit(url).port or 9200
    return Path(os.environ.get("CROSSTRUST_ES_DIR") or tempfile.gettempdir()) / f".tests-es-{port}.lock"


@contextmanager
def using(url: str, exclusive: bool = False) -> Iterator[None]:
    """Hold the node (shared, or alone) while the block runs; nothing when there is no node (`url` "")."""
    if not url:
        yield
        return
    path = _path(url)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
