"""Credit operations: records in (from handlers or a regulator), scores out, repair and objections.

Every write is audited and announced; every change of an enterprise's records recomputes its score in
the same transaction, so the grade a consumer sees follows the record that caused it.

The operations live in a module per concern (records, recording, standing, repair, reports); callers
import them from here.
"""

from __future__ import annotations

from credit.recording import add_manual, add_record
from credit.records import (
    SEVERITY_EN,
    SEVERITY_ZH,
    STATUS_EN,
    STATUS_ZH,
    get_record,
    kind_names,
    record_public,
    record_snapshot,
    records_of,
)
from credit.repair import (
    apply_repair,
    decide_objection,
    decide_repair,
    earliest_repair,
    get_objection,
    get_repair,
    list_objections,
    list_repairs,
    object_to,
)
from credit.reports import complaint_figures, display_names, public_report, repair_advice
from credit.standing import (
    SCORING_LOCK,
    Previous,
    compute,
    grade_code,
    grade_codes,
    grade_of,
    graded,
    grades_of,
    history,
    list_of,
    listed,
    recompute,
    recompute_all,
    scorecard_view,
)

__all__ = [
    "Previous",
    "SCORING_LOCK",
    "SEVERITY_EN",
    "SEVERITY_ZH",
    "STATUS_EN",
    "STATUS_ZH",
    "add_manual",
    "add_record",
    "apply_repair",
    "complaint_figures",
    "compute",
    "decide_objection",
    "decide_repair",
    "display_names",
    "earliest_repair",
    "get_objection",
    "get_record",
    "get_repair",
    "grade_code",
    "grade_codes",
    "grade_of",
    "graded",
    "grades_of",
    "history",
    "kind_names",
    "list_objections",
    "list_of",
    "list_repairs",
    "listed",
    "object_to",
    "public_report",
    "recompute",
    "recompute_all",
    "record_public",
    "record_snapshot",
    "records_of",
    "repair_advice",
    "scorecard_view",
]
