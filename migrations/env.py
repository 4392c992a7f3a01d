"""Alembic environment: the URL comes from the caller (core.db.migrate) or from CrossTrust's settings."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

from api.wiring import load_models
from core.db import make_engine, normalise_url
from core.settings import get_settings

load_models()
config = context.config
target_metadata = SQLModel.metadata


def _url() -> str:
    return config.attributes.get("database_url") or normalise_url(get_settings().effective_database_url)


def run_migrations_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = make_engine(_url())
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Batch mode alters a SQLite table by copying it and dropping the old one, which rows of
            # other tables may point to. Foreign keys are off for the run (a pragma that only works
            # outside a transaction, hence on the driver's connection) and checked after it.
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
        with context.begin_transaction():
            context.run_migrations()
        if sqlite:
            raw = connection.connection.driver_connection
            broken = raw.execute("PRAGMA foreign_key_check").fetchall()
            raw.execute("PRAGMA foreign_keys=ON")
            if broken:
                raise RuntimeError(f"the migration left rows pointing to nothing: {broken[:5]}")
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
