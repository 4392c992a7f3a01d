"""The words people read (zh, en) about the credit mechanisms open to others than the merchant and the
regulator: authorised sharing with banks and insurers (授权即达) and reports from the public (社会共治), kept here as credit defines them and read
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
    "tipoff_category": {
        "false_advertising": ("虚假宣传", "Misleading advertising"),
        "unlabelled_goods": ("无中文标签商品", "Goods without a Chinese label"),
        "fake_verification_site": ("假冒追溯查询网站", "A fake verification site"),
        "counterfeit": ("假冒商品", "Counterfeit goods"),
        "other": ("其他违法违规行为", "Other misconduct"),
    },
    "tipoff_status": {
        "received": ("待核查", "Being checked"),
        "effective": ("查证属实（有效举报）", "Found true (an effective report)"),
        "not_effective": ("查无实据", "Not borne out"),
    },
    "warning_level": {
        "calm": ("平稳", "Calm"),
        "elevated": ("关注", "Elevated"),
        "high": ("高风险", "High"),
    },
}
