"""The EPCIS 2.0 and CBV 2.0 vocabulary, limits and errors, and validation against GS1's official
EPCIS JSON schema."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.errors import DomainError, FieldError, Invalid

if TYPE_CHECKING:
    from jsonschema import Draft7Validator
    from jsonschema.exceptions import ValidationError

CANONICAL = "https://id.gs1.org"
CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
CUSTOMS_BTT = "urn:crosstrust:btt:customsDeclaration"
CT_NAMESPACE = "https://crosstrust.example/epcis/"
SCHEMA_FILE = Path(__file__).parent / "data" / "epcis" / "EPCIS-JSON-Schema.json"
BIZ_STEPS = frozenset(
    [
        "accepting",
        "arriving",
        "assembling",
        "collecting",
        "commissioning",
        "consigning",
        "creating_class_instance",
        "cycle_counting",
        "decommissioning",
        "departing",
        "destroying",
        "disassembling",
        "dispensing",
        "encoding",
        "entering_exiting",
        "holding",
        "inspecting",
        "installing",
        "killing",
        "loading",
        "other",
        "packing",
        "picking",
        "receiving",
        "removing",
        "repackaging",
        "repairing",
        "replacing",
        "reserving",
        "retail_selling",
        "sampling",
        "sensor_reporting",
        "shipping",
        "staging_outbound",
        "stock_taking",
        "stocking",
        "storing",
        "transporting",
        "unloading",
        "unpacking",
        "void_shipping",
    ]
)
DISPOSITIONS = frozenset(
    [
        "active",
        "available",
        "completeness_inferred",
        "completeness_verified",
        "conformant",
        "container_closed",
        "container_open",
        "damaged",
        "destroyed",
        "dispensed",
        "disposed",
        "encoded",
        "expired",
        "in_progress",
        "in_transit",
        "inactive",
        "mismatch_instance",
        "mismatch_class",
        "mismatch_quantity",
        "needs_replacement",
        "no_pedigree_match",
        "non_conformant",
        "non_sellable_other",
        "partially_dispensed",
        "recalled",
        "reserved",
        "retail_sold",
        "returned",
        "sellable_accessible",
        "sellable_not_accessible",
        "stolen",
        "unavailable",
        "unknown",
    ]
)
EVENT_TYPES = (
    "ObjectEvent",
    "AggregationEvent",
    "TransactionEvent",
    "TransformationEvent",
    "AssociationEvent",
)
ACTIONS = ("ADD", "OBSERVE", "DELETE")
MAX_EVENTS = 1000
MAX_EPCS = 10_000
MAX_REPORTED = 20
ERROR_BEHAVIOURS = ("rollback", "proceed")
# How long a next-page token works: long enough to read a large result page by page, short enough
# that a token found in a log later is of no use.
PAGE_TOKEN_TTL = timedelta(hours=1)
# Steps after which an item has left the bonded warehouse, or its code is used up.
LEFT_WAREHOUSE = frozenset({"shipping", "departing", "retail_selling"})
ENDED = frozenset({"decommissioning", "destroying", "killing"})

# Where identifiers sit in an event, and the role each is indexed under (what MATCH_* parameters read).
ID_LISTS = (
    ("epcList", "epc"),
    ("childEPCs", "child"),
    ("inputEPCList", "input"),
    ("outputEPCList", "output"),
)
QUANTITY_LISTS = (
    ("quantityList", "class"),
    ("childQuantityList", "class"),
    ("inputQuantityList", "inclass"),
    ("outputQuantityList", "outclass"),
)


class EpcisInvalid(Invalid):
    """A document the REST binding refuses to receive: 400, epcisException:ValidationException."""

    status = 400
    title = "Invalid EPCIS document"
    slug = "epcis-validation"


class QueryInvalid(Invalid):
    """A query the binding answers with 400 (epcisException:QueryParameterException)."""

    status = 400
    title = "Invalid EPCIS query"
    slug = "epcis-query"


class CaptureTooLarge(DomainError):
    status = 413
    title = "Capture payload too large"
    slug = "epcis-capture-limit"


# --- the official schema ---------------------------------------------------------------------------


@functools.cache
def schema_validator() -> Draft7Validator:
    """GS1's EPCIS 2.0 JSON schema, with its formats checked: without them "date-time" and "uri" (every
    identifier, every extension's name) would accept anything. jsonschema is imported here, when the
    first capture is checked: a process that never checks one (a CLI command) does not pay for it."""
    from jsonschema import Draft7Validator

    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return Draft7Validator(schema, format_checker=Draft7Validator.FORMAT_CHECKER)


def _specific(error: ValidationError) -> ValidationError:
    # The schema chooses with if/then and anyOf: the most relevant failing alternative says most.
    from jsonschema.exceptions import best_match

    while error.context:
        error = best_match(error.context)
    return error


def json_path(parts: Iterable[Any], prefix: str = "") -> str:
    return ".".join([prefix] * bool(prefix) + [str(p) for p in parts])


def schema_problems(doc: Any, prefix: str = "") -> list[FieldError]:
    """Each place where `doc` breaks the official schema, as a JSON path (epcisBody.eventList.1.bizStep)."""
    found: dict[str, FieldError] = {}
    for error in schema_validator().iter_errors(doc):
        leaf = _specific(error)
        parts = list(leaf.absolute_path)
        if "propertyNames" in error.absolute_schema_path and isinstance(error.instance, str):
            parts.append(error.instance)  # a field the event may not have: name the field itself
        path = json_path(parts, prefix) or prefix or "body"
        reason = leaf.message if len(leaf.message) <= 300 else leaf.message[:297] + "..."
        found.setdefault(path, FieldError(path, reason))
        if len(found) >= MAX_REPORTED:
            break
    return list(found.values())


def ensure_schema_valid(doc: Any, prefix: str = "") -> None:
    problems = schema_problems(doc, prefix)
    if problems:
        first = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise EpcisInvalid(
            f"{first.field}: {first.reason}{more}; not valid against the EPCIS 2.0 JSON schema",
            errors=problems,
            epcisException="ValidationException",
        )
