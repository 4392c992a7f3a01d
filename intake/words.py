"""The words people read (zh, en) about intake, kept here as intake defines them and read into the
pages' glossary (api/pages/glossary.py), as credit.social_words is."""

# ruff: noqa: RUF001 - full-width punctuation is Chinese text

from __future__ import annotations

from intake.mapping import FieldSpec, Mapping, mappings

FIELD_WORDS: dict[str, tuple[str, str]] = {
    "row": ("整行", "The row"),
    "uscc": ("统一社会信用代码", "USCC"),
    "name": ("名称", "Name"),
    "duty": ("生效法律文书确定的义务", "Duty set by the judgment"),
    "published_on": ("发布时间", "Published on"),
    "fine_wan": ("罚款金额（万元）", "Fine (10,000 CNY)"),
    "decided_on": ("决定日期", "Decided on"),
    "valid_until": ("有效期至", "Valid until"),
    "status": ("状态", "Status"),
    "reason": ("原因", "Reason"),
    "authority": ("决定机关", "Authority"),
    "result": ("检验结论", "Result"),
    "gtin": ("商品条码", "GTIN"),
    "lot": ("批号", "Lot"),
    "registered_name": ("登记名称", "Registered name"),
    "state": ("登记状态", "Registration state"),
}


def _label(f: FieldSpec) -> tuple[str, str]:
    """A field as its mapping names it: the first Chinese column name agencies use for it."""
    zh = next((c for c in f.columns if any("\u4e00" <= ch <= "\u9fff" for ch in c)), f.name)
    return zh, f.name.replace("_", " ").capitalize()


def _fields() -> dict[str, tuple[str, str]]:
    """Every mapping's fields, for pages that show fields of several mappings at once (the first
    mapping that has a field names it there)."""
    out: dict[str, tuple[str, str]] = {}
    for m in mappings().values():
        for f in m.fields.values():
            out.setdefault(f.name, _label(f))
    return out


def _fields_of(m: Mapping) -> dict[str, tuple[str, str]]:
    """One mapping's fields as that mapping names them (a penalty's decision_no is 行政处罚决定书文号, a
    licence's 行政许可决定文书号), in Chinese; in English, the shared word where there is one."""
    return {name: (_label(f)[0], FIELD_WORDS.get(name, _label(f))[1]) for name, f in m.fields.items()} | {
        "row": FIELD_WORDS["row"]
    }


def field_group(kind: str) -> str:
    """The glossary group of one mapping's field labels (the record trail shows its own mapping's)."""
    return f"intake_field_{kind}"


INTAKE_WORDS: dict[str, dict[str, tuple[str, str]]] = {
    "delivery_status": {"processing": ("导入中", "Importing"), "done": ("已完成", "Done")},
    "intake_record_status": {
        "active": ("已关联", "Linked"),
        "review": ("待人工核对", "To review"),
        "superseded": ("已被取代（更正或裁决）", "Superseded (corrected, or another value held)"),
        "dismissed": ("已驳回：平台无此企业", "Dismissed: no such enterprise on the platform"),
    },
    "product_link": {
        "lot": ("已关联商品与批次", "Linked to the product and its lot"),
        "product": ("已关联商品（未关联批次）", "Linked to the product (no declared lot matched)"),
        "unknown": ("平台无此商品条码", "No product on the platform has this GTIN"),
        "other": (
            "未关联：商品条码属于其他企业，请核对",
            "Not linked: the GTIN is another enterprise's product; to check",
        ),
        "waiting": ("待关联企业后关联商品", "Linked to its product once linked to its enterprise"),
    },
    "match_method": {
        "uscc": ("统一社会信用代码", "USCC"),
        "old_reg_no": ("原注册号", "Old registration number"),
        "name": ("名称", "Name"),
        "name_address": ("名称与地址", "Name and address"),
        "none": ("未匹配", "No match"),
        "manual": ("人工核对", "Settled by a regulator"),
    },
    "intake_settlement": {
        "link": ("关联到企业", "Linked to the enterprise"),
        "dismiss": ("驳回：平台无此企业", "Dismissed: no such enterprise on the platform"),
        "new": ("以新报送为准", "The new value holds"),
        "stored": ("以已有记录为准", "The stored value holds"),
        "both": ("两者并存", "Both stand"),
    },
    "intake_kind": {k: (m.name_zh, m.name_en) for k, m in mappings().items()},
    "subscription_status": {"active": ("生效中", "Active"), "revoked": ("已撤销", "Revoked")},
    "dispatch_state": {
        "pending": ("待投递", "Pending"),
        "delivered": ("已送达", "Delivered"),
        "failed": ("投递失败，已停止重试", "Failed: retries exhausted"),
        "skipped": ("未发送：订阅已撤销", "Not sent: the subscription was revoked"),
    },
    "dispatch_message": {
        "accepted": ("新增记录", "New record"),
        "corrected": ("更正记录", "Correction"),
        "withdrawn": ("撤回记录", "Withdrawal"),
    },
    "intake_field": _fields() | FIELD_WORDS,
}
INTAKE_WORDS |= {field_group(k): _fields_of(m) for k, m in mappings().items()}
