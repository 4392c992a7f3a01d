"""The search's house rules (issue 10): an export cut off by a restart is run again to the end; one
query model checks the public and the regulator search alike and is declared in the OpenAPI document,
its grades those of the methodology in force; each app's indexer writes into that app's backend, and a
dispatcher that was not given the indexer fails its deliveries instead of indexing somewhere else."""

from __future__ import annotations

import time
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from api import wiring
from api.app import create_app
from complaints.service import Kit
from core.clock import utcnow
from core.events import DeliveryStatus, Dispatcher, OutboxDelivery
from credit import methodology
from disclosure import exports
from disclosure.models import ExportJob
from disclosure.search.base import SearchQuery
from disclosure.search.factory import from_settings
from tests.conftest import Keys, register
from tests.testclient import TestClient

SEARCHES = ("/api/v1/public/disclosures/search", "/api/v1/disclosures/search")


class _Crashed:
    """A job runner whose process dies before the job runs: the job's row is written, nothing else."""

    def __init__(self) -> None:
        self.submitted = 0

    def submit(self, fn) -> None:  # noqa: ANN001
        self.submitted += 1


def test_an_export_cut_off_by_a_restart_is_run_again_and_finishes(
    settings, db, dispatcher, keys, search_backend, monkeypatch
):
    """The process running an export dies mid-way; the restarted one (any process with the scheduler
    role) claims it once the dead runner's lease has run out, runs it again from the start and
    finishes it: the same job, whole, with nothing of the half-written file left."""
    # A short lease, so that the dead process's lease runs out within the test (the scheduler's
    # recovery looks every half lease, once across processes).
    monkeypatch.setattr(exports, "LEASE_SECONDS", 2.0)
    for i in range(6):
        register(db, name_zh=f"重启导出测试公司{i}")
    dispatcher.drain()
    regulator = Keys.header(keys.regulator)
    params = {"q": "重启导出", "category": "entity", "format": "csv"}

    before = create_app(settings, db, search_backend)
    before.state.jobs = crashed = _Crashed()
    with TestClient(before) as client:
        r = client.post("/api/v1/disclosures/exports", params=params, headers=regulator)
        assert r.status_code == 202 and r.json()["status"] == "running", r.text
        job_id = r.json()["id"]
        assert crashed.submitted == 1
        # what the job had written when the process died
        partial = exports.file_of(settings.var_dir, job_id, "csv").with_suffix(".csv.part")
        partial.write_bytes(b"id,category\n1,entity\n")
    assert exports.get(db, job_id).status == "running"  # nothing of the first process says otherwise

    # The restarted server: its own backend, from the settings, with the scheduler role (the tests'
    # apps run the API role alone) whose recovery claims the export.
    restarted = settings.model_copy(update={"roles": "api,scheduler"})
    after = create_app(restarted, db)
    with TestClient(after) as client:
        deadline = time.monotonic() + 30
        while True:
            status = client.get(f"/api/v1/disclosures/exports/{job_id}", headers=regulator).json()
            if status["status"] != "running" or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert status["status"] == "done", status
        assert status["rows"] == status["total"] == 6 and status["error"].startswith("resumed")
        file = client.get(f"/api/v1/disclosures/exports/{job_id}/file", headers=regulator)
        assert file.status_code == 200 and len(file.content.decode("utf-8-sig").splitlines()) == 7
        assert not partial.exists()
    # a second start-up finds nothing to recover: the finished export stays done
    with TestClient(create_app(restarted, db)) as client:
        assert (
            client.get(f"/api/v1/disclosures/exports/{job_id}", headers=regulator).json()["status"] == "done"
        )


def test_recovery_leaves_a_live_export_alone_and_gives_up_on_one_cut_off_again_and_again(
    settings, db, search_backend
):
    """Several processes: one starting (or the scheduler's recovery anywhere) must not touch an export
    that another process is running; only a job whose lease ran out is claimed, by one recoverer, and
    after MAX_ATTEMPTS runs cut off it is failed with the reason."""
    with db.transaction() as s:
        now = utcnow()
        live = ExportJob(
            requested_by="t", format="csv", created_at=now, lease_until=now + timedelta(seconds=60)
        )
        old = ExportJob(  # from before reruns: its row does not keep the search, so it cannot run again
            requested_by="t", format="csv", created_at=now, lease_until=now - timedelta(seconds=1)
        )
        query = exports._query_json(SearchQuery(q="x", date_from=date(2026, 1, 1), facets=("category",)))
        dead = ExportJob(
            requested_by="t",
            format="csv",
            query={"q": "x", exports._SEARCH: query},
            created_at=now,
            lease_until=now - timedelta(seconds=1),
        )
        s.add_all([live, old, dead])
        s.flush()
        live_id, old_id, dead_id = live.id, old.id, dead.id
    assert exports._query_of(query) == SearchQuery(q="x", date_from=date(2026, 1, 1), facets=("category",))

    ran: list = []
    for run in range(1, exports.MAX_ATTEMPTS):
        assert exports.recover_interrupted(
            db, settings.var_dir, backend=search_backend, submit=ran.append
        ) == (
            1,
            1 if run == 1 else 0,
        )
        assert exports.get(db, dead_id).status == "running" and exports.get(db, dead_id).attempts == run
        # a second recoverer at the same moment finds the claim taken (its lease is live again)
        assert exports.recover_interrupted(
            db, settings.var_dir, backend=search_backend, submit=ran.append
        ) == (0, 0)
        with db.transaction() as s:  # the rerun's process dies too
            s.get(ExportJob, dead_id).lease_until = utcnow() - timedelta(seconds=1)
    assert len(ran) == exports.MAX_ATTEMPTS - 1
    assert exports.recover_interrupted(db, settings.var_dir, backend=search_backend, submit=ran.append) == (
        0,
        1,
    )
    assert exports.get(db, dead_id).status == "failed" and exports.get(db, dead_id).error == exports.GAVE_UP
    assert exports.get(db, old_id).status == "failed" and exports.get(db, old_id).error == exports.INTERRUPTED
    assert exports.get(db, live_id).status == "running"
    assert exports.recover_interrupted(db, settings.var_dir, backend=search_backend, submit=ran.append) == (
        0,
        0,
    )


def test_both_searches_read_one_query_model(client, db, dispatcher, keys):
    a = register(db, name_zh="查询模型测试甲公司", country="NZ")
    register(db, name_zh="查询模型测试乙公司", country="AU")
    register(db, "insurer", name_zh="查询模型测试丙公司", country="DE")
    dispatcher.drain()
    regulator = Keys.header(keys.regulator)
    for url in SEARCHES:

        def found(params: dict | list, url: str = url) -> set[str]:
            r = client.get(url, params=params, headers=regulator)
            assert r.status_code == 200, r.text
            return {h["uscc"] for h in r.json()["hits"]}

        base = {"q": "查询模型测试", "category": "entity"}
        assert len(found(base)) == 3
        # repeated and comma-separated values are the same filter; not_ excludes
        assert found({**base, "origin_country": "nz,au"}) == found(
            [*base.items(), ("origin_country", "NZ"), ("origin_country", "AU")]
        )
        assert len(found({**base, "origin_country": "nz,au"})) == 2
        assert a.uscc not in found({**base, "not_uscc": a.uscc})
        assert found({**base, "enterprise_id": str(a.id)}) == {a.uscc}
        for params, field, reason in [
            ({"colour": "red"}, "colour", "not a parameter of this operation"),
            ({"category": "entity,gossip"}, "category", "'gossip': not one of entity"),
            ({"not_grade": "E"}, "not_grade", "'E': one of A, B, C, D"),
            ({"hs_prefix": "19x"}, "hs_prefix", "1 to 10 digits"),
            ({"enterprise_id": "99999999999"}, "enterprise_id", "not a record id"),
            ({"date_from": "2026-02-01", "date_to": "2026-01-31"}, "date_to", "is before date_from"),
            ({"date_from": "1969-12-31"}, "date_from", "not between"),
            ({"sort": "score"}, "sort", ""),
            ({"facets": "maybe"}, "facets", ""),
        ]:
            r = client.get(url, params=params, headers=regulator)
            assert r.status_code == 422, (url, params, r.text)
            error = r.json()["errors"][0]
            assert error["field"] == field and reason in error["reason"], (url, params, error)


def test_the_document_declares_the_search_parameters_and_the_grades_of_the_methodology(
    tmp_path, monkeypatch, client
):
    doc = client.app.openapi()
    for path in SEARCHES:
        params = {p["name"]: p for p in doc["paths"][path]["get"]["parameters"] if p["in"] == "query"}
        assert {
            "q",
            "category",
            "not_category",
            "grade",
            "date_from",
            "size",
            "search_after",
            "trend",
        } <= set(params)
        assert params["grade"]["schema"]["items"]["enum"] == ["A", "B", "C", "D"]
        assert "gossip" not in params["category"]["schema"]["items"]["enum"]
    export = {p["name"] for p in doc["paths"]["/api/v1/disclosures/export"]["get"]["parameters"]}
    assert {"format", "q", "grade"} <= export

    # A methodology with a fifth grade: the filter and the document follow it, nothing else to change.
    text = Path(methodology.DEFAULT_FILE).read_text(encoding="utf-8")
    for old, new in [
        ("[grades.D]\nmin = 0\n", "[grades.D]\nmin = 300\n"),
        (
            "[supervision.rates]",
            '[grades.E]\nmin = 0\nname_zh = "严重失信"\nname_en = "Gravely dishonest"\n\n[supervision.rates]',
        ),
        ("D = 0.80\n", "D = 0.80\nE = 0.90\n"),
    ]:
        assert old in text, old
        text = text.replace(old, new, 1)
    path = tmp_path / "methodology.toml"
    path.write_text(text, encoding="utf-8")
    monkeypatch.setenv(methodology.FILE_ENV, str(path))
    methodology.reset()
    try:
        assert "E" in [g.code for g in methodology.current().grades]
        r = client.get("/api/v1/public/disclosures/search", params={"grade": "E"})
        assert r.status_code == 200, r.text
        fresh = create_app(client.app.state.settings, client.app.state.db).openapi()
        grade = next(p for p in fresh["paths"][SEARCHES[0]]["get"]["parameters"] if p["name"] == "grade")
        assert grade["schema"]["items"]["enum"][-1] == "E"
    finally:
        monkeypatch.delenv(methodology.FILE_ENV)
        methodology.reset()
    assert client.get("/api/v1/public/disclosures/search", params={"grade": "E"}).status_code == 422


def test_each_apps_indexer_writes_into_its_own_backend(settings, db, tmp_path):
    other = settings.model_copy(
        update={"var_dir": tmp_path / "two", "search_index": settings.search_index + "-two"}
    )
    one, two = create_app(settings, db), create_app(other, db)
    try:
        register(db, name_zh="两个应用测试公司")
        one.state.dispatcher.drain()
        query = SearchQuery(q="两个应用测试", public_only=False)
        assert one.state.search.search(query).total == 2  # its entity and its credit grade record
        assert two.state.search.search(query).total == 0
    finally:
        if other.search_url:
            two.state.search.drop()


def test_a_dispatcher_without_the_indexer_fails_its_deliveries_for_a_retry(settings, db, search_backend):
    register(db, name_zh="未绑定索引测试公司")
    unbound = Dispatcher(db, max_attempts=2, backoff_base=0.0001)
    unbound.drain()
    with db.read_session() as s:
        indexer = s.exec(
            select(OutboxDelivery).where(OutboxDelivery.subscriber == "disclosure.indexer")
        ).all()
    assert indexer and all(
        d.status == DeliveryStatus.dead and "has no handler in this process" in d.last_error for d in indexer
    )
    assert search_backend.search(SearchQuery(q="未绑定索引测试", public_only=False)).total == 0
    with pytest.raises(ValueError, match="no subscriber declared"):
        Dispatcher(db, handlers={"disclosure.no_such": lambda s, e: None})
    # the worker of this deployment, given the indexer, delivers them once an admin retries
    from core import events

    with db.transaction() as s:
        for d in indexer:
            events.retry_delivery(s, d.id, by="test")
    wiring.dispatcher(
        db, from_settings(settings), Kit.from_settings(settings), max_attempts=2, backoff_base=0.0001
    ).drain()
    assert search_backend.search(SearchQuery(q="未绑定索引测试", public_only=False)).total >= 1
