"""`crosstrust log`: the public transparency log from outside (verify) and from inside (checkpoint,
key). `verify` needs nothing of this installation: only the log's base URL and its verifier key."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

import typer

from core.settings import get_settings

log_app = typer.Typer(help="The public transparency log.", no_args_is_help=True)


def fetch(url: str, timeout: float = 30.0) -> bytes:
    """GET a URL's body; anything but 200 is an error naming the URL."""
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"not an http(s) URL: {url}")
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310 - scheme checked above
            return resp.read()
    except urllib.error.HTTPError as exc:
        raise RuntimeError(f"GET {url}: {exc.code} {exc.reason}") from exc


def _key(text: str) -> str:
    return Path(text).read_text().strip() if Path(text).is_file() else text


def _record(text: str) -> tuple[int, int | None]:
    rid, _, version = text.partition("@")
    return int(rid), int(version) if version else None


@log_app.command("verify")
def verify(
    base_url: str = typer.Argument(..., help="Where the log is served, e.g. https://trust.example"),
    key: str = typer.Option(
        ..., "--key", help="The log's verifier key (<name>+<id>+<key>), or a file holding it"
    ),
    record: list[str] = typer.Option([], "--record", help="A disclosure record's id, or id@version"),
    grade: list[int] = typer.Option([], "--grade", help="An enterprise id whose latest grade to check"),
    serial: list[str] = typer.Option([], "--serial", help="A trace code's serial"),
    previous: Path | None = typer.Option(
        None, "--previous", help="A checkpoint kept from before: the latest must be consistent with it"
    ),
    save: Path | None = typer.Option(None, "--save", help="Keep the latest checkpoint here, for --previous"),
    witness: list[str] = typer.Option(
        [], "--witness", help="A witness's cosignature/v1 key (<name>+<id>+<key>), or a file holding it"
    ),
    quorum: int | None = typer.Option(
        None, "--quorum", min=0, help="Cosignatures needed of the witnesses given (default: 1)"
    ),
    whole: bool = typer.Option(
        False, "--all", help="Check the whole log: every entry bundle and tile, hashed up to the root"
    ),
) -> None:
    """Check the log's signed checkpoint, its tiles against the checkpoint's root, the inclusion of
    records, grades and codes (computed from the tiles), and its consistency with an earlier checkpoint;
    with --all, every entry of the log against its tiles and the root."""
    from translog import client

    vkey = Path(key).read_text().strip() if Path(key).is_file() else key
    earlier = previous.read_bytes() if previous is not None else None
    try:
        report = client.verify(
            base_url,
            vkey,
            fetch,
            records=[_record(r) for r in record],
            grades=grade,
            serials=serial,
            earlier=earlier,
            witnesses=[_key(w) for w in witness],
            quorum=quorum,
            whole=whole,
        )
    except (client.VerifyError, ValueError, RuntimeError, OSError) as exc:
        typer.echo(f"FAILED: {exc}", err=True)
        raise typer.Exit(1) from None
    cosigners = ", ".join(f"{c['witness']} (at {c['at']})" for c in report["cosigned_by"])
    typer.echo(
        f"checkpoint of {report['size']} leaves cosigned by: {cosigners or 'no witness given'}", err=True
    )
    if save is not None:
        save.write_bytes(fetch(base_url.rstrip("/") + "/tlog/checkpoint"))
    typer.echo(json.dumps(report, ensure_ascii=False, indent=1))


@log_app.command("key")
def key() -> None:
    """Print this installation's verifier key (what `verify --key` takes)."""
    from translog import scheduled

    typer.echo(scheduled.signer(get_settings()).verifier.encode())


@log_app.command("checkpoint")
def checkpoint() -> None:
    """Sign a checkpoint now if the tree grew (the scheduler does it every few seconds)."""
    from api.wiring import load_handlers
    from core import audit
    from core.db import Database
    from translog import scheduled

    load_handlers()
    settings = get_settings()
    db = Database(settings.effective_database_url, audit_keys=audit.AuditKeys.from_settings(settings))
    size = scheduled.checkpoint(settings, db)
    typer.echo("no new leaves" if size is None else f"signed a checkpoint of {size} leaves")


@log_app.command("check")
def check() -> None:
    """Recompute the stored log from its leaves: name every leaf, node or checkpoint that differs."""
    from api.wiring import load_models
    from core.db import Database
    from translog import integrity

    load_models()
    problems = integrity.check(Database(get_settings().effective_database_url))
    for p in problems:
        typer.echo(p)
    if problems:
        raise typer.Exit(1)
    typer.echo("the log is whole")


@log_app.command("monitor")
def monitor(
    base_url: str = typer.Argument(..., help="Where the log is served"),
    key: str = typer.Option(..., "--key", help="The log's verifier key, or a file holding it"),
    state: Path = typer.Option(..., "--state", help="The last checkpoint seen (kept between runs)"),
    every: float = typer.Option(60.0, "--every", min=1.0, help="Seconds between rounds"),
    rounds: int = typer.Option(0, "--rounds", min=0, help="Stop after this many rounds (0: never)"),
    witness: list[str] = typer.Option([], "--witness", help="A witness's key (or file): one must cosign"),
    records: bool = typer.Option(
        True, "--records/--no-records", help="Also compare each published record with its latest leaf"
    ),
) -> None:
    """Follow the log's checkpoints: each must be signed (and cosigned, given witnesses), match its tiles
    and extend the last one seen (consistency); and each published record, grade and code batch must
    match its latest leaf. A fork, a rewrite or a record changed without a new leaf exits 2 naming it,
    leaving the state file as the evidence."""
    import time

    from translog import client

    vkey = Path(key).read_text().strip() if Path(key).is_file() else key
    done = 0
    while True:
        earlier = state.read_bytes() if state.exists() else None
        try:
            latest = fetch(base_url.rstrip("/") + "/tlog/checkpoint")

            def read(url: str, seen: bytes = latest) -> bytes:
                return seen if url.endswith("/tlog/checkpoint") else fetch(url)

            report = client.verify(
                base_url,
                vkey,
                read,
                earlier=earlier,
                witnesses=[_key(w) for w in witness],
                check_published=records,
            )
        except client.VerifyError as exc:
            typer.echo(f"ALARM: {exc}", err=True)
            raise typer.Exit(2) from None
        except (ValueError, RuntimeError, OSError) as exc:
            typer.echo(f"unreachable or malformed, retrying: {exc}", err=True)
        else:
            state.write_bytes(latest)
            typer.echo(f"size {report['size']} root {report['root']}: consistent")
        done += 1
        if rounds and done >= rounds:
            return
        time.sleep(every)


@log_app.command("witness")
def witness(
    key: Path = typer.Option(
        ...,
        "--key",
        help="The witness's private key file (PRIVATE+KEY+<name>+…); made if missing, with --name",
    ),
    name: str = typer.Option("", "--name", help="The witness's name for a new key, e.g. witness.example/w1"),
    log: list[str] = typer.Option(
        ..., "--log", help="The verifier key of a log to witness, or a file holding it"
    ),
    state: Path = typer.Option(
        ..., "--state", help="Its state folder: the last cosigned checkpoints, evidence"
    ),
    listen: str = typer.Option(
        "127.0.0.1:7380", "--listen", help="host:port to serve (port 0: any free one)"
    ),
) -> None:
    """Run a witness (c2sp.org/tlog-witness): cosign each log's checkpoints, each only when consistent
    with the last it cosigned; a refused checkpoint and its proof are kept in <state>/evidence."""
    from translog.cosign import Cosigner
    from translog.note import Verifier
    from translog.witness import Witness
    from translog.witness_server import serve

    if key.exists():
        cosigner = Cosigner.parse(key.read_text())
    elif name:
        cosigner = Cosigner.generate(name)
        key.write_text(cosigner.encode() + "\n")
        key.chmod(0o600)
    else:
        raise typer.BadParameter("no key file: give --name to make one", param_hint="--key")
    host, _, port = listen.rpartition(":")
    server = serve(Witness(cosigner, [Verifier.parse(_key(x)) for x in log], state), host, int(port))
    typer.echo(f"witness {cosigner.key.encode()} on http://{host}:{server.server_address[1]}", err=False)
    import sys

    sys.stdout.flush()
    try:
        server.serve_forever()
    finally:
        server.server_close()


@log_app.command("witnesses")
def witnesses() -> None:
    """Send the latest checkpoint to the configured witnesses now (the scheduler does it every few
    seconds); prints what each answered."""
    from api.wiring import load_models
    from core.db import Database
    from translog import witnessing

    load_models()
    settings = get_settings()
    for name, what in witnessing.push(settings, Database(settings.effective_database_url)).items():
        typer.echo(f"{name}: {what}")
