import json

import pytest
from typer.testing import CliRunner

from api.cli import app
from core.settings import get_settings


@pytest.fixture
def cli_env(db, tmp_path, monkeypatch):
    monkeypatch.setenv("CROSSTRUST_DATABASE_URL", db.url)
    monkeypatch.setenv("CROSSTRUST_VAR_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    yield tmp_path / "var"
    get_settings.cache_clear()


def test_demo_seeds_once_and_its_keys_work(cli_env, client):
    runner = CliRunner()
    first = runner.invoke(app, ["demo"])
    assert first.exit_code == 0, first.output
    keys = json.loads((cli_env / "demo-keys.json").read_text())
    assert set(keys) == {"admin", "regulator", "regulator_other", "merchant", "insurer", "bank"}
    assert (cli_env / "demo-keys.json").stat().st_mode & 0o777 == 0o600
    for role, key in keys.items():
        me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {key}"})
        assert me.status_code == 200 and me.json()["role"] == role.removesuffix("_other")
    other = client.get("/api/v1/me", headers={"Authorization": f"Bearer {keys['regulator_other']}"})
    assert other.json()["agency"] == "310115"
    assert (
        client.get("/api/v1/me", headers={"Authorization": f"Bearer {keys['regulator']}"}).json()["agency"]
        == "330206"
    )
    listed = client.get("/api/v1/enterprises", headers={"Authorization": f"Bearer {keys['admin']}"}).json()
    assert len(listed) >= 6 and {e["kind"] for e in listed} == {"merchant", "insurer", "regulator", "bank"}
    again = runner.invoke(app, ["demo"])
    assert again.exit_code == 0 and "already present" in again.output


def test_create_key_for_an_enterprise_by_uscc(cli_env, client, keys):

    ent = client.get(
        f"/api/v1/enterprises/{keys.merchant_id}", headers={"Authorization": f"Bearer {keys.admin}"}
    )
    result = CliRunner().invoke(
        app, ["admin", "create-key", "--role", "merchant", "--enterprise", ent.json()["uscc"]]
    )
    assert result.exit_code == 0, result.output
    key = result.output.strip().splitlines()[-1]
    assert client.get("/api/v1/me", headers={"X-API-Key": key}).json()["enterprise_id"] == keys.merchant_id
    bad = CliRunner().invoke(app, ["admin", "create-key", "--role", "merchant"])
    assert bad.exit_code == 2 and "must be bound" in bad.output


def test_demo_on_a_fresh_database_brings_the_schema_up_first(tmp_path, monkeypatch):
    """The first hour: `crosstrust demo` on a new database file works without `crosstrust db upgrade`."""
    monkeypatch.setenv("CROSSTRUST_DATABASE_URL", f"sqlite:///{tmp_path / 'fresh.db'}")
    monkeypatch.setenv("CROSSTRUST_VAR_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["demo"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "var" / "demo-keys.json").read_text()).keys() == {
        "admin",
        "regulator",
        "regulator_other",
        "merchant",
        "insurer",
        "bank",
    }
