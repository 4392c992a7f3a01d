"""Disclosure records from enterprises' events: the registration record (主体信息)."""

from __future__ import annotations

from sqlmodel import Session

from core.english import english_name
from core.events import Event
from core.identifiers import country_name
from disclosure.models import Category
from disclosure.records import Builder, Record, base_fields, enterprise_of
from enterprises.events import EnterpriseChanged, EnterpriseRegistered

STATUS_ZH = {"active": "存续", "suspended": "暂停经营", "deregistered": "注销"}
STATUS_EN = {"active": "in operation", "suspended": "suspended", "deregistered": "deregistered"}


def _entity(session: Session, event: Event[EnterpriseRegistered | EnterpriseChanged]) -> list[Record]:
    ent = enterprise_of(session, event.data.enterprise_id)
    status = STATUS_ZH.get(ent["status"], ent["status"])
    fields = base_fields(
        session,
        ent,
        Category.entity,
        event.created_at,
        event,
        title_zh=f"企业登记信息：{ent['name_zh']}",
        title_en=f"Registration: {english_name(ent['name_en'], ent['name_zh'])}",
        body_zh=(
            f"统一社会信用代码 {ent['uscc']}；海关注册编码 {ent['customs_code'] or '无'}；"
            f"所在国家 {country_name(ent['country'])}；经营状态 {status}。"
        ),
        body_en=(
            f"Unified social credit code {ent['uscc']}; customs code {ent['customs_code'] or 'none'}; "
            f"country {country_name(ent['country'], 'en')}; status: {STATUS_EN.get(ent['status'], ent['status'])}."
        ),
        fields={"kind": ent["kind"], "status": ent["status"], "customs_code": ent["customs_code"]},
        origin_country=ent["country"],
    )
    return [(f"entity:{ent['id']}", fields)]


# The event and the builders of its records, in the order they are written (disclosure/handlers.py).
ENTITY: dict[str, tuple[Builder, ...]] = {
    "enterprise.registered": (_entity,),
    "enterprise.changed": (_entity,),
}
