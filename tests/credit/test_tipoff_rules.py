"""The tip-off limits are methodology rules (`[tipoffs]` in credit/methodology.toml), not constants: a
copy of the file with other limits changes what the API answers, through the API on both databases, and
a limit that makes no sense is refused naming its key."""

from __future__ import annotations

import tomllib
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from credit import methodology
from credit.methodology import MethodologyError
from credit.tipoff_models import Tipoff
from tests.credit.test_tipoffs import PUBLIC, _report, _uscc


def _methodology_with(tmp_path: Path, monkeypatch, **limits: int) -> None:
    text = methodology.DEFAULT_FILE.read_text(encoding="utf-8")
    shipped = "[tipoffs]\nmax_per_day = 5\nrepeat_days = 90\n"
    assert shipped in text  # the shipped rule, which the copy changes
    changed = "[tipoffs]\n" + "".join(f"{k} = {v}\n" for k, v in limits.items())
    other = tmp_path / "methodology.toml"
    other.write_text(text.replace(shipped, changed), encoding="utf-8")
    monkeypatch.setenv(methodology.FILE_ENV, str(other))


def _flood(client, uscc: str, token: str, start: int) -> int:
    """Reports with the reporter's token until one is refused; the number accepted."""
    for n in range(start, start + 20):
        r = client.post(
            PUBLIC, json=_report(uscc, narrative=f"第{n}份举报：各不相同的内容{n}", reporter_token=token)
        )
        if r.status_code == 429:
            assert "reports a day" in r.json()["detail"], r.text
            return n - start
        assert r.status_code == 201, r.text
    raise AssertionError("no flood limit reached")


def test_the_daily_limit_is_the_methodologys(client, db, keys, tmp_path, monkeypatch):
    uscc = _uscc(db, keys.merchant_id)
    _methodology_with(tmp_path, monkeypatch, max_per_day=2, repeat_days=90)
    first = client.post(PUBLIC, json=_report(uscc, narrative="第一份举报：商品没有中文标签"))
    assert first.status_code == 201, first.text
    token = first.json()["reporter_token"]
    assert _flood(client, uscc, token, 2) == 1  # 2 a day: the first and one more
    monkeypatch.setenv(methodology.FILE_ENV, str(methodology.DEFAULT_FILE))
    assert _flood(client, uscc, token, 100) == 3  # the shipped 5 a day: three more the same day
    assert client.get("/api/v1/public/credit/methodology").json()["tipoffs"] == {
        "max_per_day": 5,
        "repeat_days": 90,
    }


def test_the_repeat_window_is_the_methodologys(client, db, keys, tmp_path, monkeypatch):
    uscc = _uscc(db, keys.merchant_id)
    assert client.post(PUBLIC, json=_report(uscc)).status_code == 201
    with db.transaction() as s:  # the report was made ten days ago
        (t,) = s.exec(select(Tipoff)).all()
        t.created_at = t.created_at - timedelta(days=10)
        s.add(t)
    again = client.post(PUBLIC, json=_report(uscc))
    assert again.status_code == 409 and again.json()["errors"][0]["field"] == "narrative"
    _methodology_with(tmp_path, monkeypatch, max_per_day=5, repeat_days=7)
    assert client.post(PUBLIC, json=_report(uscc)).status_code == 201, "10 days on, past a 7-day window"
    assert client.post(PUBLIC, json=_report(uscc)).status_code == 409  # the new one stands


@pytest.mark.parametrize(
    ("limits", "key"),
    [({"max_per_day": 0}, "tipoffs.max_per_day"), ({"repeat_days": "90"}, "tipoffs.repeat_days")],
)
def test_a_limit_that_makes_no_sense_is_refused_naming_it(limits, key):
    data = tomllib.loads(methodology.DEFAULT_FILE.read_text(encoding="utf-8"))
    data["tipoffs"].update(limits)
    with pytest.raises(MethodologyError) as err:
        methodology.parse(data)
    assert any(p.startswith(key) for p in err.value.problems), err.value.problems
