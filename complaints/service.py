"""The complaint handler's operations (the five mechanisms): the domain's public surface. Functions take a
session and know no HTTP; each change is audited and emits its event in the same transaction.

States: received -> answered -> closed, with mediation on a missed deadline or a dispute, a pause
(waiting_consumer) that stops the clock, compensation_due for advance compensation (先行赔付), and a
reopen inside a window. A step the state does not allow is a Conflict naming the state.

The operations live in a module per concern (kit, intake, reading, answers, consumer, mediation,
transfers, publicity, sweep, webhook_settings); callers import them from here.
"""

from __future__ import annotations

from complaints.answers import answer, eligible_for_compensation
from complaints.consumer import accept, dispute, rate, reopen, reply, set_consent
from complaints.intake import intake
from complaints.kit import (
    ACTOR_CONSUMER,
    ACTOR_SWEEP,
    TOKEN_ALPHABET,
    TOKEN_LENGTH,
    Kit,
    new_token,
    token_hash,
)
from complaints.mediation import close, decide_mediation, escalate, record_payment, request_info
from complaints.publicity import public_case, publication_preview, scrubbed_narrative
from complaints.reading import (
    CSV_FIELDS,
    by_token,
    case_view,
    evidence_count,
    evidence_file,
    evidence_of,
    evidence_path,
    export_csv,
    figures,
    get,
    get_of,
    list_for_merchant,
    merchant_figures,
    messages,
    queue,
    reveal_contact,
)
from complaints.sweep import sweep
from complaints.transfers import receive_transfer, transfer, transfers
from complaints.webhook_settings import set_webhook, webhook_target

__all__ = [
    "ACTOR_CONSUMER",
    "ACTOR_SWEEP",
    "CSV_FIELDS",
    "TOKEN_ALPHABET",
    "TOKEN_LENGTH",
    "Kit",
    "accept",
    "answer",
    "by_token",
    "case_view",
    "close",
    "decide_mediation",
    "dispute",
    "eligible_for_compensation",
    "escalate",
    "evidence_count",
    "evidence_file",
    "evidence_of",
    "evidence_path",
    "export_csv",
    "figures",
    "get",
    "get_of",
    "intake",
    "list_for_merchant",
    "merchant_figures",
    "messages",
    "new_token",
    "public_case",
    "publication_preview",
    "queue",
    "rate",
    "receive_transfer",
    "record_payment",
    "reopen",
    "reply",
    "request_info",
    "reveal_contact",
    "scrubbed_narrative",
    "set_consent",
    "set_webhook",
    "sweep",
    "token_hash",
    "transfer",
    "transfers",
    "webhook_target",
]
