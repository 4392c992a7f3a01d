"""A disclosure record's English reads in words, as its Chinese does: a credit record's severity and
status, a declaration's status, an enterprise's operating status, a complaint's category and outcomes
are never shown as the platform's internal codes ("under_review", "status active"). A complaint's record
is held to the same in tests/complaints/test_whole_case.py."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from credit.records import SEVERITY_EN, STATUS_EN
from disclosure.models import DisclosureRecord
from disclosure.records_enterprises import STATUS_EN as ENTERPRISE_STATUS_EN

pytestmark = pytest.mark.demo_seeded  # the demo's records, as `demo.seed` publishes them

CODE = re.compile(r"\b[a-z]+_[a-z_]+\b")  # an identifier-like token: how internal codes are spelt


def _records(db, dispatcher) -> list[DisclosureRecord]:
    dispatcher.drain()  # the demo's events, published
    with db.read_session() as s:
        return list(s.exec(select(DisclosureRecord)))


def test_no_english_text_of_a_record_carries_an_internal_code(db, dispatcher) -> None:
    records = _records(db, dispatcher)
    assert len(records) > 20
    coded = [(r.record_key, m) for r in records for m in CODE.findall(f"{r.title_en} {r.body_en}")]
    assert coded == []


def test_statuses_categories_and_severities_are_words(db, dispatcher) -> None:
    by_kind: dict[str, list[DisclosureRecord]] = {}
    for r in _records(db, dispatcher):
        by_kind.setdefault(r.record_key.rsplit(":", 1)[0], []).append(r)
    credit = by_kind["reward_punishment:credit_record"]
    assert credit and all(any(f"status: {w};" in r.body_en for w in STATUS_EN.values()) for r in credit)
    assert all(any(f"({w})" in r.title_en for w in SEVERITY_EN.values()) for r in credit)
    entities = by_kind["entity"]
    assert entities and all(
        any(f"status: {w}." in r.body_en for w in ENTERPRISE_STATUS_EN.values()) for r in entities
    )
