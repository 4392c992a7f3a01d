"""`crosstrust insurance`: the nightly expiry a server also runs."""

from __future__ import annotations

import typer

from api.cli_common import console, database

insurance_app = typer.Typer(help="Quality insurance.", no_args_is_help=True)


@insurance_app.command("expire")
def insurance_expire() -> None:
    """Mark policies whose period ended as expired; those without a successor lapse (their public
    service record is withdrawn). The server runs this nightly."""
    from insurance import service as insurance

    db = database()
    with db.transaction() as s:
        n = insurance.expire_due(s)
    console.print(f"{n} policies expired")
