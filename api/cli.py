"""The `crosstrust` command line: serve, worker, db, demo, admin keys, audit."""

from __future__ import annotations

import contextlib
import os
import sys
from typing import NoReturn

import typer
from rich.table import Table

from api import cli_signing, wiring
from api import demo as demo_data
from api.cli_console import LateConsole
from api.cli_log import log_app
from api.wiring import load_handlers
from core import audit as audit_ledger
from core.db import Database, id_of, migrate
from core.errors import DomainError
from core.files import PRIVATE_UMASK
from core.security import SYSTEM, Role, issue_key, revoke_key
from core.settings import get_settings
from disclosure.search.base import SearchBackend
from traceability.codes import Keyring
from translog import audit as tlog_audit

app = typer.Typer(
    help="CrossTrust: traceability and trust for cross-border e-commerce.", no_args_is_help=True
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
admin_app = typer.Typer(help="API keys.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit ledger.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(admin_app, name="admin")
app.add_typer(audit_app, name="audit")
app.add_typer(log_app, name="log")


console = LateConsole()


def _db() -> Database:
    load_handlers()
    settings = get_settings()
    keys = audit_ledger.AuditKeys.from_settings(settings)
    return Database(settings.effective_database_url, audit_keys=keys)


def _kit(settings):  # noqa: ANN001, ANN202 - core.settings.Settings -> complaints.service.Kit
    from complaints.service import Kit

    return Kit.from_settings(settings)


def _search() -> SearchBackend:
    """This command's search backend, as the settings ask (a command is a process of its own)."""
    from disclosure.search.factory import from_settings

    return from_settings(get_settings())


def _fail(message: str, code: int = 1) -> NoReturn:
    console.print(f"[red]error:[/red] {message}")
    raise typer.Exit(code)


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head")) -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    settings = get_settings()
    settings.ensure_var_dir()
    migrate(settings.effective_database_url, revision)
    _anchor_audit()
    console.print(f"database at [bold]{revision}[/bold]")


def _anchor_audit() -> None:
    """Sign the audit ledger's head right after a migration: a ledger begun before the keyed chain is
    anchored as it is, before anyone could rewrite its plain-hash entries unnoticed."""
    from sqlalchemy import inspect

    db = _db()
    try:
        if "audit_checkpoint" in inspect(db.engine).get_table_names():  # an older revision was asked for
            with db.transaction() as s:
                audit_ledger.checkpoint_now(s)
    finally:
        db.dispose()


@app.command()
def demo(force: bool = typer.Option(False, help="Seed even if enterprises exist")) -> None:
    """Load realistic demo data and create one demo API key per role (on a fresh database too: the
    schema is brought up to date first, as `up` does)."""
    settings = get_settings()
    migrate(settings.effective_database_url)
    db = _db()
    with db.transaction() as s:
        if demo_data.is_seeded(s) and not force:
            console.print("demo data already present; use --force to add another set")
            return
        keys = demo_data.seed(s, seed_value=2018 if not force else None)
    scans = demo_data.demo_scans(db, Keyring.from_settings(settings))
    urls = [url for _, url in scans]
    demo_data.save_scan_notes(settings.var_dir / "demo-scan-notes.json", scans)
    demo_data.seed_complaints(db, settings, urls)
    insured = demo_data.seed_insurance(db)
    demo_data.save_keys(settings.var_dir / "demo-keys.json", keys)
    demo_data.save_urls(settings.var_dir / "demo-scans.json", urls)
    demo_data.save_insurance(settings.var_dir / "demo-insurance.json", insured)
    wiring.dispatcher(db, _search(), _kit(settings)).drain()
    _print_keys(keys)
    _print_urls(urls, demo_data.load_scan_notes(settings.var_dir / "demo-scan-notes.json"))
    _print_insurance(insured)


def _catch_up_search(db: Database) -> None:
    """The search index is derived data: when it disagrees with the database (a new index layout after an
    upgrade, a deleted file), rebuild it before serving rather than answer from a partial index."""
    from disclosure import service as disclosures

    backend = _search()
    try:
        diff = disclosures.check(db.read_session, backend)
    except Exception as exc:  # noqa: BLE001 - search down: the outbox catches up when it returns
        console.print(f"[yellow]search index not checked ({exc}); it catches up from the outbox[/yellow]")
        return
    if any(diff.values()):
        done = disclosures.reindex(db.read_session, backend)
        console.print(f"search index rebuilt from the database: {done} records")


def _print_urls(urls: list[str], notes: dict[str, str] | None = None) -> None:
    if urls:
        console.print("  Scan a demo code (open in a browser, or curl -H 'Accept: application/json'):")
        for url in urls:
            note = (notes or {}).get(url)
            # markup=False: a URL's [..] must not read as Rich markup; soft_wrap keeps it one line
            console.print(f"    {url}" + (f"   ({note})" if note else ""), markup=False, soft_wrap=True)


def _print_insurance(info: dict[str, str]) -> None:
    if info:
        console.print(
            f"  Insurance      {info['insured']} is insured (its scans show the cover); "
            f"{info['uninsured']} is not"
        )
        console.print(f"  Paid claim     {info['claimed_scan']}")


def _print_keys(keys: dict[str, str]) -> None:
    table = Table(title="Demo API keys (send as 'Authorization: Bearer <key>')")
    table.add_column("role")
    table.add_column("key")
    for role, key in keys.items():
        table.add_row(role, key)
    console.print(table)


@app.command()
def serve(
    host: str | None = typer.Option(None),
    port: int | None = typer.Option(None),
    workers: int = typer.Option(1, min=1, max=64, help="API processes (uvicorn workers) on one port"),
) -> None:
    """Serve the API and pages; with --workers N, N processes that share the database, the rate limit
    (on PostgreSQL) and /metrics. Background roles per process: CROSSTRUST_ROLES."""
    import uvicorn

    settings = get_settings()
    if workers > 1:
        _metrics_dir(settings)
        if settings.rate_limit_store == "memory" or settings.effective_database_url.startswith("sqlite"):
            # No shared store (SQLite, or asked for): each process counts alone, so each gets its
            # share of the limit rather than all of it, and the operator is told.
            import math

            per_minute = math.ceil(settings.public_rate_limit_per_minute / workers)
            burst = math.ceil(settings.public_rate_limit_burst / workers)
            os.environ["CROSSTRUST_PUBLIC_RATE_LIMIT_PER_MINUTE"] = str(per_minute)
            os.environ["CROSSTRUST_PUBLIC_RATE_LIMIT_BURST"] = str(burst)
            console.print(
                f"[yellow]the public rate limit is kept per process here (no PostgreSQL): each of the "
                f"{workers} processes allows {per_minute}/min, burst {burst}[/yellow]"
            )
    uvicorn.run(
        "api.app:factory",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        log_level="info",
        # The app applies CROSSTRUST_TRUSTED_PROXIES itself (api.app); uvicorn's default would trust
        # X-Forwarded-For from any peer on loopback, letting a client pick its own address.
        proxy_headers=False,
        # Uvicorn's access log keeps the client's address and the scan's raw `loc=`: the app writes
        # its own (api.accesslog), which keeps no more than the database does.
        access_log=False,
    )


def _metrics_dir(settings) -> None:  # noqa: ANN001 - Settings
    """Several processes answer /metrics in turn: each must report all of them. prometheus-client's
    multiprocess mode keeps every process's values in files under one directory, read by whichever
    process is scraped; the directory is emptied here, at the start of a new set of processes, so a
    previous run's counters do not add to this one's. An operator running processes as separate
    services sets PROMETHEUS_MULTIPROC_DIR (and empties it) itself (see deploy/)."""
    import shutil

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return
    path = settings.ensure_var_dir() / "prometheus"
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(mode=0o700)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(path.resolve())


@app.command()
def up() -> None:
    """What `make run` does: migrate, seed demo data on first start, print where to look, serve."""
    settings = get_settings()
    settings.ensure_var_dir()
    settings.code_secret_bytes()
    migrate(settings.effective_database_url)
    _anchor_audit()
    db = _db()
    keys_path = settings.var_dir / "demo-keys.json"
    with db.transaction() as s:
        keys = None if demo_data.is_seeded(s) else demo_data.seed(s)
    if keys:
        demo_data.save_keys(keys_path, keys)
        scans = demo_data.demo_scans(db, Keyring.from_settings(settings))
        demo_data.save_urls(settings.var_dir / "demo-scans.json", [url for _, url in scans])
        demo_data.save_scan_notes(settings.var_dir / "demo-scan-notes.json", scans)
        demo_data.save_insurance(settings.var_dir / "demo-insurance.json", demo_data.seed_insurance(db))
        # The demo's grades (from its failed inspection, recall, claim) before the first scan shows one.
        wiring.dispatcher(db, _search(), _kit(settings)).drain()
    _catch_up_search(db)
    db.dispose()
    base = f"http://{settings.host}:{settings.port}"
    console.rule("[bold green]CrossTrust is starting")
    console.print(f"  Home page      {base}/")
    console.print(f"  API docs       {base}/docs")
    console.print(f"  Health         {base}/healthz   {base}/readyz   {base}/metrics")
    console.print(f"  Database       {settings.effective_database_url}")
    console.print(f"  Search         {settings.search_url or 'embedded index (SQLite FTS5)'}")
    saved = demo_data.load_keys(keys_path)
    if saved:
        _print_keys(saved)
        console.print(f"  (keys kept in {keys_path}, readable only by you)")
        console.print(f"  Try:  curl -H 'Authorization: Bearer {saved.get('merchant', '')}' {base}/api/v1/me")
        # The pages: sign in once by pasting the key (it becomes a session cookie).
        console.print(
            f"  Console        {base}/console    sign in with the regulator key {saved.get('regulator', '')}"
        )
        console.print(
            f"  Merchant       {base}/merchant   sign in with the merchant key {saved.get('merchant', '')}"
        )
        console.print(
            f"  Insurer        {base}/insurer    sign in with the insurer key {saved.get('insurer', '')}"
        )
    _print_urls(
        demo_data.load_urls(settings.var_dir / "demo-scans.json"),
        demo_data.load_scan_notes(settings.var_dir / "demo-scan-notes.json"),
    )
    _print_insurance(demo_data.load_insurance(settings.var_dir / "demo-insurance.json"))
    console.print(
        f"  Credit         {base}/api/v1/public/credit/lists/red   {base}/api/v1/public/credit/methodology"
    )
    with db.read_session() as s:
        for uscc in demo_data.merchant_usccs(s):
            console.print(f"  Credit report  {base}/credit/{uscc}   ({base}/credit/{uscc}/report.pdf)")
    db.dispose()
    serve(host=None, port=None, workers=1)


def _background(roles: frozenset[str], name: str):  # noqa: ANN202 - api.background.Background
    from api.background import Background
    from core.jobs import JobRunner

    settings = get_settings()
    return Background(
        settings,
        _db(),
        Keyring.from_settings(settings),
        JobRunner(workers=2),
        roles,
        search=_search(),
        name=name,
    )


@app.command()
def worker(once: bool = typer.Option(False, help="Deliver what is due, then exit")) -> None:
    """Deliver outbox events and resume code batches whose runner died (also runs inside `serve`);
    with `scheduler` in CROSSTRUST_ROLES (the default) also the scheduled jobs, once per period across
    every process."""
    from api.accesslog import configure_logging

    configure_logging()
    settings = get_settings()
    roles = frozenset({"worker"} | (settings.role_set & {"scheduler"}))
    background = _background(roles, "worker")
    if once:
        console.print(f"delivered {background.dispatcher.drain()} deliveries")
        return
    console.print(f"{' and '.join(sorted(roles))} running; Ctrl-C to stop")
    background.start(dispatch=False)
    try:
        background.dispatcher.serve_forever(settings.dispatcher_poll_seconds)
    except KeyboardInterrupt:
        console.print("stopped")
    finally:
        background.stop()


@app.command()
def scheduler() -> None:
    """Run the scheduled jobs only (nightly credit recompute, audit checkpoints, sweeps): each period's
    run happens once however many schedulers, workers and servers run them."""
    import signal
    import threading

    from api.accesslog import configure_logging

    configure_logging()
    background = _background(frozenset({"scheduler"}), "scheduler")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    background.start()
    console.print(f"scheduler running {', '.join(sorted(background.scheduled))}; Ctrl-C to stop")
    try:
        while not stop.wait(1.0):
            pass
    except KeyboardInterrupt:
        console.print("stopped")
    finally:
        background.stop()


search_app = typer.Typer(help="The disclosure search index.", no_args_is_help=True)
app.add_typer(search_app, name="search")


@search_app.command("reindex")
def search_reindex() -> None:
    """Rebuild the search index from the database, with a progress bar."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from disclosure import service as disclosures

    db = _db()
    with Progress(
        TextColumn("indexing"), BarColumn(), MofNCompleteColumn(), console=console.now()
    ) as progress:
        task = progress.add_task("records", total=None)
        done = disclosures.reindex(
            db.read_session,
            _search(),
            lambda n, total: progress.update(task, completed=n, total=total),
        )
    console.print(f"{done} records indexed")


@search_app.command("check")
def search_check() -> None:
    """Compare the database with the search index; exit 1 and list the differences if they disagree."""
    from disclosure import service as disclosures

    db = _db()
    diff = disclosures.check(db.read_session, _search())
    if not any(diff.values()):
        console.print("[green]search index matches the database[/green]")
        return
    for kind, ids in diff.items():
        if ids:
            console.print(f"[red]{kind}: {len(ids)} record(s), e.g. {ids[:10]}[/red]")
    raise typer.Exit(1)


codes_app = typer.Typer(help="Trace codes.", no_args_is_help=True)
app.add_typer(codes_app, name="codes")
app.add_typer(cli_signing.signing_app, name="signing")
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
    from traceability import service as trace

    settings = get_settings()
    db = _db()
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
        _fail(exc.detail, 2)
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
        _fail(exc.detail, 3)
    except KeyboardInterrupt:
        _fail(
            f"interrupted: batch {batch_id} stays reserved and is resumed by the server, a worker or"
            f" `crosstrust codes resume --batch {batch_id}` once its lease of"
            f" {settings.batch_lease_seconds:g} s runs out",
            130,
        )
    except DomainError as exc:
        _fail(exc.detail, 2)
    except Exception as exc:  # noqa: BLE001 - run_batch undid the batch; say so instead of a traceback
        _fail(f"batch {batch_id} failed and was undone: {type(exc).__name__}: {exc}", 1)
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
    db = _db()
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
        _fail(exc.detail + reasons, 2)


def _acting_as(db: Database, enterprise: str | None):  # noqa: ANN202 - (Principal, enterprise id)
    """The operator (any enterprise's goods), or one merchant, checked as its API key would be."""
    from core.security import Principal

    if not enterprise:
        return SYSTEM, None
    with db.read_session() as s:
        ent = _enterprise(s, enterprise)
    return Principal(key_id=None, role=Role.merchant, enterprise_id=ent.id, prefix="cli"), ent.id


def _enterprise(s, text: str):  # noqa: ANN001, ANN202 - Session, Enterprise
    from enterprises import service as enterprises

    if text.isdigit() and len(text) < 18:
        return enterprises.get(s, int(text))
    return enterprises.get_by_uscc(s, text)


def _codes_from(path: str) -> list[str]:
    """Codes one a line, or the `uri` column of a codes.csv export."""
    import csv
    from pathlib import Path

    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        _fail(f"cannot read {path}: {exc.strerror}", 2)
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
        _fail(f"--format: one of csv, {', '.join(exports.SHEETS)}, not {format!r}", 2)
    if output == "-" and format != "csv":
        _fail("--output -: only csv goes to stdout", 2)
    resolver = get_settings().resolver_base_url
    db = _db()
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
        _fail(exc.detail, 2)
    if path != "-":
        console.print(f"{count} codes written to {path}")


@codes_app.command("resume")
def resume_codes(batch: int = typer.Option(None, help="Only this batch")) -> None:
    """Resume code batches whose runner stopped (a killed `codes issue`, a server that is not running),
    one at a time, from the codes already issued. A batch whose runner is alive is left alone."""
    from traceability import service as trace
    from traceability.models import CodeBatch

    settings = get_settings()
    db = _db()
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
            _fail(f"no code batch {batch}", 2)
        if found.status == "running":
            _fail(
                f"batch {batch} is held by {found.runner} until {found.lease_until:%Y-%m-%d %H:%M:%S} UTC;"
                " it is resumed here only once that lease runs out",
                2,
            )
        _fail(f"batch {batch} is {found.status}: nothing to resume", 2)
    console.print(f"{resumed} batches resumed" if resumed else "no batch waiting to be resumed")


@admin_app.command("create-key")
def create_api_key(
    role: Role = typer.Option(..., help="admin, regulator, merchant or insurer"),
    enterprise: str = typer.Option(None, help="USCC or id of the enterprise (merchant and insurer keys)"),
    label: str = typer.Option("", help="What the key is for"),
) -> None:
    """Create an API key and print it (it is shown only this once)."""
    db = _db()
    try:
        with db.transaction() as s:
            enterprise_id = None
            if enterprise:
                enterprise_id = _enterprise(s, enterprise).id
            key = issue_key(s, role, enterprise_id, label, by=SYSTEM.actor)
    except DomainError as exc:
        _fail(exc.detail, 2)
    print(key)


@admin_app.command("revoke-key")
def revoke_api_key(prefix: str) -> None:
    """Revoke the key with PREFIX (the 8 characters after 'ct_')."""
    db = _db()
    try:
        with db.transaction() as s:
            revoke_key(s, prefix, by=SYSTEM.actor)
    except DomainError as exc:
        _fail(exc.detail, 2)
    console.print(f"revoked {prefix}")


credit_app = typer.Typer(help="Merchant credit.", no_args_is_help=True)
app.add_typer(credit_app, name="credit")
supervise_app = typer.Typer(help="Supervision by grade: inspection draws.", no_args_is_help=True)
app.add_typer(supervise_app, name="supervise")


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

    result = credit.recompute_all(_db(), trigger="nightly")
    console.print(
        f"{result['enterprises']} enterprises scored, {result['changed']} changed, "
        f"{result['grades_changed']} grades changed"
    )


complaints_app = typer.Typer(help="Consumer complaints.", no_args_is_help=True)
app.add_typer(complaints_app, name="complaints")


@complaints_app.command("sweep")
def complaints_sweep() -> None:
    """Move the cases whose time is up (the server also sweeps on a timer; safe to run alongside it)."""
    from complaints import service as complaints

    counts = complaints.sweep(_db(), complaints.Kit.from_settings(get_settings()))
    console.print(", ".join(f"{n} {what}" for what, n in counts.items()))


@supervise_app.command("draw")
def supervise_draw(
    inspector: list[str] = typer.Option(..., "--inspector", "-i", help="An inspector who may be assigned"),
    seed: str = typer.Option("", help="Hex seed (random if not given)"),
) -> None:
    """Draw pending declarations for inspection, weighted by grade; prints the seed and input hash."""
    from credit import supervision

    db = _db()
    try:
        with db.transaction() as s:
            d = supervision.draw(s, inspector, SYSTEM, seed or None)
    except DomainError as exc:
        _fail(exc.detail)
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

    db = _db()
    try:
        with db.read_session() as s:
            result = supervision.replay(supervision.get(s, draw_id))
    except DomainError as exc:
        _fail(exc.detail)
    if not result["matches"]:
        _fail(f"draw {draw_id} does not replay: {result}")
    console.print(f"[green]draw {draw_id} replays exactly[/green] (result hash {result['result_hash']})")


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


insurance_app = typer.Typer(help="Quality insurance.", no_args_is_help=True)
app.add_typer(insurance_app, name="insurance")


@insurance_app.command("expire")
def insurance_expire() -> None:
    """Mark policies whose period ended as expired; those without a successor lapse (their public
    service record is withdrawn). The server runs this nightly."""
    from insurance import service as insurance

    db = _db()
    with db.transaction() as s:
        n = insurance.expire_due(s)
    console.print(f"{n} policies expired")


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
    db = _db()
    try:
        copies = _published(published) if published else None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        _fail(f"cannot read the published checkpoints from {published}: {exc}", 2)
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
    db = _db()
    with db.transaction() as s:
        cp = audit_ledger.checkpoint_now(s)
    if cp is None:
        console.print("the head is already checkpointed")
    else:
        console.print(f"checkpoint at entry {cp.seq}: {cp.head_hash}")


def main() -> None:
    # Whatever the server or a command creates (database, index, exports, keys) is its user's alone.
    os.umask(PRIVATE_UMASK)
    try:
        app()
    except DomainError as exc:  # pragma: no cover - commands catch their own
        console.print(f"[red]error:[/red] {exc.detail}")
        sys.exit(2)
