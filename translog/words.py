"""The words people read about the log's proofs (zh, en), kept here as the log defines them and read into
the pages' glossary (api/pages/glossary.py), as traceability.digsig.OUTCOME_LABELS is."""

# ruff: noqa: RUF001 - full-width punctuation is Chinese text

from __future__ import annotations

TLOG_WORDS: dict[str, dict[str, tuple[str, str]]] = {
    # What the proof page found: the proof holds, it fails, or the entry is not yet under a checkpoint.
    "tlog_state": {
        "verified": ("已验证", "Verified"),
        "failed": ("验证失败", "The proof fails"),
        "pending": ("正在加入公开日志", "Being added to the public log"),
    },
    # What is proved.
    "tlog_subject": {
        "code": ("这个追溯码", "This trace code"),
        "grade": ("这家企业的信用等级", "This enterprise's credit grade"),
        "record": ("这条公示信息", "This disclosure record"),
    },
    # The checks, in the order they are made.
    "tlog_check": {
        "signature": ("日志检查点的签名有效", "The log checkpoint's signature is valid"),
        "tree": ("日志的全部数据与检查点一致", "The log's tiles hash to the checkpoint"),
        "inclusion": ("这一条目在日志中", "This entry is in the log"),
        "batch": ("这个码属于已记入日志的一批码", "This code belongs to a batch the log holds"),
    },
    # Who checked: this platform's server, and the reader's own browser.
    "tlog_checker": {
        "server": ("平台服务器已验证", "Checked by the server"),
        "browser": ("您的浏览器已再次验证", "Checked again by your browser"),
        "browser_failed": ("您的浏览器验证失败", "Your browser found the proof fails"),
        "browser_partial": (
            "您的浏览器已验证哈希路径；签名由平台服务器验证",
            "Your browser checked the hash path; the signature was checked by the server",
        ),
        "browser_checking": ("您的浏览器正在验证…", "Your browser is checking…"),
        "browser_unavailable": (
            "您的浏览器无法自行验证；已由平台服务器验证",
            "Your browser cannot check it itself; the server checked it",
        ),
    },
    # Whether independent witnesses cosigned the checkpoint the proof was checked against.
    "tlog_witness": {
        "cosigned": (
            "以下独立见证方已核对并联署这个检查点（它们确认日志只增不改）：",
            "These independent witnesses checked and cosigned this checkpoint (the log only grew):",
        ),
        "none": ("这个检查点尚无见证方联署", "No witness has cosigned this checkpoint yet"),
    },
    # What the log entry is, by its kind.
    "tlog_leaf_kind": {
        "code.batch": ("一批追溯码", "A batch of trace codes"),
        "credit.grade": ("信用等级变更", "A credit grade change"),
        "disclosure.record": ("公示信息", "A disclosure record"),
    },
}
