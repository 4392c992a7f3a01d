"""`crosstrust db` (the schema) and `crosstrust audit` (the audit ledger's chain and checkpoints)."""

from __future__ import annotations

import typer

from api.cli_common import console, database, fail
from core.settings import get_settings

db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit ledger.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head")) -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    from core.db import migrate

    settings = get_settings()
    settings.ensure_var_dir()
    migrate(settings.effective_database_url, revision)
    anchor_audit()
    console.print(f"database at [bold]{revision}[/bold]")


def anchor_audit() -> None:
    """Sign the audit ledger's head right after a migration: a ledger begun before the keyed chain is
    anchored as it is, before anyone could rewrite its plain-hash entries unnoticed."""
    from sqlalchemy import inspect

    from core import audit as audit_ledger

    db = database()
    try:
        if "audit_checkpoint" in inspect(db.engine).get_table_names():  # an older revision was asked for
            with db.transaction() as s:
                audit_ledger.checkpoint_now(s)
    finally:
        db.dispose()


@audit_app.command("verify")
def audit_verify(
    published: str = typer.Option(
        None,
        help="Also compare with checkpoints published earlier: a saved JSON file or the public URL "
        "(…/api/v1/public/audit/checkpoints); catches a ledger cut short together with its checkpoints",
    ),
) -> None:
    """Check the ledger's keyed chain and its signed checkpoints; names every entry that was edited,
    inserted or deleted, even with the chain recomputed."""
    from core import audit as audit_ledger
    from translog import audit as tlog_audit

    db = database()
    try:
        copies = _published(published) if published else None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        fail(f"cannot read the published checkpoints from {published}: {exc}", 2)
    with db.read_session() as s:
        findings: list[object] = list(audit_ledger.verify(s, published=copies))
    findings += tlog_audit.findings(db)  # the transparency log's rows, and records against their leaves
    if not findings:
        console.print("[green]audit ledger intact[/green]")
        return
    for finding in findings:
        console.print(f"[red]{finding}[/red]")
    raise typer.Exit(1)


@audit_app.command("checkpoint")
def audit_checkpoint() -> None:
    """Sign a checkpoint of the ledger's head now (the server also does every few minutes)."""
    from core import audit as audit_ledger

    db = database()
    with db.transaction() as s:
        cp = audit_ledger.checkpoint_now(s)
    if cp is None:
        console.print("the head is already checkpointed")
    else:
        console.print(f"checkpoint at entry {cp.seq}: {cp.head_hash}")


def _published(source: str) -> list[dict]:
    """Checkpoints as published (GET /api/v1/public/audit/checkpoints), from a file or that URL;
    every page of the URL is read."""
    import json
    from pathlib import Path
    from urllib.parse import urlencode
    from urllib.request import urlopen

    if not source.startswith(("http://", "https://")):
        data = json.loads(Path(source).read_text())
        return data["checkpoints"] if isinstance(data, dict) else data
    found: list[dict] = []
    after = 0
    while True:
        sep = "&" if "?" in source else "?"
        with urlopen(f"{source}{sep}{urlencode({'after_seq': after, 'limit': 1000})}", timeout=30) as r:  # noqa: S310 - the operator's URL
            page = json.loads(r.read())["checkpoints"]
        if not page:
            return found
        found += page
        after = page[-1]["seq"]
