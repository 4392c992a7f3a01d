"""`crosstrust admin`: API keys."""

from __future__ import annotations

import typer

from api.cli_common import console, database, fail, find_enterprise
from core.errors import DomainError
from core.roles import Role

admin_app = typer.Typer(help="API keys.", no_args_is_help=True)


@admin_app.command("create-key")
def create_api_key(
    role: Role = typer.Option(..., help="admin, regulator, merchant, insurer or bank"),
    enterprise: str = typer.Option(
        None, help="USCC or id of the enterprise (merchant, insurer and bank keys)"
    ),
    label: str = typer.Option("", help="What the key is for"),
    agency: str = typer.Option(None, help="A regulator key's agency (division code, e.g. 330206)"),
) -> None:
    """Create an API key and print it (it is shown only this once)."""
    from core.security import SYSTEM, issue_key

    db = database()
    try:
        with db.transaction() as s:
            enterprise_id = None
            if enterprise:
                enterprise_id = find_enterprise(s, enterprise).id
            key = issue_key(s, role, enterprise_id, label, by=SYSTEM.actor, agency=agency)
    except DomainError as exc:
        fail(exc.detail, 2)
    print(key)


@admin_app.command("revoke-key")
def revoke_api_key(prefix: str) -> None:
    """Revoke the key with PREFIX (the 8 characters after 'ct_')."""
    from core.security import SYSTEM, revoke_key

    db = database()
    try:
        with db.transaction() as s:
            revoke_key(s, prefix, by=SYSTEM.actor)
    except DomainError as exc:
        fail(exc.detail, 2)
    console.print(f"revoked {prefix}")
