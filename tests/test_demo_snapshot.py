"""The demo put back for a `demo_seeded` test (tests/demo_snapshot.py) is what `demo.seed` makes: every
table of the database (its own catalogue, not the models' list) holds as many rows, the id sequences
hand out the next id seeding again would, the audit ledger is intact, and the keys sign in."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text

from api import demo
from core import audit
from core.db import Database
from core.security import Role, authenticate
from tests.conftest import _truncate


def _state(db: Database) -> dict[str, int]:
    """Rows of every table in the database, and (PostgreSQL) where each id sequence stands."""
    with db.engine.connect() as conn:
        tables = inspect(conn).get_table_names()
        state = {t: conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one() for t in tables}
        if not db.is_sqlite:
            rows = conn.execute(
                text(
                    "SELECT sequencename, coalesce(last_value, 0) FROM pg_sequences WHERE schemaname = current_schema()"
                )
            ).all()
            state |= {f"sequence {name}": int(value) for name, value in rows}
    return state


@pytest.mark.demo_seeded
def test_the_demo_put_back_is_the_demo_seeding_makes(db: Database, seeded_keys: dict[str, str]) -> None:
    put_back = _state(db)
    with db.read_session() as s:
        assert audit.verify(s) == []
        for role, key in seeded_keys.items():
            assert authenticate(s, key).role == Role(role.removesuffix("_other")), role
    assert put_back["enterprise"] > 0 and put_back["api_key"] == len(seeded_keys)

    _truncate(db)
    with db.transaction() as s:
        demo.seed(s)
    assert _state(db) == put_back
