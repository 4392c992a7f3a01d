"""What a `crosstrust` process imports before its command runs (issue 21): every command, `--help` too,
imports every command module, so those import the database, the domains and the heavier libraries
inside the commands that use them. Checked in a fresh interpreter, as a command starts."""

import subprocess
import sys

# Each a second or a tenth of one to import, and needed by no command's signature.
HEAVY_AT_START = ("sqlalchemy", "sqlmodel", "api.wiring", "api.demo", "traceability.service", "rich.table")
# Imported when a process first checks or stores an EPCIS event, not by loading the domains' handlers.
HEAVY_AT_FIRST_EVENT = ("jsonschema", "pyld", "epcis_event_hash_generator", "requests")


def _imported_after(code: str, names: tuple[str, ...]) -> list[str]:
    probe = f"import sys\n{code}\nprint(' '.join(n for n in {names!r} if n in sys.modules))"
    out = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    return out.stdout.split()


def test_the_cli_starts_without_the_database_or_the_domains():
    assert _imported_after("from api import cli", HEAVY_AT_START) == []


def test_the_probe_sees_an_import():
    assert _imported_after("import sqlalchemy, rich.table", HEAVY_AT_START) == ["sqlalchemy", "rich.table"]


def test_loading_the_handlers_leaves_the_epcis_schema_and_event_hash_for_later():
    assert (
        _imported_after("from api.wiring import load_handlers; load_handlers()", HEAVY_AT_FIRST_EVENT) == []
    )


def test_codes_verify_has_an_exit_status_for_every_outcome():
    from api.cli_signing import EXIT
    from traceability.digsig import Outcome

    assert set(EXIT) == {o.value for o in Outcome}
    assert len(set(EXIT.values())) == len(EXIT) and 2 not in EXIT.values()  # 2: not a code
