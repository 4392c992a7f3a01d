"""`crosstrust intake`: register a source, send a file under a mapping (resumable: sending the same file
again resumes the delivery where a killed run left it), show progress, list and download rejected rows."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from api.cli_common import console, database, fail
from core.errors import DomainError
from core.security import SYSTEM
from core.settings import get_settings

intake_app = typer.Typer(help="Data from other agencies (信用数据归集).", no_args_is_help=True)


@intake_app.command("source-add")
def source_add(
    code: str, name_zh: str = typer.Option(..., "--name-zh"), name_en: str = typer.Option("", "--name-en")
) -> None:
    """Register a source (an agency); its key is shown once."""
    from intake import service as intake
    from intake.schemas import SourceCreate

    db = database()
    try:
        with db.transaction() as s:
            src, key = intake.register(s, SourceCreate(code=code, name_zh=name_zh, name_en=name_en), SYSTEM)
    except DomainError as exc:
        fail(exc.detail)
    console.print(f"source {src.id} {src.code}; key (shown once): {key}")


@intake_app.command("old-reg-no")
def old_reg_no(old: str, uscc: str) -> None:
    """Record an old registration number that an enterprise's USCC replaced."""
    from intake import service as intake

    db = database()
    try:
        with db.transaction() as s:
            intake.add_old_reg_no(s, old, uscc, SYSTEM)
    except DomainError as exc:
        fail(exc.detail)
    console.print(f"{old} -> {uscc}")


def _show(d) -> str:  # noqa: ANN001 - IntakeDelivery or IntakeDeliveryOut
    return (
        f"delivery {d.id} {d.status}: {d.rows_done} rows, {d.accepted} accepted, {d.rejected} rejected,"
        f" {d.duplicates} duplicates, {d.review} to review, {d.conflicts} conflicts"
    )


@intake_app.command("send")
def send(
    source: str,
    file: Path,
    kind: str = typer.Option(..., "--kind", help="the mapping: penalty, court_dishonest, lab_result …"),
    fmt: str | None = typer.Option(None, "--format"),
    encoding: str | None = typer.Option(None, "--encoding", help="utf-8 or gbk; detected when not given"),
    chunk: int = typer.Option(1000, "--chunk", min=1, max=100_000),
) -> None:
    """Send a file as a delivery of SOURCE and import it; the same file again resumes it."""
    from intake import service as intake

    db = database()
    directory = get_settings().ensure_var_dir() / "intake"
    try:
        with db.read_session() as s:
            source_id = intake.by_code(s, source).id
            assert source_id is not None
        with file.open("rb") as fh:
            path, sha, size = intake.store(fh, directory)
        d = intake.receive(
            db,
            source_id,
            kind,
            path,
            sha,
            size,
            filename=file.name,
            fmt=fmt,
            encoding=encoding,
            by=f"cli:{source}",
        )
        console.print(("same file as " if d.repeated else "received ") + _show(d))
        intake.process(db, d.id, chunk=chunk, progress=lambda x: console.print(_show(x)))
        with db.read_session() as s:
            console.print(_show(intake.get_delivery(s, d.id)))
    except DomainError as exc:
        fail(exc.detail, 2)
    except FileNotFoundError:
        fail(f"no file {file}")


@intake_app.command("status")
def status(delivery_id: int | None = typer.Argument(None)) -> None:
    """A delivery's progress, or the latest deliveries."""
    from intake import service as intake

    db = database()
    with db.read_session() as s:
        try:
            shown = [intake.get_delivery(s, delivery_id)] if delivery_id else intake.deliveries(s)
        except DomainError as exc:
            fail(exc.detail)
        for d in shown:
            console.print(_show(d))


@intake_app.command("rejected")
def rejected(delivery_id: int, csv_out: bool = typer.Option(False, "--csv", help="CSV on stdout")) -> None:
    """A delivery's rejected rows with their reasons."""
    from intake import service as intake

    db = database()
    with db.read_session() as s:
        try:
            if csv_out:
                intake.rejected_csv(s, delivery_id, sys.stdout)
                return
            intake.get_delivery(s, delivery_id)
            for r in intake.rejected(s, delivery_id):
                console.print(f"row {r.row_no}: {r.field}: {r.reason}")
        except DomainError as exc:
            fail(exc.detail)
