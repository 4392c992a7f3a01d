"""`crosstrust credit` (the methodology, the nightly recompute) and `crosstrust supervise` (inspection
draws by grade)."""

from __future__ import annotations

import typer

from api.cli_common import console, database, fail
from core.errors import DomainError

credit_app = typer.Typer(help="Merchant credit.", no_args_is_help=True)
supervise_app = typer.Typer(help="Supervision by grade: inspection draws.", no_args_is_help=True)


@credit_app.command("check-methodology")
def credit_check_methodology(path: str = typer.Argument(..., help="A methodology TOML file")) -> None:
    """Check that a methodology file adds up before it is deployed (exit 1 with every reason if not)."""
    from credit import methodology

    try:
        m = methodology.load(path)
    except methodology.MethodologyError as exc:
        console.print(f"[red]{path} refused:[/red]")
        for problem in exc.problems:
            console.print(f"  - {problem}")
        raise typer.Exit(1) from None
    bands = ", ".join(f"{g.code} ≥ {g.min:g}" for g in m.grades)
    console.print(f"[green]methodology {m.version} adds up[/green]: {len(m.kinds)} kinds, grades {bands}")


@credit_app.command("recompute")
def credit_recompute() -> None:
    """Recompute every merchant's score (what runs nightly; schedule it with cron or a systemd timer)."""
    from credit import service as credit

    result = credit.recompute_all(database(), trigger="nightly")
    console.print(
        f"{result['enterprises']} enterprises scored, {result['changed']} changed, "
        f"{result['grades_changed']} grades changed"
    )


@supervise_app.command("draw")
def supervise_draw(
    inspector: list[str] = typer.Option(..., "--inspector", "-i", help="An inspector who may be assigned"),
    seed: str = typer.Option("", help="Hex seed (random if not given)"),
) -> None:
    """Draw pending declarations for inspection, weighted by grade; prints the seed and input hash."""
    from rich.table import Table

    from core.security import SYSTEM
    from credit import supervision

    db = database()
    try:
        with db.transaction() as s:
            d = supervision.draw(s, inspector, SYSTEM, seed or None)
    except DomainError as exc:
        fail(exc.detail)
    table = Table(
        "declaration no.",
        "importer (USCC)",
        "importer's grade",
        "inspection rate",
        "draw value (selected below the rate)",
        "inspector",
        title="Declarations selected for inspection",
    )
    for row in supervision.readable(d):
        rate = row["inspection_rate"]
        table.add_row(
            row["declaration_no"],
            row["importer_uscc"],
            row["importer_grade"],
            "-" if rate is None else f"{rate:.0%}",
            f"{row['draw_value']:.6f}",
            row["inspector"],
        )
    console.print(table)
    console.print(
        f"draw {d.id}: {len(d.selected)} of {len(d.inputs['candidates'])} pending declarations selected\n"
        f"seed {d.seed}\ninput hash {d.input_hash}\nresult hash {d.result_hash}\n"
        f"published at /api/v1/public/credit/draws/{d.id}"
    )


@supervise_app.command("replay")
def supervise_replay(draw_id: int = typer.Argument(..., help="A published draw's id")) -> None:
    """Replay a published draw from its inputs and seed; exit 1 if it does not come out the same."""
    from credit import supervision

    db = database()
    try:
        with db.read_session() as s:
            result = supervision.replay(supervision.get(s, draw_id))
    except DomainError as exc:
        fail(exc.detail)
    if not result["matches"]:
        fail(f"draw {draw_id} does not replay: {result}")
    console.print(f"[green]draw {draw_id} replays exactly[/green] (result hash {result['result_hash']})")
