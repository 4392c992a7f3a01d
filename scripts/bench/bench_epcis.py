"""Benchmark what EPCIS capture spends checking a document against GS1's official JSON schema.

    .venv/bin/python scripts/bench/bench_epcis.py [EVENTS [EPCS_PER_EVENT]]    (defaults 1000 and 10)

Prints one JSON line. The baseline, in the same run, is what capture did before the schema: reading
each event and turning its identifiers into canonical Digital Links (`validate_event`), so the ratio
says what the schema costs on top of it.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from scripts.bench.common import machine  # noqa: E402
from traceability import epcis  # noqa: E402


def _document(events: int, epcs: int) -> dict:
    def event(i: int) -> dict:
        return {
            "type": "ObjectEvent",
            "eventTime": "2026-11-20T10:00:00+08:00",
            "eventTimeZoneOffset": "+08:00",
            "action": "OBSERVE",
            "bizStep": "shipping",
            "disposition": "in_transit",
            "epcList": [f"https://id.gs1.org/01/06901234567892/21/S{i}-{j}" for j in range(epcs)],
            "readPoint": {"id": "urn:crosstrust:loc:warehouse-3"},
        }

    return {
        "@context": [epcis.CONTEXT],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2026-11-20T10:00:00Z",
        "epcisBody": {"eventList": [event(i) for i in range(events)]},
    }


def main() -> None:
    events = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    epcs = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    doc = _document(events, epcs)
    epcis.schema_validator()  # loaded once per process, as in the server
    t = time.perf_counter()
    for i, e in enumerate(doc["epcisBody"]["eventList"]):
        epcis.validate_event(e, f"epcisBody.eventList.{i}")
    baseline = time.perf_counter() - t
    t = time.perf_counter()
    problems = epcis.schema_problems(doc)
    schema = time.perf_counter() - t
    assert problems == [], problems
    print(
        json.dumps(
            {
                "bench": "epcis_schema",
                "events": events,
                "epcs_per_event": epcs,
                "normalise_s": round(baseline, 3),
                "schema_s": round(schema, 3),
                "schema_ms_per_event": round(schema * 1000 / events, 2),
                "ratio_schema_to_normalise": round(schema / baseline, 1),
                "machine": machine(),
            }
        )
    )


if __name__ == "__main__":
    main()
