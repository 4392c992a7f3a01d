"""`crosstrust intake`: register a source, send a file under a mapping (resumable: sending the same file
again resumes the delivery where a killed run left it), show progress, list and download rejected rows."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from api.cli_common import console, database, fail
from core.errors import DomainError
from core.settings import get_settings

intake_app = typer.Typer(help="Data from other agencies (信用数据归集).", no_args_is_help=True)


@intake_app.command("source-add")
def source_add(
    code: str, name_zh: str = typer.Option(..., "--name-zh"), name_en: str = typer.Option("", "--name-en")
) -> None:
    """Register a source (an agency); its key is shown once."""
    from core.security import SYSTEM
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
    from core.security import SYSTEM
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


# --- distribution: an agency's subscriptions (the same service and checks as the API and the console) ---


def _agency_operator(agency: str):  # noqa: ANN202 - a Principal
    """The shell's operator acting as a regulator of `agency` (a known division code)."""
    from core.agencies import AGENCIES
    from core.security import Principal, Role

    if agency not in AGENCIES:
        fail(f"--agency: no agency is known for division {agency}")
    return Principal(key_id=None, role=Role.regulator, enterprise_id=None, prefix="cli", agency=agency)


def _show_subscription(sub) -> str:  # noqa: ANN001 - IntakeSubscription
    regions = ", ".join(sub.regions) or "every region"
    since = f", since {sub.since:%Y-%m-%d %H:%M} UTC" if sub.since else ""
    return f"subscription {sub.id} {sub.status}: {sub.name} -> {sub.url} ({', '.join(sub.kinds)}; {regions}{since})"


@intake_app.command("subscribe")
def subscribe(
    name: str,
    url: str,
    agency: str = typer.Option(..., "--agency", help="The subscribing agency's division code"),
    kind: list[str] = typer.Option(..., "--kind", help="A record kind (repeat for more)"),
    region: list[str] = typer.Option([], "--region", help="A region it is entitled to (none: every one)"),
    since: str = typer.Option("", "--since", help="Also send the active records accepted since YYYY-MM-DD"),
) -> None:
    """Subscribe an agency to accepted records; the signing secret is shown once."""
    from pydantic import ValidationError

    from complaints.service import Kit
    from core.webhooks import Destinations
    from intake import distribution
    from intake.dist_schemas import SubscriptionCreate

    try:
        data = SubscriptionCreate(name=name, url=url, kinds=kind, regions=region, since=since or None)
    except ValidationError as exc:
        first = exc.errors()[0]
        fail(f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}")
    settings = get_settings()
    by = _agency_operator(agency)
    db = database()
    try:
        with db.transaction() as s:
            sub, secret = distribution.subscribe(
                s,
                data,
                by,
                Destinations.from_setting(settings.webhook_allowed_networks),
                Kit.from_settings(settings).box,
            )
            shown = _show_subscription(sub)
    except DomainError as exc:
        fail(exc.detail)
    console.print(shown)
    console.print(f"signing secret (shown once): {secret}")


@intake_app.command("subscriptions")
def subscriptions(agency: str = typer.Option(..., "--agency")) -> None:
    """The agency's subscriptions, newest first."""
    from intake import distribution

    db = database()
    with db.read_session() as s:
        for sub in distribution.listed(s, _agency_operator(agency)):
            console.print(_show_subscription(sub))


@intake_app.command("unsubscribe")
def unsubscribe(subscription_id: int, agency: str = typer.Option(..., "--agency")) -> None:
    """Revoke a subscription of the agency: nothing more is sent to it."""
    from core.identifiers import MAX_ID
    from intake import distribution

    if not 1 <= subscription_id <= MAX_ID:
        fail(f"SUBSCRIPTION_ID: between 1 and {MAX_ID}")
    db = database()
    try:
        with db.transaction() as s:
            shown = _show_subscription(distribution.revoke(s, subscription_id, _agency_operator(agency)))
    except DomainError as exc:
        fail(exc.detail)
    console.print(shown)
