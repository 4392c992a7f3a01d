"""The words of pledges, tolerance, joint measures and coaching (zh, en), read into the glossary (a kind
the glossary has already, record_status, gains the words here)."""

from __future__ import annotations

from core.agencies import AGENCY_NAMES

TRUST_WORDS: dict[str, dict[str, tuple[str, str]]] = {
    "agency": dict(AGENCY_NAMES),  # agencies by division code (core.agencies: the one table)
    "record_status": {"tolerated": ("容错整改中（不计分）", "Tolerated (not counted)")},
    "pledge_status": {
        "active": ("履约中", "In force"),
        "broken": ("已违诺", "Broken"),
        "withdrawn": ("已撤回", "Withdrawn"),
    },
    "tolerance_status": {
        "open": ("整改期内", "Being corrected"),
        "submitted": ("已报整改，待确认", "Correction reported"),
        "corrected": ("整改到位，不计入", "Corrected: not counted"),
        "lapsed": ("逾期未整改，自违法之日起计入", "Not corrected: counts from the breach"),
    },
    "plan_status": {
        "open": ("辅导中", "Coaching"),
        "restored": ("等级已恢复", "Grade restored"),
        "closed": ("已结束", "Closed"),
    },
    "task_status": {
        "open": ("待完成", "To do"),
        "reported": ("已报告完成，待确认", "Reported done"),
        "done": ("已确认完成", "Confirmed done"),
    },
    "notice_action": {
        "apply": ("实施", "Applied"),
        "lift": ("解除", "Lifted"),
    },
    "measure_applied_by": {
        "inspection_rates": (
            "本平台实施：按等级或名单确定查验比例",
            "Applied here: inspection rate by grade or list",
        ),
        "pledges": ("本平台实施：不适用信用承诺", "Applied here: no pledges"),
        "insurance_premiums": ("本平台实施：保费按等级系数", "Applied here: premium by grade"),
        "notice": ("已签名通知主管部门实施", "Signed notice to the department"),
    },
    "repair_state": {
        "repairable": ("可申请修复", "Repair now"),
        "wait": ("未到修复期", "Not yet repairable"),
        "repair_pending": ("修复申请审核中", "Repair pending"),
        "under_review": ("异议审核中", "Objection under review"),
    },
    "yes_no_delivery": {
        "delivered": ("已送达", "Delivered"),
        "queued": ("发送中", "Being sent"),
    },
}
