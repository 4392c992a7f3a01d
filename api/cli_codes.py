"""`crosstrust codes`: issue, resume, ship and export trace codes (the signed codes' offline check is
`api/cli_signing.py`, attached here)."""

from __future__ import annotations

import contextlib
import sys
from typing import TYPE_CHECKING

import typer

from api import cli_signing
from api.cli_common import console, database, fail, find_enterprise
from core.errors import DomainError
from core.settings import get_settings

if TYPE_CHECKING:
    from core.db import Database
    from traceability.codes import Keyring

codes_app = typer.Typer(help="Trace codes.", no_args_is_help=True)
codes_app.command("certificates")(cli_signing.certificates)
codes_app.command("verify")(cli_signing.verify)


@codes_app.command("issue")
def issue_codes(
    declaration: str = typer.Option(..., help="Declaration id or 18-digit declaration number (报关单号)"),
    line: int = typer.Option(1, help="Line number"),
    quantity: int = typer.Option(..., min=1, max=10_000_000, help="How many item codes"),
    signed: bool = typer.Option(False, help="Each code carries a signature in GS1 AI (8030)"),
) -> None:
    """Issue item codes for a released line, with a progress bar; prints the batch id.

    Exit status: 0 issued; 1 failed (the batch was undone); 2 refused; 3 the batch was taken over by
    another process (this one stalled past its lease) or undone meanwhile; 130 interrupted (the batch
    stays reserved and is resumed by a server, a worker or `crosstrust codes resume`)."""
    from core.db import id_of
    from core.security import SYSTEM
    from traceability import service as trace
    from traceability.codes import Keyring

    settings = get_settings()
    db = database()
    keyring = Keyring.from_settings(settings)
    runner = trace.new_runner("cli")
    try:
        with db.transaction() as s:
            batch = trace.reserve_codes(
                s,
                id_of(trace.find_declaration(s, declaration)),
                line,
                quantity,
                keyring,
                SYSTEM,
                runner=runner,
                lease_seconds=settings.batch_lease_seconds,
                signed=signed,
            )
    except DomainError as exc:
        fail(exc.detail, 2)
    console.print(f"batch {batch.id}: issuing {quantity} {'signed ' if signed else ''}codes")
    _run_batch(db, id_of(batch), runner, keyring, quantity)


def _run_batch(db: Database, batch_id: int, runner: str, keyring: Keyring, quantity: int) -> None:
    """Run a batch this process holds, with a progress bar, and say truthfully how it ended."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from traceability import service as trace

    settings = get_settings()
    columns = (TextColumn("issuing"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    try:
        with Progress(*columns, console=console.now()) as progress:
            task = progress.add_task("codes", total=quantity)
            done = trace.run_batch(
                db,
                batch_id,
                keyring,
                settings.resolver_base_url,
                lambda n, _total: progress.update(task, completed=n),
                runner=runner,
                lease_seconds=settings.batch_lease_seconds,
                chunk=settings.code_batch_chunk,
            )
    except trace.BatchLost as exc:
        fail(exc.detail, 3)
    except KeyboardInterrupt:
        fail(
            f"interrupted: batch {batch_id} stays reserved and is resumed by the server, a worker or"
            f" `crosstrust codes resume --batch {batch_id}` once its lease of"
            f" {settings.batch_lease_seconds:g} s runs out",
            130,
        )
    except DomainError as exc:
        fail(exc.detail, 2)
    except Exception as exc:  # noqa: BLE001 - run_batch undid the batch; say so instead of a traceback
        fail(f"batch {batch_id} failed and was undone: {type(exc).__name__}: {exc}", 1)
    console.print(f"batch {done.id}: {done.quantity} codes issued")


@codes_app.command("ship")
def ship_codes(
    declaration: str = typer.Option(None, help="Declaration id or 18-digit number: ship its --line"),
    line: int = typer.Option(None, min=1, help="Line number of --declaration"),
    gtin: str = typer.Option(None, help="Ship a lot: its GTIN (with --lot)"),
    lot: str = typer.Option(None, help="Ship a lot: its lot (with --gtin)"),
    code: list[str] = typer.Option(
        None, "--code", help="An item code (URI, serial or short code); repeatable"
    ),
    codes_file: str = typer.Option(
        None, help="A file of item codes, one a line, or a codes.csv export (its uri column); - for stdin"
    ),
    enterprise: str = typer.Option(
        None, help="Act as this merchant (USCC or id): only its own or granted codes may be shipped"
    ),
) -> None:
    """Ship out of the bonded warehouse (出区): record the EPCIS shipping event for a line, a lot or item
    codes, without which their scans say the goods have not left the warehouse. Shipping again changes
    nothing. Exit status: 0 shipped (or already shipped), 2 refused."""
    from traceability import shipping

    settings = get_settings()
    db = database()
    resolver = settings.resolver_base_url
    # The declaration by its id or its 18-digit number, as the API names it (the service decides).
    by_id = declaration is not None and declaration.isdigit() and len(declaration) < 18
    named: shipping.ShipTarget = {
        "declaration_id": int(declaration) if by_id else None,
        "declaration_no": declaration if declaration is not None and not by_id else None,
        "line_no": line,
        "gtin": gtin,
        "lot": lot,
    }
    try:
        by, enterprise_id = _acting_as(db, enterprise)
        chunks: list[list[str] | None]
        if code or codes_file:
            values = list(code or []) + (_codes_from(codes_file) if codes_file else [])
            chunks = [values[i : i + shipping.MAX_CODES] for i in range(0, len(values), shipping.MAX_CODES)]
        else:
            chunks = [None]
        for chunk in chunks or [[]]:
            with db.transaction() as s:
                done = shipping.ship(s, enterprise_id, by, resolver, **named, codes=chunk)
            _print_shipment(done)
    except DomainError as exc:
        reasons = "".join(f"\n  {e.field}: {e.reason}" for e in exc.errors[1:])
        fail(exc.detail + reasons, 2)


def _acting_as(db: Database, enterprise: str | None):  # noqa: ANN202 - (Principal, enterprise id)
    """The operator (any enterprise's goods), or one merchant, checked as its API key would be."""
    from core.security import SYSTEM, Principal, Role

    if not enterprise:
        return SYSTEM, None
    with db.read_session() as s:
        ent = find_enterprise(s, enterprise)
    return Principal(key_id=None, role=Role.merchant, enterprise_id=ent.id, prefix="cli"), ent.id


def _codes_from(path: str) -> list[str]:
    """Codes one a line, or the `uri` column of a codes.csv export."""
    import csv
    from pathlib import Path

    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror}", 2)
    lines = text.splitlines()
    if lines and lines[0].split(",")[0].strip() == "uri":
        return [row["uri"] for row in csv.DictReader(lines) if row.get("uri")]
    return [ln.strip() for ln in lines if ln.strip()]


def _print_shipment(done) -> None:  # noqa: ANN001 - traceability.shipping.Shipment
    for e in done.events:
        state = "shipped" if e.recorded else "already shipped"
        console.print(
            f"{state}: {e.quantity} item(s) of lot {e.lot} (GTIN {e.gtin}), declaration"
            f" {e.declaration_no} line {e.line_no}; EPCIS event {e.event_id}"
        )
    console.print(f"{done.shipped} item(s) shipped, {done.already_shipped} already shipped")


@codes_app.command("export")
def export_codes(
    batch: int = typer.Option(..., min=1, help="The code batch (`codes issue` prints its id)"),
    format: str = typer.Option("csv", "--format", help="csv, labels (A4 PDF sheets) or qr (ZIP of PNGs)"),
    output: str = typer.Option(
        None, "--output", "-o", help="File to write (default: named after the batch); - for stdout (csv)"
    ),
    # Bounds checked by traceability.exports, as for the API and the merchant's page.
    offset: int = typer.Option(0, help="First code (in issue order), from 0"),
    limit: int = typer.Option(None, help="How many codes, 1 to 20,000 (default: all from --offset)"),
) -> None:
    """Export a finished batch's codes as the API does: codes.csv, labels.pdf or qr.zip (one rule,
    traceability.exports: the same batch, offset and limit are refused here as there)."""
    from itertools import islice

    from core import csvsafe
    from traceability import exports, labels
    from traceability import service as trace

    if format not in ("csv", *exports.SHEETS):
        fail(f"--format: one of csv, {', '.join(exports.SHEETS)}, not {format!r}", 2)
    if output == "-" and format != "csv":
        fail("--output -: only csv goes to stdout", 2)
    resolver = get_settings().resolver_base_url
    db = database()
    try:
        # The range and the batch's state are checked here, before any file is made.
        if format == "csv":
            exports.batch_in_range(db, batch, offset, limit)
            path = output or exports.CSV_NAME.format(batch=batch)
            codes = islice(trace.codes_of_batch(db, batch), offset, None if limit is None else offset + limit)
            target = (
                contextlib.nullcontext(sys.stdout)
                if path == "-"
                else open(path, "w", encoding="utf-8-sig", newline="")  # noqa: SIM115 - closed by `with`
            )
            with target as fh:
                writer = csvsafe.writer(fh)
                writer.writerow(labels.CSV_HEADER)
                count = 0
                for count, c in enumerate(codes, 1):  # noqa: B007 - the count is what is reported
                    writer.writerow(labels.csv_row(c, resolver))
        else:
            sheet = exports.sheet(db, batch, format, resolver, offset=offset, limit=limit)
            path = output or sheet.filename
            with open(path, "wb") as out:
                count = sheet.write(out)
    except DomainError as exc:
        fail(exc.detail, 2)
    if path != "-":
        console.print(f"{count} codes written to {path}")


@codes_app.command("resume")
def resume_codes(batch: int = typer.Option(None, help="Only this batch")) -> None:
    """Resume code batches whose runner stopped (a killed `codes issue`, a server that is not running),
    one at a time, from the codes already issued. A batch whose runner is alive is left alone."""
    from traceability import service as trace
    from traceability.codes import Keyring
    from traceability.models import CodeBatch

    settings = get_settings()
    db = database()
    keyring = Keyring.from_settings(settings)
    resumed = 0
    while True:
        claimed = trace.claim_expired(
            db,
            "cli",
            batch_id=batch,
            lease_seconds=settings.batch_lease_seconds,
            max_attempts=settings.batch_max_attempts,
        )
        if not claimed:
            break
        ((batch_id, runner),) = claimed
        with db.read_session() as s:
            held = s.get_one(CodeBatch, batch_id)
        console.print(f"batch {batch_id}: resuming at {held.issued} of {held.quantity} codes")
        _run_batch(db, batch_id, runner, keyring, held.quantity)
        resumed += 1
        if batch is not None:
            return
    if batch is not None:
        with db.read_session() as s:
            found = s.get(CodeBatch, batch)
        if found is None:
            fail(f"no code batch {batch}", 2)
        if found.status == "running":
            fail(
                f"batch {batch} is held by {found.runner} until {found.lease_until:%Y-%m-%d %H:%M:%S} UTC;"
                " it is resumed here only once that lease runs out",
                2,
            )
        fail(f"batch {batch} is {found.status}: nothing to resume", 2)
    console.print(f"{resumed} batches resumed" if resumed else "no batch waiting to be resumed")
