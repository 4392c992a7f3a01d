"""What stays out of the public log (issue 23 with issue 25's tolerance): a first minor breach tolerated
under a pledge (容错纠错) is seen by regulators only and kept off the public credit record, so no leaf of
it enters a log that is public for ever; once the tolerance lapses and the record counts, it is logged."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from core.clock import clock
from tests.conftest import Keys
from tests.credit.test_trust_api import _pledge, record


def _leaves(db, record_id: int) -> list[str]:
    with db.read_session() as s:
        rows = s.connection().execute(
            text("SELECT data FROM tlog_leaf WHERE subject = :s ORDER BY idx"),
            {"s": f"credit-record:{record_id}"},
        )
        return [bytes(r[0]).decode() for r in rows]


def test_a_tolerated_record_enters_the_public_log_only_once_it_counts(client, db, keys: Keys, dispatcher):
    counted = record(client, keys, "administrative_penalty", "general")
    _pledge(client, keys, keys.merchant_id, keys.merchant)
    slip = record(client, keys, "declaration_inaccuracy", "minor")
    assert slip["status"] == "tolerated"
    dispatcher.drain()
    assert len(_leaves(db, counted["id"])) == 1  # an ordinary record is logged
    assert _leaves(db, slip["id"]) == []  # the tolerated one is not: regulators only
    clock.advance(timedelta(days=16))  # first_minor_declaration: 15 days to correct
    swept = client.post("/api/v1/credit/tolerances/sweep", headers=Keys.header(keys.regulator))
    assert swept.status_code == 200 and swept.json() == {"lapsed": 1}
    dispatcher.drain()
    logged = _leaves(db, slip["id"])
    assert len(logged) == 1 and '"status":"active"' in logged[0]
