"""The platform's processes from the command line: `up` (what `make run` does), `serve`, `worker`,
`scheduler`, and `demo` (seed the demo data)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import typer

from api.cli_common import complaints_kit, console, database, search_backend
from core.settings import get_settings

if TYPE_CHECKING:
    from core.db import Database


def demo(force: bool = typer.Option(False, help="Seed even if enterprises exist")) -> None:
    """Load realistic demo data and create one demo API key per role (on a fresh database too: the
    schema is brought up to date first, as `up` does)."""
    from api import demo as demo_data
    from api import demo_complaints, demo_insurance, demo_intake, wiring
    from core.db import migrate
    from traceability.codes import Keyring

    settings = get_settings()
    migrate(settings.effective_database_url)
    db = database()
    with db.transaction() as s:
        if demo_data.is_seeded(s) and not force:
            console.print("demo data already present; use --force to add another set")
            return
        keys = demo_data.seed(s, seed_value=2018 if not force else None)
    scans = demo_data.demo_scans(db, Keyring.from_settings(settings))
    urls = [url for _, url in scans]
    demo_data.save_scan_notes(settings.var_dir / "demo-scan-notes.json", scans)
    demo_complaints.seed_complaints(db, settings, urls)
    insured = demo_insurance.seed_insurance(db)
    demo_intake.seed_intake(db, settings.ensure_var_dir() / "intake")
    demo_data.save_keys(settings.var_dir / "demo-keys.json", keys)
    demo_data.save_urls(settings.var_dir / "demo-scans.json", urls)
    demo_insurance.save_insurance(settings.var_dir / "demo-insurance.json", insured)
    wiring.dispatcher(db, search_backend(), complaints_kit(settings)).drain()
    _print_keys(keys)
    _print_urls(urls, demo_data.load_scan_notes(settings.var_dir / "demo-scan-notes.json"))
    _print_insurance(insured)


def _catch_up_search(db: Database) -> None:
    """The search index is derived data: when it disagrees with the database (a new index layout after an
    upgrade, a deleted file), rebuild it before serving rather than answer from a partial index."""
    from disclosure import service as disclosures

    backend = search_backend()
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
    from rich.table import Table

    table = Table(title="Demo API keys (send as 'Authorization: Bearer <key>')")
    table.add_column("role")
    table.add_column("key")
    for role, key in keys.items():
        table.add_row(role, key)
    console.print(table)


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


def up() -> None:
    """What `make run` does: migrate, seed demo data on first start, print where to look, serve."""
    from api import demo as demo_data
    from api import demo_insurance, demo_intake, wiring
    from api.cli_db import anchor_audit
    from core.db import migrate
    from traceability.codes import Keyring

    settings = get_settings()
    settings.ensure_var_dir()
    settings.code_secret_bytes()
    migrate(settings.effective_database_url)
    anchor_audit()
    db = database()
    keys_path = settings.var_dir / "demo-keys.json"
    with db.transaction() as s:
        keys = None if demo_data.is_seeded(s) else demo_data.seed(s)
    if keys:
        demo_data.save_keys(keys_path, keys)
        scans = demo_data.demo_scans(db, Keyring.from_settings(settings))
        demo_data.save_urls(settings.var_dir / "demo-scans.json", [url for _, url in scans])
        demo_data.save_scan_notes(settings.var_dir / "demo-scan-notes.json", scans)
        demo_insurance.save_insurance(
            settings.var_dir / "demo-insurance.json", demo_insurance.seed_insurance(db)
        )
        demo_intake.seed_intake(db, settings.ensure_var_dir() / "intake")
        # The demo's grades (from its failed inspection, recall, claim) before the first scan shows one.
        wiring.dispatcher(db, search_backend(), complaints_kit(settings)).drain()
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
            f"  Console (another agency: Pudong 310115, read-only on the zone's cases)  sign in with"
            f" {saved.get('regulator_other', '')}"
        )
        console.print(
            f"  Merchant       {base}/merchant   sign in with the merchant key {saved.get('merchant', '')}"
        )
        console.print(
            f"  Insurer        {base}/insurer    sign in with the insurer key {saved.get('insurer', '')}"
        )
        console.print(
            f"  Bank           {base}/bank/credit    sign in with the bank key {saved.get('bank', '')}"
        )
    _print_urls(
        demo_data.load_urls(settings.var_dir / "demo-scans.json"),
        demo_data.load_scan_notes(settings.var_dir / "demo-scan-notes.json"),
    )
    _print_insurance(demo_insurance.load_insurance(settings.var_dir / "demo-insurance.json"))
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
    from traceability.codes import Keyring

    settings = get_settings()
    return Background(
        settings,
        database(),
        Keyring.from_settings(settings),
        JobRunner(workers=2),
        roles,
        search=search_backend(),
        name=name,
    )


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
