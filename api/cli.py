"""The `crosstrust` command line (the console entry point, `api.cli:main`): the platform's processes
(`api/cli_server.py`) and one command group per concern, each in its own module: `db` and `audit`
(`cli_db`), `admin` keys (`cli_keys`), `log` (`cli_log`), `search` (`cli_search`), `codes`
(`cli_codes`), `signing` (`cli_signing`), `credit` and `supervise` (`cli_credit`), `complaints`
(`cli_complaints`), `insurance` (`cli_insurance`)."""

from __future__ import annotations

import os
import sys

import typer

from api import cli_server, cli_signing
from api.cli_codes import codes_app
from api.cli_common import console
from api.cli_complaints import complaints_app
from api.cli_credit import credit_app, supervise_app
from api.cli_db import audit_app, db_app
from api.cli_insurance import insurance_app
from api.cli_intake import intake_app
from api.cli_keys import admin_app
from api.cli_log import log_app
from api.cli_search import search_app
from core.errors import DomainError
from core.files import PRIVATE_UMASK

app = typer.Typer(
    help="CrossTrust: traceability and trust for cross-border e-commerce.", no_args_is_help=True
)
app.add_typer(db_app, name="db")
app.add_typer(admin_app, name="admin")
app.add_typer(audit_app, name="audit")
app.add_typer(log_app, name="log")
for command in (cli_server.demo, cli_server.serve, cli_server.up, cli_server.worker, cli_server.scheduler):
    app.command()(command)
app.add_typer(search_app, name="search")
app.add_typer(codes_app, name="codes")
app.add_typer(cli_signing.signing_app, name="signing")
app.add_typer(credit_app, name="credit")
app.add_typer(supervise_app, name="supervise")
app.add_typer(complaints_app, name="complaints")
app.add_typer(insurance_app, name="insurance")
app.add_typer(intake_app, name="intake")


def main() -> None:
    # Whatever the server or a command creates (database, index, exports, keys) is its user's alone.
    os.umask(PRIVATE_UMASK)
    try:
        app()
    except DomainError as exc:  # pragma: no cover - commands catch their own
        console.print(f"[red]error:[/red] {exc.detail}")
        sys.exit(2)
