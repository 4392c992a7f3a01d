"""What the CLI's command modules share: the console, the database and search backend a command opens (a
command is a process of its own), and how a command fails.

Every `crosstrust` command, `--help` too, imports every command module at start (Typer reads each
command's signature): so these modules import at their top only what their signatures name, and each
command imports the domains, the database and the heavier libraries it uses when it runs."""

from __future__ import annotations

from typing import TYPE_CHECKING, NoReturn

import typer

from api.cli_console import LateConsole

if TYPE_CHECKING:
    from core.db import Database
    from disclosure.search.base import SearchBackend

console = LateConsole()


def database() -> Database:
    from api.wiring import load_handlers
    from core import audit as audit_ledger
    from core.db import Database
    from core.settings import get_settings

    load_handlers()
    settings = get_settings()
    keys = audit_ledger.AuditKeys.from_settings(settings)
    return Database(settings.effective_database_url, audit_keys=keys)


def complaints_kit(settings):  # noqa: ANN001, ANN202 - core.settings.Settings -> complaints.service.Kit
    from complaints.service import Kit

    return Kit.from_settings(settings)


def search_backend() -> SearchBackend:
    """This command's search backend, as the settings ask (a command is a process of its own)."""
    from core.settings import get_settings
    from disclosure.search.factory import from_settings

    return from_settings(get_settings())


def fail(message: str, code: int = 1) -> NoReturn:
    console.print(f"[red]error:[/red] {message}")
    raise typer.Exit(code)


def find_enterprise(s, text: str):  # noqa: ANN001, ANN202 - Session, Enterprise
    from enterprises import service as enterprises

    if text.isdigit() and len(text) < 18:
        return enterprises.get(s, int(text))
    return enterprises.get_by_uscc(s, text)
