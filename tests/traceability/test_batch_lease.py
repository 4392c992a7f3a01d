"""Code batches under a lease, in-process, on SQLite and PostgreSQL: a live runner's batch is never
undone or taken, an expired one is resumed from its codes by exactly one claimer, a run that lost its
batch writes nothing more, and after each scenario the quantity, the reservation and the codes agree."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlmodel import select
from typer.testing import CliRunner

from core import audit
from core.clock import clock
from core.errors import Conflict
from core.security import SYSTEM
from tests.testclient import TestClient
from traceability import batches
from traceability import service as trace
from traceability.codes import Keyring
from traceability.models import BatchStatus, CodeBatch, TraceCode

from .issuance import RESOLVER, check_invariant, released_lines

KEYRING = Keyring.from_secret(b"lease-test-secret")
LEASE = 30.0


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch):
    # Patched where it is read: the runner in traceability.batches (service only re-exports it).
    monkeypatch.setattr(batches, "CHUNK", 100)


def reserve(db, decl_id, quantity, line_no=1, runner=None, keyring=KEYRING):
    with db.transaction() as s:
        return trace.reserve_codes(s, decl_id, line_no, quantity, keyring, SYSTEM, runner=runner)


def expire_leases() -> None:
    clock.advance(timedelta(seconds=LEASE + 1))


def batch_of(db, batch_id) -> CodeBatch:
    with db.read_session() as s:
        return s.get(CodeBatch, batch_id)


def audit_actions(db, batch_id) -> list[str]:
    with db.read_session() as s:
        return [
            e.action
            for e in s.exec(
                select(audit.AuditEntry)
                .where(
                    audit.AuditEntry.entity_type == "code_batch", audit.AuditEntry.entity_id == str(batch_id)
                )
                .order_by(audit.AuditEntry.seq)
            )
        ]


def test_a_sweep_while_the_runner_is_alive_leaves_its_batch_alone(db):
    """The reported bug: a server starting while the CLI issues undid the CLI's batch, and the CLI then
    finished it as 'done' with part of its codes, the reservation given back."""
    _, decl = released_lines(db, [1000])
    batch = reserve(db, decl, 1000)
    swept: list[list] = []

    def meanwhile(issued: int, _total: int) -> None:
        if issued == 300:
            swept.append(trace.claim_expired(db, "server"))
            started: list = []
            trace.resume_expired(db, KEYRING, RESOLVER, started.append, capacity=2, role="server")
            swept.append(started)
            check_invariant(db)

    done = trace.run_batch(db, batch.id, KEYRING, RESOLVER, meanwhile, runner=batch.runner)
    assert swept == [[], []]
    assert done.status == BatchStatus.done
    summary = check_invariant(db)
    assert list(summary.values()) == [{"quantity": 1000, "reserved": 1000, "done": 1000, "running": 0}]
    with db.transaction() as s, pytest.raises(Conflict, match="at most 0 more"):
        trace.reserve_codes(s, decl, 1, 1, KEYRING, SYSTEM)


def test_a_stalled_runner_is_taken_over_resumed_from_its_codes_and_writes_nothing_more(db):
    _, decl = released_lines(db, [1000])
    batch = reserve(db, decl, 1000)
    resumed: list = []

    def stall(issued: int, _total: int) -> None:
        if issued == 300 and not resumed:
            # The runner stalls past its lease (a stopped process, a lost network); another claims it.
            expire_leases()
            claimed = trace.claim_expired(db, "worker", lease_seconds=LEASE)
            assert len(claimed) == 1
            ((batch_id, token),) = claimed
            assert batch_of(db, batch_id).issued == 300
            resumed.append(trace.run_batch(db, batch_id, KEYRING, RESOLVER, runner=token))

    with pytest.raises(
        trace.BatchLost, match=r"was taken over by worker:\S+ and finished there \(1000 codes\)"
    ) as lost:
        trace.run_batch(db, batch.id, KEYRING, RESOLVER, stall, runner=batch.runner)
    assert lost.value.batch_status == "done" and lost.value.status == 409
    (done,) = resumed
    assert done.status == BatchStatus.done and done.attempts == 2 and done.runner.startswith("worker:")
    summary = check_invariant(db)
    assert list(summary.values())[0]["done"] == 1000
    assert audit_actions(db, batch.id) == ["codes.requested", "codes.resumed", "codes.issued"]


def test_the_old_runner_stops_at_its_next_chunk_once_taken_over(db):
    """Two runners on one batch: once claimed by another, the first inserts no further chunk, even
    though the new holder has not started yet."""
    _, decl = released_lines(db, [1000])
    batch = reserve(db, decl, 1000)
    taken: list = []

    def stall(issued: int, _total: int) -> None:
        if issued == 300:
            expire_leases()
            taken.extend(trace.claim_expired(db, "worker"))

    with pytest.raises(trace.BatchLost, match="taken over by worker:") as lost:
        trace.run_batch(db, batch.id, KEYRING, RESOLVER, stall, runner=batch.runner)
    assert lost.value.batch_status == "running"
    held = batch_of(db, batch.id)
    assert held.issued == 300 and held.runner == taken[0][1]
    assert list(check_invariant(db).values())[0]["running"] == 300
    assert trace.run_batch(db, batch.id, KEYRING, RESOLVER, runner=taken[0][1]).status == "done"
    assert list(check_invariant(db).values())[0]["done"] == 1000


def test_a_run_without_the_claim_writes_nothing_and_cannot_undo(db):
    _, decl = released_lines(db, [500])
    batch = reserve(db, decl, 500)
    with pytest.raises(trace.BatchLost, match="taken over by issuer:"):
        trace.run_batch(db, batch.id, KEYRING, RESOLVER, runner="cli:someone-else")
    assert trace.claim_expired(db, "server") == []  # the lease is alive
    assert trace.fail_batch(db, batch.id, "not mine", runner="cli:someone-else") is False
    assert batch_of(db, batch.id).status == BatchStatus.running
    check_invariant(db)

    # The owner's lease runs out and a worker takes the batch: the owner may neither write nor undo it.
    expire_leases()
    ((_, token),) = trace.claim_expired(db, "worker")
    assert trace.fail_batch(db, batch.id, "too late", runner=batch.runner) is False
    with pytest.raises(trace.BatchLost, match="taken over by worker:"):
        trace.run_batch(db, batch.id, KEYRING, RESOLVER, runner=batch.runner)
    check_invariant(db)
    assert trace.run_batch(db, batch.id, KEYRING, RESOLVER, runner=token).status == BatchStatus.done
    assert list(check_invariant(db).values())[0]["done"] == 500


def test_an_expired_lease_nobody_claimed_lets_its_runner_finish(db):
    _, decl = released_lines(db, [400])
    batch = reserve(db, decl, 400)

    def slow(issued: int, _total: int) -> None:
        if issued == 200:
            expire_leases()

    assert trace.run_batch(db, batch.id, KEYRING, RESOLVER, slow, runner=batch.runner).status == "done"
    assert list(check_invariant(db).values())[0]["done"] == 400


def test_concurrent_claimers_take_an_expired_batch_exactly_once(db):
    _, decl = released_lines(db, [300, 300, 300])
    ids = [reserve(db, decl, 300, line_no=n).id for n in (1, 2, 3)]
    expire_leases()
    barrier = threading.Barrier(4)
    results: list[list] = []
    errors: list[BaseException] = []

    def claimer(i: int) -> None:
        try:
            barrier.wait()
            results.append(trace.claim_expired(db, f"w{i}", limit=2))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=claimer, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    claimed = [batch_id for r in results for batch_id, _ in r]
    assert sorted(claimed) == ids, results  # each batch once, by one of the four
    for batch_id in ids:
        assert batch_of(db, batch_id).attempts == 2
    check_invariant(db)


def test_a_failing_run_undoes_only_its_own_batch(db):
    _, decl = released_lines(db, [600])
    batch = reserve(db, decl, 300)

    def broken(issued: int, _total: int) -> None:
        if issued == 200:
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        trace.run_batch(db, batch.id, KEYRING, RESOLVER, broken, runner=batch.runner)
    failed = batch_of(db, batch.id)
    assert failed.status == BatchStatus.failed and "disk full" in failed.error
    assert list(check_invariant(db).values())[0] == {"quantity": 600, "reserved": 0, "done": 0, "running": 0}
    again = reserve(db, decl, 600)
    assert trace.run_batch(db, again.id, KEYRING, RESOLVER, runner=again.runner).status == "done"
    assert list(check_invariant(db).values())[0]["done"] == 600


def test_a_batch_that_keeps_losing_its_runner_is_undone_after_max_attempts(db):
    _, decl = released_lines(db, [300])
    batch = reserve(db, decl, 300)

    def dies(_issued: int, _total: int) -> None:
        raise KeyboardInterrupt  # not an error of the batch: the process just stops after a chunk

    with pytest.raises(KeyboardInterrupt):
        trace.run_batch(db, batch.id, KEYRING, RESOLVER, dies, runner=batch.runner)
    expire_leases()
    ((_, token),) = trace.claim_expired(db, "w", max_attempts=2)
    with pytest.raises(KeyboardInterrupt):
        trace.run_batch(db, batch.id, KEYRING, RESOLVER, dies, runner=token)
    check_invariant(db)
    expire_leases()
    assert trace.claim_expired(db, "w", max_attempts=2) == []
    gave_up = batch_of(db, batch.id)
    assert gave_up.status == BatchStatus.failed and "gave up after 2 runs" in gave_up.error
    assert list(check_invariant(db).values())[0]["reserved"] == 0


def test_a_resumed_batch_keeps_the_key_it_started_with(db):
    _, decl = released_lines(db, [300])
    batch = reserve(db, decl, 300)
    rotated = Keyring.from_secret(b"lease-test-secret", '{"2": "newer"}', active="2")

    def dies(issued: int, _total: int) -> None:
        if issued == 100:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        trace.run_batch(db, batch.id, KEYRING, RESOLVER, dies, runner=batch.runner)
    expire_leases()
    ((_, token),) = trace.claim_expired(db, "w")
    trace.run_batch(db, batch.id, rotated, RESOLVER, runner=token)
    with db.read_session() as s:
        serials = list(s.exec(select(TraceCode.serial).where(TraceCode.batch_id == batch.id)))
    assert len(serials) == 300 and {serial[0] for serial in serials} == {"1"}
    check_invariant(db)


def test_the_server_resumes_a_batch_whose_runner_died(db, settings):
    """Wiring: the server's sweep (at start and every half lease, a timer of its worker role) resumes an
    expired batch."""
    from api.app import create_app

    _, decl = released_lines(db, [700])
    batch = reserve(db, decl, 700, runner="cli:dead")
    with db.transaction() as s:
        s.execute(update(CodeBatch).where(CodeBatch.id == batch.id).values(lease_until=None))
    app = create_app(settings.model_copy(update={"batch_lease_seconds": 0.5, "roles": "api,worker"}), db)
    with TestClient(app):
        deadline = time.monotonic() + 30
        while batch_of(db, batch.id).status == BatchStatus.running and time.monotonic() < deadline:
            time.sleep(0.1)
        app.state.jobs.wait(30)
    resumed = batch_of(db, batch.id)
    assert resumed.status == BatchStatus.done and resumed.runner.startswith("server:")
    assert list(check_invariant(db).values())[0]["done"] == 700


def test_cli_resume_leaves_a_held_batch_alone_and_resumes_an_expired_one(db, tmp_path, monkeypatch):
    from api.cli import app as cli
    from core.settings import get_settings

    monkeypatch.setenv("CROSSTRUST_DATABASE_URL", db.url)
    monkeypatch.setenv("CROSSTRUST_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("CROSSTRUST_CODE_SECRET", "lease-test-secret")
    get_settings.cache_clear()
    try:
        _, decl = released_lines(db, [500])
        batch = reserve(db, decl, 500, runner="cli:elsewhere")
        held = CliRunner().invoke(cli, ["codes", "resume", "--batch", str(batch.id)])
        assert held.exit_code == 2 and "held by cli:elsewhere" in held.output, held.output
        expire_leases()
        resumed = CliRunner().invoke(cli, ["codes", "resume"])
        assert resumed.exit_code == 0, resumed.output
        assert f"batch {batch.id}: resuming at 0 of 500" in resumed.output
        assert f"batch {batch.id}: 500 codes issued" in resumed.output
        refused = CliRunner().invoke(cli, ["codes", "issue", "--declaration", str(decl), "--quantity", "1"])
        assert refused.exit_code == 2 and "at most 0 more" in refused.output
    finally:
        get_settings.cache_clear()
    assert list(check_invariant(db).values())[0]["done"] == 500


def test_a_serial_drawn_twice_is_drawn_again_on_both_databases(db, monkeypatch):
    """A chunk whose serial is already stored (65 random bits: once in 10^19 pairs) is drawn again in a
    fresh transaction; the batch finishes with its exact quantity. On PostgreSQL the COPY's unique
    violation is the driver's own error, which the retry did not see before."""
    _, decl = released_lines(db, [300])
    batch = reserve(db, decl, 300)
    drawn: list[list[tuple[str, str | None]]] = []
    real = batches._codes

    def twice(*args, **kwargs):
        codes = real(*args, **kwargs)
        if len(drawn) == 1:  # the second chunk repeats the first chunk's first serial
            codes[0] = drawn[0][0]
        drawn.append(codes)
        return codes

    monkeypatch.setattr(batches, "_codes", twice)
    done = trace.run_batch(db, batch.id, KEYRING, RESOLVER, runner=batch.runner)
    assert done.status == BatchStatus.done and len(drawn) == 4  # three chunks, the second drawn again
    with db.read_session() as s:
        serials = s.exec(select(TraceCode.serial).where(TraceCode.batch_id == batch.id)).all()
    assert len(serials) == len(set(serials)) == 300
    assert list(check_invariant(db).values())[0]["done"] == 300
