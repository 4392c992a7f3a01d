"""Exports of a disclosure search: streamed (at most EXPORT_CAP rows, as the answer of one request) or as a
job that writes every match to a private file with progress.

A job is a row (export_job) and a file under var/exports. The process running a job renews its lease
(`lease_until`) while it runs; a job left `running` whose lease ran out was cut off by a process that
stopped (a crash, a kill, a deploy). The scheduler's recovery (api.background, once across processes,
also at start-up) claims it and runs it again from the start in its own process, up to MAX_ATTEMPTS
times, then fails it with the reason. The file is rewritten whole: an export was never a snapshot (it
pages through records that may change meanwhile), so a rerun answers the same request as well as the
first run would have. A job another live process runs keeps its lease and is never touched, however
many processes start meanwhile. (Code batches are recovered the same way:
traceability.service.resume_expired.)
"""

from __future__ import annotations

import dataclasses
import functools
import io
import json
import logging
import threading
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import or_, update
from sqlmodel import select

from core import csvsafe
from core.clock import utcnow
from core.db import Database, affected, id_of, table_of
from core.errors import Conflict, NotFound
from core.files import open_private, private_dir
from core.jobs import JobRunner
from disclosure.models import ExportJob
from disclosure.search.base import SearchBackend, SearchQuery, SearchResult

EXPORT_CAP = 100_000  # rows of a streamed export; a job has no cap
PROGRESS_EVERY = 5000  # rows between two progress writes of a job
LEASE_SECONDS = 30.0  # a running job's lease, renewed every third of it
log = logging.getLogger(__name__)
MAX_ATTEMPTS = 3  # runs of one job (the first and two reruns) before it is failed
INTERRUPTED = "interrupted: the server stopped before the export finished; start the export again"
GAVE_UP = f"interrupted {MAX_ATTEMPTS} times: start the export again"
_SEARCH = "_search"  # where the job's row keeps the search it runs, for a rerun
EXPORT_COLUMNS = (
    "id",
    "category",
    "occurred_at",
    "uscc",
    "enterprise_name",
    "title_zh",
    "title_en",
    "body_zh",
    "body_en",
    "origin_country",
    "hs_code",
    "product_category",
    "grade",
)
MEDIA = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson"}


def lines(
    backend: SearchBackend, query: SearchQuery, fmt: str, first: SearchResult, cap: int | None
) -> Iterator[bytes]:
    """The export's bytes, a line at a time, paging on with search_after (a header first for CSV)."""
    result, sent = first, 0
    if fmt == "csv":
        buf = io.StringIO()
        csvsafe.writer(buf).writerow(EXPORT_COLUMNS)
        yield buf.getvalue().encode("utf-8-sig")  # Excel reads UTF-8 with a BOM
    while True:
        for hit in result.hits:
            if cap is not None and sent >= cap:
                return
            hit.pop("highlight", None)
            if fmt == "csv":
                buf = io.StringIO()
                csvsafe.writer(buf).writerow([hit.get(c) for c in EXPORT_COLUMNS])
                yield buf.getvalue().encode()
            else:
                yield json.dumps(hit, ensure_ascii=False).encode() + b"\n"
            sent += 1
        if not result.next_after or (cap is not None and sent >= cap):
            return
        query.after = result.next_after
        result = backend.search(query)


def file_of(var_dir: Path, job_id: int, fmt: str) -> Path:
    """Where a job's file is (regulator-only records: a 0700 folder)."""
    return private_dir(var_dir / "exports") / f"disclosures-{job_id}.{fmt}"


def _partial(path: Path) -> Path:
    return path.with_suffix(path.suffix + ".part")


def start(
    db: Database,
    backend: SearchBackend,
    jobs: JobRunner,
    var_dir: Path,
    query: SearchQuery,
    fmt: str,
    requested_by: str,
    asked: dict,
) -> ExportJob:
    """Record the job and run it in the background; `asked` is the request as the job keeps it."""
    with db.transaction() as s:
        now = utcnow()
        job = ExportJob(
            requested_by=requested_by,
            query={**asked, _SEARCH: _query_json(query)},
            format=fmt,
            created_at=now,
            lease_until=now + timedelta(seconds=LEASE_SECONDS),
        )
        s.add(job)
        s.flush()
    job_id = job.id
    assert job_id is not None
    path = file_of(var_dir, job_id, fmt)
    jobs.submit(lambda: run(db, backend, job_id, query, fmt, path))
    return job


def run(db: Database, backend: SearchBackend, job_id: int, query: SearchQuery, fmt: str, path: Path) -> None:
    """Write every match to `path` (whole or not at all), with its progress on the job's row; the job's
    lease is renewed on a thread meanwhile."""
    stop = threading.Event()
    beat = threading.Thread(
        target=_renew_lease, args=(db, job_id, stop), name=f"export-{job_id}", daemon=True
    )
    beat.start()
    try:
        _run(db, backend, job_id, query, fmt, path)
    finally:
        stop.set()
        beat.join(5)


def _renew_lease(db: Database, job_id: int, stop: threading.Event) -> None:
    t = table_of(ExportJob).c
    while not stop.wait(LEASE_SECONDS / 3):
        try:
            with db.transaction() as s:
                s.execute(
                    update(table_of(ExportJob))
                    .where(t.id == job_id, t.status == "running")
                    .values(lease_until=utcnow() + timedelta(seconds=LEASE_SECONDS))
                )
        except Exception:  # noqa: BLE001 - a missed renewal is retried at the next beat
            log.exception("export %d: renewing the lease failed", job_id)


def _run(db: Database, backend: SearchBackend, job_id: int, query: SearchQuery, fmt: str, path: Path) -> None:
    header = 1 if fmt == "csv" else 0
    try:
        first = backend.search(query)
        with db.transaction() as s:
            s.get_one(ExportJob, job_id).total = first.total
        partial = _partial(path)
        rows = 0
        with open_private(partial) as fh:  # regulator-only records: 0600 in a 0700 folder
            for line in lines(backend, query, fmt, first, None):
                fh.write(line)
                rows += 1
                if rows % PROGRESS_EVERY == 0:
                    with db.transaction() as s:
                        s.get_one(ExportJob, job_id).rows = rows - header
        partial.replace(path)  # the file appears whole or not at all
        with db.transaction() as s:
            done = s.get_one(ExportJob, job_id)
            done.rows, done.status, done.finished_at = rows - header, "done", utcnow()
    except Exception as exc:
        _fail(db, job_id, f"{type(exc).__name__}: {exc}")
        raise


def _fail(db: Database, job_id: int, reason: str) -> None:
    with db.transaction() as s:
        failed = s.get_one(ExportJob, job_id)
        failed.status, failed.error, failed.finished_at = "failed", reason[:500], utcnow()


def _query_json(query: SearchQuery) -> dict:
    d = dataclasses.asdict(query)
    for key in ("date_from", "date_to"):
        d[key] = d[key].isoformat() if d[key] else None
    if isinstance(d["facets"], tuple):
        d["facets"] = list(d["facets"])
    return d


def _query_of(d: dict) -> SearchQuery:
    d = dict(d)
    for key in ("date_from", "date_to"):
        d[key] = date.fromisoformat(d[key]) if d[key] else None
    if isinstance(d["facets"], list):
        d["facets"] = tuple(d["facets"])
    return SearchQuery(**d)


def recover_interrupted(
    db: Database,
    var_dir: Path,
    *,
    backend: SearchBackend | None = None,
    submit: Callable[[Callable[[], None]], object] | None = None,
) -> tuple[int, int]:
    """Jobs still `running` whose lease ran out were cut off by a stop. With a backend and a way to run
    jobs, each is claimed and run again from the start (up to MAX_ATTEMPTS runs); otherwise, or when
    its runs are spent, it is failed with the reason. What was half-written (under this `var_dir`) is
    removed either way. Returns (rerun, failed)."""
    now = utcnow()
    t = table_of(ExportJob).c
    expired = [t.status == "running", or_(t.lease_until.is_(None), t.lease_until < now)]
    with db.read_session() as s:
        running = [
            (id_of(job), job.format, job.query, job.attempts)
            for job in s.exec(select(ExportJob).where(*expired))
        ]
    rerun = failed = 0
    for job_id, fmt, asked, attempts in running:
        path = file_of(var_dir, job_id, fmt)
        can_rerun = backend is not None and submit is not None and _SEARCH in (asked or {})
        # Conditional on the lease and the attempts read above: of several processes recovering at
        # once, one claims the job; a runner that renewed its lease since is left alone.
        claim = update(table_of(ExportJob)).where(t.id == job_id, t.attempts == attempts, *expired)
        with db.transaction() as s:
            if can_rerun and attempts + 1 < MAX_ATTEMPTS:
                hit = affected(
                    s.execute(
                        claim.values(
                            attempts=attempts + 1,
                            rows=0,
                            lease_until=now + timedelta(seconds=LEASE_SECONDS),
                            error=f"resumed after an interruption (run {attempts + 2} of {MAX_ATTEMPTS})",
                        )
                    )
                )
                rerunning = True
            else:
                reason = GAVE_UP if can_rerun else INTERRUPTED
                hit = affected(s.execute(claim.values(status="failed", error=reason, finished_at=now)))
                rerunning = False
        if not hit:
            continue
        _partial(path).unlink(missing_ok=True)
        if rerunning and backend is not None and submit is not None:
            query = _query_of(asked[_SEARCH])
            submit(functools.partial(run, db, backend, job_id, query, fmt, path))
            rerun += 1
        else:
            failed += 1
    return rerun, failed


def get(db: Database, job_id: int) -> ExportJob:
    with db.read_session() as s:
        job = s.get(ExportJob, job_id)
    if job is None:
        raise NotFound(f"no export {job_id}")
    return job


def finished_file(db: Database, var_dir: Path, job_id: int) -> tuple[ExportJob, Path]:
    """A finished job and its file; a job still running or failed is a conflict naming its status."""
    job = get(db, job_id)
    if job.status != "done":
        raise Conflict(f"export {job_id} is {job.status}", field="status")
    return job, file_of(var_dir, job_id, job.format)
