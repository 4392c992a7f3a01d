"""The command line of signed codes: the platform's code-signing keys (`crosstrust signing …`), and
the offline check of a scanned code (`crosstrust codes certificates`, `crosstrust codes verify`)."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import typer

from api.cli_console import LateConsole
from core.errors import DomainError
from core.settings import get_settings

signing_app = typer.Typer(help="Code-signing keys (signed codes, GS1 AI 8030).", no_args_is_help=True)
console = LateConsole()

# What `codes verify` says (traceability.digsig.Outcome, a StrEnum: its values), and its exit status.
EXIT = {
    "genuine-signature": 0,
    "bad-signature": 1,
    "unknown-key": 3,
    "revoked-key": 4,
    "unsigned": 5,
}


def _fail(message: str, code: int) -> None:
    console.print(f"[red]error:[/red] {message}")
    raise typer.Exit(code)


def _kit():  # noqa: ANN202 - traceability.code_keys.SigningKit
    from traceability.code_keys import SigningKit

    return SigningKit.from_settings(get_settings())


def _db():  # noqa: ANN202 - core.db.Database
    from api.wiring import load_handlers
    from core.audit import AuditKeys
    from core.db import Database

    load_handlers()
    settings = get_settings()
    return Database(settings.effective_database_url, audit_keys=AuditKeys.from_settings(settings))


@signing_app.command("list")
def list_keys() -> None:
    """Every key of the hierarchy: number, kind, importer, status, fingerprint."""
    from rich.table import Table
    from sqlmodel import select

    from traceability.models import CodeKey

    with _db().read_session() as s:
        keys = list(s.exec(select(CodeKey).order_by(CodeKey.id)))  # type: ignore[arg-type]
    table = Table("key", "kind", "importer", "status", "created", "fingerprint (SHA-256 of the key)")
    for k in keys:
        table.add_row(
            str(k.id), k.kind, str(k.enterprise_id or ""), k.status, f"{k.created_at:%Y-%m-%d}", k.fingerprint
        )
    console.print(table)


@signing_app.command("rotate")
def rotate(enterprise: int = typer.Option(..., help="The importer's enterprise id")) -> None:
    """A new signing key for an importer; its current one is retired (its codes still verify)."""
    from enterprises import service as enterprises
    from traceability import code_keys

    try:
        with _db().transaction() as s:
            profile = enterprises.public_profile(s, enterprise)
            if profile is None:
                _fail(f"no enterprise {enterprise}", 2)
            assert profile is not None
            key = code_keys.new_signing_key(
                s, _kit(), enterprise, profile.get("name_en") or profile["name_zh"]
            )
    except DomainError as exc:
        _fail(exc.detail, 2)
    console.print(f"key {key.id}: the active signing key of enterprise {enterprise} ({key.fingerprint})")


@signing_app.command("rotate-answers")
def rotate_answers() -> None:
    """A new key for the scan's signed answers; the current one is retired (its answers still verify).
    A running server takes it up within a minute."""
    from traceability import answer_keys

    try:
        with _db().transaction() as s:
            key = answer_keys.new_answer_key(s, _kit())
    except DomainError as exc:
        _fail(exc.detail, 2)
    console.print(f"key {key.id}: the active key of the scan's signed answers ({key.fingerprint})")


@signing_app.command("revoke")
def revoke(
    key: int = typer.Option(..., help="The signing key's number"),
    reason: str = typer.Option(..., min=2, help="Why (recorded in the audit ledger)"),
) -> None:
    """Revoke a signing key: from the next revocation list on, its codes verify as revoked-key (an
    answer key leaves the JWKS, and its answers no longer verify)."""
    from traceability import code_keys

    try:
        with _db().transaction() as s:
            code_keys.revoke(s, key, reason)
    except DomainError as exc:
        _fail(exc.detail, 2)
    console.print(f"key {key} revoked")


@signing_app.command("publish")
def publish(out: Path = typer.Option(..., help="Write the certificates document (JSON) here")) -> None:
    """The document of /.well-known/crosstrust/certificates, as a file to carry where no network is."""
    from traceability import code_keys

    with _db().transaction() as s:
        document = code_keys.published(s, _kit())
    out.write_text(json.dumps(document, ensure_ascii=False, indent=1))
    console.print(f"{len(document['keys'])} signing key(s) under {len(document['roots'])} root(s) -> {out}")


# --- offline verification --------------------------------------------------------------------------


def default_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "crosstrust" / "certificates.json"


CacheOption = typer.Option(
    None, help="The cached certificates (default ~/.cache/crosstrust/certificates.json)"
)


def certificates(
    source: str = typer.Argument(
        ..., help="The platform's base URL (https://…), its /.well-known/crosstrust/certificates, or a file"
    ),
    cache: Path = CacheOption,
    pin: list[str] = typer.Option(None, help="Trust only this root (SHA-256 fingerprint, hex); repeatable"),
) -> None:
    """Fetch the platform's certificates once and keep them for `codes verify`. The roots trusted are
    pinned on the first fetch (or by --pin): a later fetch cannot bring in a root of its own."""
    from traceability import digsig

    cache = cache or default_cache()
    if source.startswith(("http://", "https://")):
        import httpx

        url = (
            source
            if "/.well-known/" in source
            else source.rstrip("/") + "/.well-known/crosstrust/certificates"
        )
        try:
            answer = httpx.get(url, timeout=30, follow_redirects=False)
            answer.raise_for_status()
            document = answer.json()
        except (httpx.HTTPError, ValueError) as exc:
            _fail(f"could not fetch {url}: {exc}", 2)
    else:
        url, document = source, json.loads(Path(source).read_text())
    pins = [p.lower().replace(":", "") for p in pin or []]
    if not pins and cache.exists():
        pins = json.loads(cache.read_text()).get("pinned_roots", [])
    bundle = digsig.Bundle.from_document(document, pins or None)
    if not bundle.roots:
        _fail("none of the document's roots is a pinned one: nothing cached", 2)
    from cryptography.hazmat.primitives import hashes

    pinned = [r.fingerprint(hashes.SHA256()).hex() for r in bundle.roots]
    cache.parent.mkdir(parents=True, exist_ok=True)
    fetched = datetime.now(UTC).isoformat()
    cache.write_text(
        json.dumps({"source": url, "fetched_at": fetched, "pinned_roots": pinned, "document": document})
    )
    for line in bundle.rejected:
        console.print(f"[yellow]left out:[/yellow] {line}")
    console.print(
        f"{len(bundle.keys)} signing key(s), {len(bundle.revoked)} revoked, under root(s) {', '.join(pinned)}"
        f" -> {cache}"
    )


def verify(
    code: str = typer.Argument(..., help="The scanned code: its Digital Link URI or its GS1 element string"),
    cache: Path = CacheOption,
    as_json: bool = typer.Option(False, "--json", help="One JSON line instead of words"),
) -> None:
    """Check a code's signature (AI 8030) against the cached certificates, with no network: exit 0
    genuine-signature, 1 bad-signature, 3 unknown-key, 4 revoked-key, 5 unsigned, 2 not a code."""
    from traceability import digsig, scanned
    from traceability.codes import CodeError

    cache = cache or default_cache()
    if not cache.exists():
        _fail(f"no cached certificates at {cache}: run `crosstrust codes certificates <url>` once", 2)
    cached = json.loads(cache.read_text())
    bundle = digsig.Bundle.from_document(cached["document"], cached.get("pinned_roots") or None)
    try:
        element, signature, link = scanned.of_scanned(code)
    except CodeError as exc:
        _fail(f"{exc.field}: {exc.reason}", 2)
    result = digsig.check(bundle, element, signature)
    if as_json:
        print(
            json.dumps(
                {
                    "outcome": result.outcome.value,
                    "key_id": result.key_id,
                    "detail": result.detail,
                    "element_string": element.decode("ascii").replace(digsig.GS, "<GS>"),
                    "certificates_fetched_at": cached.get("fetched_at"),
                }
            )
        )
    else:
        colour = "green" if result.outcome == digsig.Outcome.genuine_signature else "red"
        console.print(f"[{colour}]{result.outcome.value}[/{colour}] {link.hri()}: {result.detail}")
    raise typer.Exit(EXIT[result.outcome])
