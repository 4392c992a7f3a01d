"""`crosstrust complaints`: the timed sweep a server also runs."""

from __future__ import annotations

import typer

from api.cli_common import console, database
from core.settings import get_settings

complaints_app = typer.Typer(help="Consumer complaints.", no_args_is_help=True)


@complaints_app.command("sweep")
def complaints_sweep() -> None:
    """Move the cases whose time is up (the server also sweeps on a timer; safe to run alongside it)."""
    from complaints import service as complaints

    counts = complaints.sweep(database(), complaints.Kit.from_settings(get_settings()))
    console.print(", ".join(f"{n} {what}" for what, n in counts.items()))
