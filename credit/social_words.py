"""The words people read (zh, en) about the credit mechanisms open to others than the merchant and the
regulator: authorised sharing with banks and insurers (授权即达), kept here as credit defines them and read
into the pages' glossary (api/pages/glossary.py), as translog.words is."""

# ruff: noqa: RUF001 - full-width punctuation is Chinese text

from __future__ import annotations

SOCIAL_WORDS: dict[str, dict[str, tuple[str, str]]] = {
    "share_scope": {
        "report": ("信用报告（公示信息）", "The credit report (published records)"),
        "report_and_records": ("信用报告及全部信用记录", "The credit report and every record"),
    },
    "share_status": {
        "live": ("有效", "Live"),
        "revoked": ("已撤销", "Revoked"),
        "expired": ("已到期", "Ended"),
    },
}
