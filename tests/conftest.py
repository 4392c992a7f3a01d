"""Fixtures: every test that touches the database runs on SQLite and on a real PostgreSQL server.

`scripts/test.sh` starts PostgreSQL and sets CROSSTRUST_TEST_POSTGRES_URL. Without it the PostgreSQL
half is skipped on a laptop, and fails in CI (CI=true), where nothing may be skipped.
"""

from __future__ import annotations

import base64
import gc
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import psycopg
import pytest
from sqlalchemy import text
from sqlmodel import Session, SQLModel

from api import wiring
from api.app import create_app
from api.wiring import load_handlers
from core.clock import clock
from core.db import Database, id_of, migrate, normalise_url
from core.events import Dispatcher
from core.security import SYSTEM, Role, create_key
from core.settings import Settings
from disclosure.search.base import SearchBackend
from disclosure.search.factory import from_settings as search_from_settings
from enterprises import service as enterprises
from enterprises.models import Enterprise
from enterprises.schemas import EnterpriseCreate
from tests import demo_snapshot
from tests.testclient import TestClient
from tests.zygote import Zygote

load_handlers()

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

# One audit key and checkpoint signing key for every app and command a test process makes, as one
# deployment has (otherwise each test's fresh var/ would generate keys of its own).
os.environ.setdefault("CROSSTRUST_AUDIT_KEY", "test-audit-key-" + uuid.uuid4().hex)
os.environ.setdefault("CROSSTRUST_AUDIT_SIGNING_KEY", base64.b64encode(os.urandom(32)).decode())

# Under pytest-xdist (scripts/test.sh runs two workers) each worker has a var/ of its own: the session's
# databases are its own already (a SQLite file under its own temporary folder, a PostgreSQL database
# with a random name).
if os.environ.get("PYTEST_XDIST_WORKER") and os.environ.get("CROSSTRUST_VAR_DIR"):
    os.environ["CROSSTRUST_VAR_DIR"] = str(
        Path(os.environ["CROSSTRUST_VAR_DIR"]) / os.environ["PYTEST_XDIST_WORKER"]
    )


# The test files that take longest (measured, tests/README.md), longest first. Under pytest-xdist
# (scripts/test.sh) the files are handed to the workers in this order and then the others, most tests
# first (xdist's own order): a long file handed out last would keep one worker busy alone at the end.
LONGEST_FILES = (
    "tests/traceability/test_issuance_crash.py",
    # The Elasticsearch outage (it stops the node, and waits until no test of the other worker uses it:
    # tests/es_lock.py) early, while the other worker runs a kill -9 loop or the fuzz, which need no node.
    "tests/disclosure/test_search_outage.py",
    "tests/api/test_fuzz.py",
    "tests/api/test_fuzz_refused.py",
    "tests/api/test_gs1_resolver_suite.py",
    "tests/api/test_server.py",
    # Next by the serial durations of BENCHMARKS.md's second pass (320, 168, 139, 109 s at load 17–27):
    # files of a few tests that each seed the demo or sign in many times, which xdist's own order (most
    # tests first) would hand out late.
    "tests/api/test_page_sessions.py",
    "tests/api/test_page_words.py",
    "tests/api/test_merchant_forms_http.py",
    "tests/api/test_merchant_policy_pages.py",
    # Then the files a whole run's junit XML showed longest (issue 21, at load ~10: 179 s down to 62 s),
    # longest first, so that no long file of few tests is handed out last and keeps one worker busy alone
    # while the other has finished: the last files handed out are short ones.
    "tests/disclosure/test_disclosure.py",
    "tests/intake/test_intake_crash.py",
    "tests/traceability/test_digital_link_conformance.py",
    "tests/traceability/test_label_pages.py",
    "tests/api/test_edge.py",
    "tests/insurance/test_premiums.py",
    "tests/traceability/test_epcis_gs1_examples.py",
    "tests/translog/test_append_crash.py",
    "tests/disclosure/test_search_regulator.py",
    "tests/disclosure/test_search_house.py",
    "tests/traceability/test_labels.py",
    "tests/traceability/test_scan_spool_kill.py",
    "tests/disclosure/test_search_race.py",
    # Split (below) into four parts, each about as long as the files above it.
    "tests/e2e/test_axe_every_page.py",
)


# Files whose tests are handed out one by one instead of whole: each shares no module-scoped fixture.
# The kill -9 loop on SQLite and on PostgreSQL (minutes each) run on the two workers at once instead of one
# after the other on one, which kept that worker busy alone; the axe-core walk of every page is four tests
# (a part of the roles each) that the two workers share.
SPLIT_FILES = ("tests/traceability/test_issuance_crash.py", "tests/e2e/test_axe_every_page.py")


@pytest.hookimpl(tryfirst=True, optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object | None:
    """`--dist loadfile` (scripts/test.sh), except that each test of `SPLIT_FILES` is a unit of its own."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class SplitLongFiles(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            file = nodeid.split("::", 1)[0]
            return nodeid if file in SPLIT_FILES else file

    return SplitLongFiles(config, log)


def pytest_collection(session: pytest.Session) -> None:
    """Full collections of the garbage collector after 100 collections of the middle generation instead
    of 10, from the start of collection (see `pytest_collection_finish`): while the suite is collected,
    each full collection walked everything built so far. `pytest --collect-only tests`: 15.4 and 15.8 s
    of CPU, 12.0 and 14.3 s with this, the same peak memory (BENCHMARKS.md, "The suite, eleventh pass")."""
    gen0, gen1, _ = gc.get_threshold()
    gc.set_threshold(gen0, gen1, 100)


def pytest_collection_finish(session: pytest.Session) -> None:
    """What collection made lives as long as the session (every test module, the ~2,500 items, the fuzz's
    hypothesis strategies and its ~19,000 coverage cases: about 680,000 objects a worker), and each full
    collection of the garbage collector walked it again: 40 of them cost 33.6 of 410 CPU s over
    `tests/api/test_fuzz.py` and `tests/traceability`. It is frozen out of the collector's sight
    (`gc.freeze`, after one last collection), and full collections, which now walk only what the tests
    made, come after 100 collections of the middle generation instead of 10 (the young generations are
    collected as before, so short-lived cycles still go at once): 28 full collections, 11.7 s, 390 CPU s
    over the same tests, 7 % more peak memory (BENCHMARKS.md, "The suite, tenth pass"). The threshold is
    set when collection starts (`pytest_collection`)."""
    gc.collect()
    gc.freeze()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under pytest-xdist only: the files in the order above (each file's own tests keep their order,
    and each file runs whole in one worker: `--dist loadfile`)."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return
    counts: dict[str, int] = {}
    for item in items:
        counts[item.nodeid.split("::")[0]] = counts.get(item.nodeid.split("::")[0], 0) + 1
    rank = {path: i for i, path in enumerate(LONGEST_FILES)}
    order = {path: (rank.get(path, len(rank)), -n, i) for i, (path, n) in enumerate(counts.items())}
    items.sort(key=lambda item: order[item.nodeid.split("::")[0]])  # stable: a file's tests keep their order


def missing(what: str, install: str) -> NoReturn:
    """A test tool that is not installed: skipped on a laptop, a failure in CI, saying what to install."""
    message = f"{what} is not installed: {install}"
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


def require_server(variable: str, name: str) -> str:
    """The URL of a real server the test needs: skipped on a laptop without it, a failure in CI."""
    url = os.environ.get(variable, "")
    if not url:
        if IN_CI:
            pytest.fail(f"CI must run the {name} suite: {variable} is not set")
        pytest.skip(f"{name} not configured (run `make test`, which starts one)")
    return url


@pytest.fixture(scope="session")
def zygote() -> Iterator[Zygote]:
    """One fork server a worker (tests/zygote.py), started by the first kill -9 test that asks: it imports
    the platform once and forks each server and CLI those tests start and kill."""
    z = Zygote(dict(os.environ))
    yield z
    z.close()


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serve(app, port: int = 0) -> Iterator[str]:
    """The app behind a real uvicorn server on loopback (a free port unless told one), for as long as the
    block runs."""
    import threading
    import time

    import uvicorn

    port = port or free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="critical"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 90  # a safety net, not a timing check: a loaded machine is slow
    while not server.started:
        assert time.monotonic() < deadline, "the test server did not start"
        assert thread.is_alive(), "the test server stopped while starting"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def require_postgres() -> str:
    return require_server("CROSSTRUST_TEST_POSTGRES_URL", "PostgreSQL")


def _pg_url(admin_url: str, dbname: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(admin_url).set(database=dbname).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    migrate(url)
    return url


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    admin = require_postgres()
    dbname = f"crosstrust_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{dbname}"')
    url = _pg_url(admin, dbname)
    migrate(url)
    yield url
    pooled_database = _POOLED.pop(normalise_url(url), None)
    if pooled_database is not None:
        pooled_database.dispose()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')


# The sequences owned by the tables' columns (serial and identity) that have handed out a value: a fresh
# database's ids start at their start again, as TRUNCATE … RESTART IDENTITY would restart them.
_RESET_SEQUENCES = text(
    "SELECT setval(s.seqrelid, s.seqstart, false) FROM pg_sequence s"
    " JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = s.seqrelid"
    " AND d.deptype IN ('a', 'i')"
    " JOIN pg_class t ON t.oid = d.refobjid AND t.relnamespace = current_schema()::regnamespace"
    " WHERE t.relname = ANY(:tables) AND pg_sequence_last_value(s.seqrelid) IS NOT NULL"
)


# Above this many rows a table is truncated instead of deleted from (a DELETE costs per row).
_DELETE_AT_MOST = 10_000


_AUDIT_HEAD = text("INSERT INTO audit_head (id, seq, entry_hash) VALUES (1, 0, '" + "0" * 64 + "')")


def _truncate(db: Database) -> None:
    """Every table empty and every id sequence at its start, as a freshly migrated database.

    On PostgreSQL a TRUNCATE costs a new file for each table and index it empties, and CASCADE from
    `enterprise` reaches nearly all of them: about half a second a test. A test writes a few rows to a
    few tables, so one statement finds the tables holding rows (counting to `_DELETE_AT_MOST` at most),
    those are emptied with DELETE (children first), or with TRUNCATE when one is large, and the id
    sequences that moved are reset: the same state as TRUNCATE … RESTART IDENTITY of every table.

    On SQLite the foreign keys are off while the tables are emptied (all of them, so none can be left
    dangling): with them on, SQLite deletes row by row and looks up each row's referrers, and a table
    that refers to itself without an index on the column (`intake_record`'s supersedes links)
    made emptying 30,000 rows take minutes. Off, a DELETE without WHERE drops the table's pages at once."""
    tables = [t.name for t in SQLModel.metadata.sorted_tables]
    if db.is_sqlite:
        raw = db.engine.raw_connection()  # the driver's own: SQLAlchemy would BEGIN before the PRAGMA
        try:
            cur = raw.cursor()
            cur.execute("PRAGMA foreign_keys=OFF")  # outside a transaction, or SQLite ignores it
            cur.execute("BEGIN IMMEDIATE")
            for name in reversed(tables):
                cur.execute(f'DELETE FROM "{name}"')
            cur.execute(str(_AUDIT_HEAD))
            cur.execute("COMMIT")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()
        except BaseException:
            raw.invalidate()  # never back to the pool with its foreign keys off
            raise
        finally:
            raw.close()
        return
    with db.engine.begin() as conn:
        counts = " UNION ALL ".join(
            f"SELECT '{t}', (SELECT count(*) FROM (SELECT 1 FROM \"{t}\" LIMIT {_DELETE_AT_MOST + 1}) r)"
            for t in tables
        )
        rows = dict(conn.execute(text(counts)).all())
        used = [t for t in reversed(tables) if rows[t]]
        if any(rows[t] > _DELETE_AT_MOST for t in used):
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in used) + " CASCADE"))
        else:
            for name in used:
                conn.execute(text(f'DELETE FROM "{name}"'))
        conn.execute(_RESET_SEQUENCES, {"tables": tables})
        conn.execute(_AUDIT_HEAD)


@pytest.fixture(scope="session")
def demo_snapshot_sqlite(tmp_path_factory: pytest.TempPathFactory) -> demo_snapshot.Snapshot:
    """The demo seeded once per worker into a SQLite file of its own (`tests/demo_snapshot.py`)."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    migrate(f"sqlite:///{path}")
    return demo_snapshot.take(Database(f"sqlite:///{path}"), str(path))


@pytest.fixture(scope="session")
def demo_snapshot_postgresql(postgres_url: str) -> demo_snapshot.Snapshot:
    """The demo seeded once per worker into the session's PostgreSQL database and kept as rows."""
    database = Database(postgres_url)
    _truncate(database)
    try:
        return demo_snapshot.take(database)
    finally:
        database.dispose()


_POOLED: dict[str, Database] = {}


def pooled(url: str) -> Database:
    """The worker's one `Database` for a session database, handed to each test in turn (emptied by the
    fixture). Its pools outlive the test: a new engine a test opened new connections, and on PostgreSQL
    each is a new server process that reads the catalogue again. What a test may have set on it (the
    app's audit keys) is cleared; a test that disposes it gets new connections."""
    key = normalise_url(url)
    database = _POOLED.get(key)
    if database is None:
        database = _POOLED[key] = Database(url)
    database.audit_keys = None
    return database


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest) -> Iterator[Database]:
    """The test's database, emptied; for a test marked `demo_seeded`, holding the demo as
    `demo.seed(session)` leaves it (its keys: `seeded_keys`)."""
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url")
    seeded = request.node.get_closest_marker("demo_seeded") is not None
    snapshot = request.getfixturevalue(f"demo_snapshot_{request.param}") if seeded else None
    database = pooled(url)
    _truncate(database)
    if snapshot is not None:
        demo_snapshot.put_back(database, snapshot)
    clock.reset()
    try:
        yield database
    finally:
        clock.reset()
        database.close_own()


@pytest.fixture
def seeded_keys(request: pytest.FixtureRequest, db: Database) -> dict[str, str]:
    """{role: API key} of the demo in a `demo_seeded` test's database."""
    assert request.node.get_closest_marker("demo_seeded"), "seeded_keys is for tests marked demo_seeded"
    kind = "sqlite" if db.is_sqlite else "postgresql"
    return dict(request.getfixturevalue(f"demo_snapshot_{kind}").keys)


@pytest.fixture
def postgres_db(request: pytest.FixtureRequest) -> Iterator[Database]:
    database = pooled(request.getfixturevalue("postgres_url"))
    _truncate(database)
    yield database
    database.close_own()


@pytest.fixture
def settings(tmp_path: Path, db: Database) -> Settings:
    return Settings(
        var_dir=tmp_path / "var",
        database_url=db.url,
        code_secret="test-secret-" + uuid.uuid4().hex,
        dispatcher_in_process=False,
        # The API role only: a test drives the worker's and the scheduler's work itself (the outbox by
        # `dispatcher.drain()`, a job by `app.state.background.all_jobs[name].run_slot()`), as it
        # drives the dispatcher, instead of timers that start with every app and race its own writes.
        # The jobs are still built (an admin triggers them through /api/v1/admin/jobs); a test that
        # needs the timers asks for their role (tests/traceability/test_batch_lease.py: worker;
        # tests/disclosure/test_search_house.py: scheduler).
        roles="api",
        public_rate_limit_per_minute=6000,
        public_rate_limit_burst=1000,
        outbox_backoff_base_seconds=0.01,
        outbox_max_attempts=3,
        # The tests' merchant webhook receivers listen on loopback: the operator's allowed intranet here.
        webhook_allowed_networks="127.0.0.0/8",
        _env_file=None,
    )


@pytest.fixture(scope="session")
def empty_index_bytes(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """An empty embedded search index as `EmbeddedIndex` makes it, written out once per worker: making
    its schema is about ten committed statements (90–110 ms a test, ~1,200 tests), a copy is one write."""
    from disclosure.search.embedded import EmbeddedIndex

    path = tmp_path_factory.mktemp("index") / "search.db"
    index = EmbeddedIndex(path)
    index._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # every page in the main file
    data = path.read_bytes()
    index._conn.close()
    index._trend_worker.shutdown()
    return data


@pytest.fixture
def search_backend(settings: Settings, empty_index_bytes: bytes) -> SearchBackend:
    """The test's search backend, as its settings ask (an empty embedded index under its own var/),
    shared by its app and its dispatcher's indexer. The embedded index starts as a copy of the empty one
    made once (`empty_index_bytes`), 0600 like the one it makes; opening it finds its schema in place."""
    if not settings.search_url:
        fd = os.open(settings.ensure_var_dir() / "search.db", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(empty_index_bytes)
    return search_from_settings(settings)


@pytest.fixture
def app(settings: Settings, db: Database, search_backend: SearchBackend):
    return create_app(settings, db, search_backend)


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


@pytest.fixture
def dispatcher(db: Database, search_backend: SearchBackend, settings: Settings) -> Dispatcher:
    from complaints.service import Kit

    kit = Kit.from_settings(settings)
    return wiring.dispatcher(db, search_backend, kit, max_attempts=3, backoff_base=0.0001)


_seq = iter(range(10_000_000))


def make_uscc() -> str:
    """A fresh valid USCC (91 + Beilun division + numbered organisation part + check)."""
    from core.identifiers import uscc_with_check

    return uscc_with_check(f"91330206{next(_seq):09d}")


def register(db: Database, kind: str = "merchant", **overrides: object) -> Enterprise:
    with db.transaction() as s:
        return register_in(s, kind, **overrides)


def register_in(session: Session, kind: str = "merchant", **overrides: object) -> Enterprise:
    """`register` inside the caller's transaction."""
    data = {
        "uscc": make_uscc(),
        "name_zh": "测试跨境贸易有限公司",
        "name_en": "Test Trading Co.",
        "kind": kind,
    }
    data.update(overrides)
    return enterprises.register(session, EnterpriseCreate(**data), SYSTEM)


def bank_key(db: Database, name_zh: str = "测试商业银行") -> tuple[int, str]:
    """A bank on the platform and its key (Role.bank): an institution that reads only the credit reports
    merchants authorise it to; the access matrix, the fuzz and the sharing tests use it."""
    bank = register(db, "bank", name_zh=name_zh, name_en="Test Commercial Bank")
    with db.transaction() as s:
        return id_of(bank), create_key(s, Role.bank, bank.id)


@dataclass
class Keys:
    admin: str
    regulator: str
    merchant: str
    other_merchant: str
    insurer: str
    merchant_id: int
    other_merchant_id: int
    insurer_id: int

    @staticmethod
    def header(key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def keys(db: Database) -> Keys:
    """Two merchants and an insurer registered, and a key for each role, in one transaction: most tests
    of the suite start with it."""
    with db.transaction() as s:
        m1 = register_in(s)
        m2 = register_in(s, name_zh="另一家跨境公司")
        ins = register_in(s, "insurer", name_zh="测试保险公司")
        return Keys(
            admin=create_key(s, Role.admin),
            regulator=create_key(s, Role.regulator),
            merchant=create_key(s, Role.merchant, m1.id),
            other_merchant=create_key(s, Role.merchant, m2.id),
            insurer=create_key(s, Role.insurer, ins.id),
            merchant_id=m1.id,
            other_merchant_id=m2.id,
            insurer_id=ins.id,
        )
