"""Searching while the same records change: every search answers 200 with whole hits, never a 500.

Regulators search while registrations are being edited; on the embedded index an update moves a
record (its key is its date) by deleting and re-inserting it, and a search that read between those
steps, or on the writer's connection inside its transaction, found a hit whose body was gone (a 500
in 6 of 600 searches in the race test of issue 9)."""

from __future__ import annotations

import threading
import time

from core.security import SYSTEM
from enterprises import service as enterprises
from enterprises.schemas import EnterpriseUpdate
from tests.conftest import Keys, register
from tests.testclient import TestClient

SEARCHES = 400


def test_searches_while_the_same_records_are_updated_never_fail(app, db, dispatcher, keys):
    # A 500 is an answer to count, not an exception in the test's thread.
    with TestClient(app, raise_server_exceptions=False) as client:
        _race(client, db, dispatcher, keys)


def _race(client, db, dispatcher, keys) -> None:
    ents = [register(db, name_zh=f"竞态测试贸易公司{i}", name_en=f"Race Trading {i}") for i in range(8)]
    dispatcher.drain()
    headers = Keys.header(keys.regulator)
    stop = threading.Event()
    errors: list[str] = []
    updates = 0

    def update() -> None:
        nonlocal updates
        n = 0
        while not stop.is_set() and n < 1000:
            n += 1
            for ent in ents:
                with db.transaction() as s:
                    enterprises.update(
                        s, ent.id, EnterpriseUpdate(name_en=f"Race Trading {ent.id} rev {n}"), SYSTEM
                    )
            dispatcher.drain()  # the handlers rewrite the records and the indexer moves them
            updates += len(ents)

    queries = [
        {"q": "竞态测试"},
        {"q": "Race Trading", "sort": "date"},
        {"q": "竞态", "category": "entity", "facets": "true", "trend": "day"},
        {"category": "entity", "sort": "date", "size": "3"},
        {"q": "Race", "uscc": ents[0].uscc},
    ]
    done = 0
    lock = threading.Lock()

    def search(worker: int) -> None:
        nonlocal done
        i = worker
        while True:
            with lock:
                if done >= SEARCHES:
                    return
                done += 1
            params = queries[i % len(queries)]
            i += 1
            try:
                r = client.get("/api/v1/disclosures/search", params=params, headers=headers)
            except Exception as exc:
                errors.append(f"{params}: {exc!r}")
                continue
            if r.status_code != 200:
                errors.append(f"{params}: {r.status_code} {r.text[:300]}")
                continue
            for hit in r.json()["hits"]:
                if not hit.get("uscc") or not hit.get("title_zh"):
                    errors.append(f"{params}: a broken hit {hit}")

    writer = threading.Thread(target=update)
    writer.start()
    time.sleep(0.2)  # the writer is under way before the first search
    searchers = [threading.Thread(target=search, args=(w,)) for w in range(4)]
    for t in searchers:
        t.start()
    for t in searchers:
        t.join(300)
    stop.set()
    writer.join(120)
    assert done == SEARCHES
    assert updates > 0, "the records never changed during the searches"
    assert errors == [], f"{len(errors)} of {SEARCHES} searches failed, e.g. {errors[:3]}"
