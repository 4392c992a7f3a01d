"""`crosstrust search`: the disclosure search index, rebuilt or compared with the database."""

from __future__ import annotations

import typer

from api.cli_common import console, database, search_backend

search_app = typer.Typer(help="The disclosure search index.", no_args_is_help=True)


@search_app.command("reindex")
def search_reindex() -> None:
    """Rebuild the search index from the database, with a progress bar."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from disclosure import service as disclosures

    db = database()
    with Progress(
        TextColumn("indexing"), BarColumn(), MofNCompleteColumn(), console=console.now()
    ) as progress:
        task = progress.add_task("records", total=None)
        done = disclosures.reindex(
            db.read_session,
            search_backend(),
            lambda n, total: progress.update(task, completed=n, total=total),
        )
    console.print(f"{done} records indexed")


@search_app.command("check")
def search_check() -> None:
    """Compare the database with the search index; exit 1 and list the differences if they disagree."""
    from disclosure import service as disclosures

    db = database()
    diff = disclosures.check(db.read_session, search_backend())
    if not any(diff.values()):
        console.print("[green]search index matches the database[/green]")
        return
    for kind, ids in diff.items():
        if ids:
            console.print(f"[red]{kind}: {len(ids)} record(s), e.g. {ids[:10]}[/red]")
    raise typer.Exit(1)
