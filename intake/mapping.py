"""Declared mappings: for each kind of record an agency delivers, which of its columns (by the national
standard's field names or the headers agencies use) hold which of CrossTrust's fields, their types, what
identifies the fact, which fields two sources may disagree on, and which credit record it makes. One TOML
file per kind in `intake/mappings/`."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path
from string import Formatter
from typing import Any

from core.errors import Invalid
from intake.clean import Rejected, read, text

DIR = Path(__file__).parent / "mappings"
# "name": an enterprise's name held as a value (a registered name): read as text, compared by its name key.
TYPES = {"text", "name", "date", "uscc", "id_number", "gtin", "amount", "choice"}


@dataclass(frozen=True)
class FieldSpec:
    name: str
    columns: tuple[str, ...]
    type: str
    required: bool
    choices: dict[str, str]


@dataclass(frozen=True)
class CreditRule:
    kind: str
    severity: str
    occurred_at: str
    title_zh: str
    title_en: str
    when: dict[str, str]  # field -> value that must hold; empty: always
    # Parts added to the title only when every field they name has a value ("罚款 {fine_wan} 万元").
    details_zh: tuple[str, ...] = ()
    details_en: tuple[str, ...] = ()

    def applies(self, fields: dict[str, str]) -> bool:
        return all(fields.get(k) == v for k, v in self.when.items())

    def titles(self, fields: dict[str, str]) -> tuple[str, str]:
        """The credit record's title in Chinese and English, with the details whose fields have values."""
        values = _Blank(fields)

        def title(head: str, details: tuple[str, ...], sep: str) -> str:
            parts = [d.format_map(values) for d in details if all(fields.get(n) for n in _names(d))]
            return sep.join([head.format_map(values), *parts])[:300]

        return title(self.title_zh, self.details_zh, "，"), title(self.title_en, self.details_en, "; ")


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return ""


def _names(template: str) -> list[str]:
    return [name for _, name, _, _ in Formatter().parse(template) if name]


@dataclass(frozen=True)
class Mapping:
    kind: str
    version: str
    name_zh: str
    name_en: str
    standard: str
    fields: dict[str, FieldSpec]
    key: tuple[str, ...]
    compare: tuple[str, ...]
    uscc_field: str
    name_field: str
    old_reg_field: str
    credit: tuple[CreditRule, ...]
    gtin_field: str = ""  # the field naming a product by its GTIN (linked to the enterprise's product)
    lot_field: str = ""  # the field naming its lot (batch number), linked to the declared lot
    address_field: str = ""  # the enterprise's address, when the source writes one (a name-only row's match)

    def resolve(self, header: list[str], declared: dict[str, str] | None = None) -> dict[str, str]:
        """field -> the file's column. A declared column must exist and a required field must find one."""
        present = {text(h): h for h in header if h is not None}
        out: dict[str, str] = {}
        for name, column in (declared or {}).items():
            if name not in self.fields:
                raise Invalid.field(f"columns.{name}", f"{self.kind} has no field {name!r}")
            if text(column) not in present:
                raise Invalid.field(f"columns.{name}", f"the file has no column {column!r}")
            out[name] = present[text(column)]
        for spec in self.fields.values():
            if spec.name in out:
                continue
            found = next((present[text(c)] for c in spec.columns if text(c) in present), None)
            if found is not None:
                out[spec.name] = found
            elif spec.required:
                cols = "、".join(str(h) for h in header[:30])
                raise Invalid.field(
                    f"mapping.{spec.name}",
                    f"the mapping {self.kind} names no column of this file for {spec.name}"
                    f" (looked for {' / '.join(spec.columns)}; the file has {cols})",
                )
        return out

    def clean(self, row: dict[str, Any], columns: dict[str, str]) -> dict[str, str]:
        """A row's fields, cleaned; `Rejected` names the first field that fails."""
        out: dict[str, str] = {}
        for name, column in columns.items():
            spec = self.fields[name]
            value = read(name, spec.type, row.get(column), spec.choices)
            if not value and spec.required:
                raise Rejected(name, "required and empty")
            out[name] = value
        for name, value in row.items():  # a formula in a column the mapping does not read is refused too
            if isinstance(value, str) and value[:1] == "=":
                raise Rejected("row", f"column {name}: a spreadsheet formula is not data")
        return out

    @cached_property
    def identifiers(self) -> frozenset[str]:
        """The fields that name the enterprise (its USCC, name, old number): identifiers, not facts."""
        return frozenset((self.uscc_field, self.name_field, self.old_reg_field)) - {""}

    @cached_property
    def subject(self) -> tuple[str, ...]:
        """The key's fields that are not the enterprise's identifiers (a tax grade's year)."""
        return tuple(k for k in self.key if k not in self.identifiers)

    @property
    def of_enterprise(self) -> bool:
        """The key names the enterprise (a customs credit class, a tax grade): a fact *of* an enterprise,
        the same fact whichever identifier a source wrote it under. A key of its own (a penalty's
        decision number, a court's case number) is the same fact whoever it names."""
        return len(self.subject) < len(self.key)

    def fact_key(self, fields: dict[str, str], enterprise_id: int | None = None) -> str:
        """What identifies the fact. A fact of an enterprise linked to one (`enterprise_id`) is keyed by
        that enterprise and its subject, so two sources meet whatever identifier they wrote; unlinked, by
        the identifiers as written (the name and old number too when the key's identifiers are empty)."""
        if enterprise_id is not None and self.of_enterprise:
            return f"{self.kind}:@{enterprise_id}|" + "|".join(fields.get(k, "") for k in self.subject)
        key = self.kind + ":" + "|".join(fields.get(k, "") for k in self.key)
        if self.of_enterprise and not any(fields.get(k) for k in self.key if k in self.identifiers):
            key += "|" + "|".join(fields.get(k, "") for k in (self.old_reg_field, self.name_field) if k)
        return key


def _rules(raw: list[dict[str, Any]]) -> tuple[CreditRule, ...]:
    return tuple(
        CreditRule(
            kind=r["kind"],
            severity=r["severity"],
            occurred_at=r["occurred_at"],
            title_zh=r["title_zh"],
            title_en=r.get("title_en", ""),
            when=dict(r.get("when", {})),
            details_zh=tuple(r.get("details_zh", ())),
            details_en=tuple(r.get("details_en", ())),
        )
        for r in raw
    )


def _load(path: Path) -> Mapping:
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    fields = {
        name: FieldSpec(
            name, tuple(f["columns"]), f.get("type", "text"), bool(f.get("required")), f.get("choices", {})
        )
        for name, f in raw["fields"].items()
    }
    m = Mapping(
        kind=raw["kind"],
        version=str(raw["version"]),
        name_zh=raw["name_zh"],
        name_en=raw["name_en"],
        standard=raw.get("standard", ""),
        fields=fields,
        key=tuple(raw["key"]),
        compare=tuple(raw.get("compare", ())),
        uscc_field=raw.get("uscc", "uscc"),
        name_field=raw.get("enterprise_name", "name"),
        old_reg_field=raw.get("old_reg_no", ""),
        credit=_rules(raw.get("credit", [])),
        gtin_field=raw.get("gtin", ""),
        lot_field=raw.get("lot", ""),
        address_field=raw.get("address", ""),
    )
    bad = [f.name for f in fields.values() if f.type not in TYPES]
    named = [*m.key, *m.compare, m.uscc_field, m.name_field, m.gtin_field, m.lot_field, m.address_field]
    named += [n for r in m.credit for d in (*r.details_zh, *r.details_en) for n in _names(d)] + [
        r.occurred_at for r in m.credit
    ]
    unknown = [n for n in named if n and n not in fields]
    if bad or unknown or m.kind != path.stem:
        raise ValueError(f"mapping {path.name}: bad types {bad}, unknown fields {unknown}")
    return m


@cache
def mappings() -> dict[str, Mapping]:
    """Every shipped mapping by kind (files that never change while the process runs)."""
    return {p.stem: _load(p) for p in sorted(DIR.glob("*.toml"))}


def get(kind: str) -> Mapping:
    found = mappings().get(kind)
    if found is None:
        raise Invalid.field("kind", f"no mapping {kind!r}; known: {', '.join(sorted(mappings()))}")
    return found
