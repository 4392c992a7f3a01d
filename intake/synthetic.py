"""A synthetic multi-source delivery with known truth (issue 24: what the matcher and compare are measured on).

`Universe` makes enterprises: valid USCCs (GB 32100 check characters by stdnum's algorithm, organisation
codes with their GB 11714 check character), 15-digit old registration numbers, names of a region, a brand, an
industry and a company form, and addresses. Most are *known* (the index the matcher gets); the rest are
*unknown*, and many of those are hard negatives: a known enterprise's brand and industry in another city,
its brand under another company form at another address, or its branch (分公司).

`rows` streams records from five sources, enterprise by enterprise, never holding the delivery:

- `samr` (market regulation): the registered name, the operating status, administrative penalties (双公示),
  corrections of a penalty's amount (the same decision, a new amount: supersedes, no conflict);
- `customs`: its record of the enterprise's name (sometimes a former name: a planted name conflict) and
  the enterprise's customs credit status;
- `court`: dishonest judgment debtors (失信被执行人);
- `tax`: the tax credit grade;
- `credit_china`: republishes market regulation's penalties and status, sometimes with another amount or
  status (planted conflicts), sometimes in another spelling of the same value (no conflict).

Each row identifies its enterprise as agencies do: a valid USCC (in any case, with spaces, full-width), a
USCC with a wrong check character, an old registration or organisation code number, or only a name and an
address; the name in a variant (traditional, full-width, spaces and punctuation, another spelling of the
company form, the form cut short, a one-character typo). Rows are re-sent: within the delivery, and from the
previous delivery (the first enterprises' rows, marked `previous`). Every row carries its truth.

Seeded and deterministic: the same seed and size give the same rows (random.Random with an integer seed).
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, replace

import opencc

from intake import names

PREVIOUS_SAMPLE = 20_000  # rows of the previous delivery kept to be re-sent
SOURCES = ("samr", "customs", "court", "tax", "credit_china")
PREVIOUS, CURRENT = "2026-11-30", "2026-12-06"

_REGIONS = (
    ("宁波", "330206", "北仑区"),
    ("杭州", "330108", "滨江区"),
    ("天津", "120116", "滨海新区"),
    ("上海", "310115", "浦东新区"),
    ("广州", "440115", "南沙区"),
    ("深圳", "440304", "福田区"),
    ("郑州", "410173", "航空港区"),
    ("重庆", "500112", "渝北区"),
    ("成都", "510116", "双流区"),
    ("青岛", "370211", "黄岛区"),
)
_BRAND = "华润丰达汇东兴盛联鸿龙凤亿远泰恒瑞祥宏锦鑫荣嘉康宝顺昌隆盈海天新长安云飞腾创金银凯德诚信义和美"
_TYPO = "骅闰沣哒骐栋馨晟琏泓珑枫屹沅钛珩睿翔竑瑾"
_INDUSTRY = (
    "贸易",
    "进出口贸易",
    "电子商务",
    "国际物流",
    "供应链管理",
    "科技",
    "医药",
    "食品",
    "化妆品",
    "母婴用品",
)
_FORMS = ("有限公司", "有限公司", "有限公司", "股份有限公司", "有限责任公司")
_ROADS = ("港东大道", "保税西路", "海天路", "自贸一街", "跨境大道", "临港路", "物流园路", "创业路")
_LATIN = "ABCDEFGHKLMNPRSTXYZ"
_STATUS = ("存续", "在业", "吊销", "注销")
_CUSTOMS = ("高级认证企业", "一般信用企业", "失信企业")
_TAX = ("A", "B", "M", "C", "D")
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


@dataclass(frozen=True)
class Enterprise:
    enterprise_id: int
    uscc: str | None
    name: str
    address: str
    old_reg_no: str
    known: bool
    former_name: str


@dataclass(frozen=True)
class Row:
    source: str
    delivery: str
    row_no: int
    record_key: str
    uscc: str | None
    name: str
    address: str | None
    old_reg_no: str | None
    kind: str
    subject: str
    value: str
    # The truth, never shown to the matcher or compare.
    truth_enterprise: int | None  # None: an enterprise the index does not know
    truth_variant: str
    truth_duplicate: bool = False  # a re-sent row (within the delivery or from the previous one)
    truth_conflict: bool = False  # one of two rows that disagree on one fact
    truth_correction: bool = False  # a source's correction of its own earlier row


def organisation_check(body: str) -> str:
    """GB 11714's check character of an 8-character organisation code body."""
    total = sum(int(ch, 36) * w for ch, w in zip(body, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


def make_uscc(region_code: str, serial: int) -> str:
    body = f"{serial % 10**8:08d}"
    first17 = f"91{region_code}{body}{organisation_check(body)}"
    return first17 + names.uscc_check_character(first17)


def wrong_check(uscc: str) -> str:
    """The same USCC with another, wrong, check character."""
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    right = alphabet.index(uscc[17])
    return uscc[:17] + alphabet[(right + 7) % 31]


def full_width(text: str) -> str:
    return "".join(
        "\u3000" if ch == " " else chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in text
    )


class Universe:
    """Known and unknown enterprises, drawn from one seed."""

    def __init__(self, size: int, seed: int, unknown_share: float = 0.06) -> None:
        self.rng = random.Random(seed)
        self.enterprises: list[Enterprise] = []
        self._keys: set[str] = set()
        serial = self.rng.randrange(10**7)
        while len(self.enterprises) < size:
            eid = len(self.enterprises) + 1
            serial += 1 + self.rng.randrange(3)
            if self.enterprises and self.rng.random() < unknown_share:
                self._add(self._hard_negative(eid, serial))
            else:
                self._add(self._fresh(eid, serial, known=True))

    def _add(self, e: Enterprise | None) -> None:
        if e is not None:
            self.enterprises.append(e)

    def known(self) -> Iterator[Enterprise]:
        return (e for e in self.enterprises if e.known)

    def _name(self, region: str) -> str | None:
        rng = self.rng
        brand = "".join(rng.choice(_BRAND) for _ in range(rng.choice((2, 2, 3))))
        if rng.random() < 0.08:
            brand = "".join(rng.choice(_LATIN) for _ in range(3)) + brand[:1]
        china = "(中国)" if rng.random() < 0.05 else ""
        name = f"{region}{brand}{rng.choice(_INDUSTRY)}{china}{rng.choice(_FORMS)}"
        return self._unique(name)

    def _unique(self, name: str) -> str | None:
        key = names.name_key(name)
        if key in self._keys:
            return None
        self._keys.add(key)
        return name

    def _address(self, region: str, district: str) -> str:
        road = self.rng.choice(_ROADS)
        return f"{region}市{district}{road}{self.rng.randrange(1, 999)}号{self.rng.randrange(1, 30)}幢"

    def _fresh(self, eid: int, serial: int, known: bool) -> Enterprise | None:
        region, code, district = self.rng.choice(_REGIONS)
        name, former = self._name(region), self._name(region)
        if name is None or former is None:
            return None
        uscc = None if known and self.rng.random() < 0.03 else make_uscc(code, serial)
        old = f"{code}{(serial * 104729) % 10**9:09d}"
        return Enterprise(eid, uscc, name, self._address(region, district), old, known, former)

    def _hard_negative(self, eid: int, serial: int) -> Enterprise | None:
        """An unknown enterprise close to a known one: another city, another form, or a branch."""
        base = self.rng.choice(self.enterprises)
        region, code, district = self.rng.choice(_REGIONS)
        kind = self.rng.randrange(4)
        if kind == 0 and base.name[:2] != region:
            name = self._unique(region + base.name[2:])  # the same brand and industry in another city
        elif kind == 1:
            form = "股份有限公司" if "股份" not in base.name else "有限公司"
            name = self._unique(
                base.name.replace("有限责任公司", "").replace("股份有限公司", "").replace("有限公司", "")
                + form
            )
        elif kind == 2:
            name = self._unique(f"{base.name}{district}分公司")
        else:
            fresh = self._fresh(eid, serial, known=False)
            return fresh
        if name is None:
            return None
        old = f"{code}{(serial * 104729) % 10**9:09d}"
        uscc = make_uscc(code, serial)
        return Enterprise(eid, uscc, name, self._address(region, district), old, False, name)


@dataclass(frozen=True)
class _Fact:
    source: str
    kind: str
    subject: str
    value: str
    conflict: bool = False
    correction: bool = False


class _Variants:
    """How agencies write an enterprise's identifiers, name and address."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.s2t = opencc.OpenCC("s2t")

    def identify(self, e: Enterprise) -> tuple[str | None, str | None, str]:
        """(USCC as written, old number as written, which variant)."""
        r = self.rng.random()
        if e.uscc is None:
            return (None, e.old_reg_no, "old_reg_no") if r < 0.5 else (None, None, "name_only")
        if r < 0.65:
            s = self.rng.random()
            if s < 0.1:
                return e.uscc.lower(), None, "uscc_lower"
            if s < 0.2:
                return f"{e.uscc[:2]} {e.uscc[2:8]} {e.uscc[8:]}", None, "uscc_spaced"
            if s < 0.3:
                return full_width(e.uscc), None, "uscc_full_width"
            return e.uscc, None, "uscc"
        if r < 0.70:
            return wrong_check(e.uscc), None, "uscc_wrong_check"
        if r < 0.80:
            if self.rng.random() < 0.5:
                return None, e.old_reg_no, "old_reg_no"
            return None, f"{e.uscc[8:16]}-{e.uscc[16]}", "organisation_code"
        return None, None, "name_only"

    def name(self, name: str, same_name_only: bool) -> tuple[str, str]:
        """A spelling of the name; `same_name_only`: only spellings of the very same registered name."""
        r = self.rng.random()
        if r < 0.35:
            return name, "name"
        if r < 0.45:
            return self.s2t.convert(name), "traditional"
        if r < 0.55:
            return full_width(name.replace("(", "（").replace(")", "）")), "full_width"
        if r < 0.65:
            return f"{name[:2]} {name[2:]}".replace("(", " (") + "。", "spaced"
        if r < 0.80 or same_name_only:
            return self._form(name), "form"
        if r < 0.90:
            return self._short(name), "short_form"
        if r < 0.95:
            i = self.rng.randrange(2, 4)
            return name[:i] + self.rng.choice(_TYPO) + name[i + 1 :], "typo"
        return full_width(self.s2t.convert(self._form(name))), "combined"

    def _form(self, name: str) -> str:
        if "(中国)" in name:
            return name.replace("(中国)", "")
        if name.endswith("有限责任公司"):
            return name[: -len("有限责任公司")] + "有限公司"
        if name.endswith("股份有限公司"):
            return name[: -len("股份有限公司")] + "股份公司"
        if name.endswith("有限公司") and not name.endswith("分公司"):
            return name[: -len("有限公司")] + "有限责任公司"
        return name[:2] + "市" + name[2:]

    def _short(self, name: str) -> str:
        for form in ("股份有限公司", "有限责任公司", "有限公司"):
            if name.endswith(form):
                return name[: -len(form)] + ("公司" if self.rng.random() < 0.5 else "")
        return name

    def address(self, address: str, other: str) -> tuple[str | None, str]:
        r = self.rng.random()
        if r < 0.15:
            return None, "no_address"
        if r < 0.60:
            return address, "address"
        if r < 0.70:
            return self.s2t.convert(address), "address_traditional"
        if r < 0.80:
            return full_width(address), "address_full_width"
        if r < 0.95:
            return f"浙江省 {address[:3]} {address[3:]}", "address_spaced"
        return other, "address_moved"


class _Stream:
    """The row stream's state: counters, recent rows to re-send, the previous delivery's sample."""

    def __init__(self, universe: Universe, seed: int) -> None:
        self.universe = universe
        self.rng = random.Random(seed * 7 + 1)
        self.variants = _Variants(self.rng)
        self.row_no = 0
        self.serial = 0
        self.recent: deque[Row] = deque(maxlen=5000)
        self.previous: list[Row] = []

    def facts(self, e: Enterprise) -> list[_Fact]:
        rng, plant = self.rng, e.known
        out: list[_Fact] = []
        registered = rng.random() < 0.9
        if registered:
            out.append(_Fact("samr", "name", "", e.name))
        if rng.random() < 0.5:
            former = plant and registered and rng.random() < 0.04
            out.append(_Fact("customs", "name", "", e.former_name if former else e.name, conflict=former))
            if former:
                out[0] = replace(out[0], conflict=True)
        if rng.random() < 0.8:
            status = rng.choice(_STATUS)
            out.append(_Fact("samr", "status", "", status))
            if rng.random() < 0.4:
                other = plant and rng.random() < 0.06
                value = (
                    rng.choice([s for s in _STATUS if s != status])
                    if other
                    else self.variants.s2t.convert(status)
                )
                out.append(_Fact("credit_china", "status", "", value, conflict=other))
                if other:
                    out[-2] = replace(out[-2], conflict=True)
        for _ in range(rng.choice((0, 0, 1, 1, 2, 3))):
            out.extend(self._penalty(e, plant))
        if rng.random() < 0.08:
            self.serial += 1
            out.append(_Fact("court", "dishonest", f"(2026)执{self.serial}号", "列入"))
        if rng.random() < 0.3:
            out.append(_Fact("tax", "tax_grade", "2025", rng.choice(_TAX)))
        if rng.random() < 0.35:
            out.append(_Fact("customs", "customs_credit", "", rng.choice(_CUSTOMS)))
        return out

    def _penalty(self, e: Enterprise, plant: bool) -> list[_Fact]:
        rng = self.rng
        self.serial += 1
        subject = f"{e.name[:2]}市监罚〔2026〕{self.serial}号"
        amount = rng.randrange(1, 500) * 100
        first = _Fact("samr", "penalty_amount", subject, f"{amount}.00")
        if rng.random() < 0.5:
            if plant and rng.random() < 0.06:
                other = amount + rng.randrange(1, 50) * 100
                return [
                    replace(first, conflict=True),
                    _Fact("credit_china", "penalty_amount", subject, str(other), True),
                ]
            written = full_width(str(amount)) if rng.random() < 0.1 else str(amount)
            return [first, _Fact("credit_china", "penalty_amount", subject, written)]
        if plant and rng.random() < 0.04:
            corrected = amount + rng.randrange(1, 50) * 100
            return [first, _Fact("samr", "penalty_amount", subject, f"{corrected}.00", correction=True)]
        return [first]

    def row(self, e: Enterprise, fact: _Fact, delivery: str) -> Row:
        v = self.variants
        uscc, old, id_variant = v.identify(e)
        spelt = fact.value if fact.kind == "name" else e.name
        name, name_variant = v.name(spelt, same_name_only=fact.kind == "name")
        address, address_variant = v.address(
            e.address, self.universe.rng.choice(self.universe.enterprises).address
        )
        self.row_no += 1
        self.serial += 1
        return Row(
            fact.source, delivery, self.row_no, f"{fact.source}-{self.serial}", uscc, name, address, old,
            fact.kind, fact.subject, name if fact.kind == "name" else fact.value,
            e.enterprise_id if e.known else None, f"{id_variant}/{name_variant}/{address_variant}",
            truth_conflict=fact.conflict, truth_correction=fact.correction,
        )  # fmt: skip

    def resend(self, delivery: str) -> Row | None:
        """A row sent again unchanged: from the previous delivery or from this one."""
        pool: list[Row] | deque[Row] = self.previous if self.rng.random() < 0.4 else self.recent
        if delivery == PREVIOUS or not pool:
            return None
        original = pool[self.rng.randrange(len(pool))]
        self.row_no += 1
        return replace(original, delivery=delivery, row_no=self.row_no, truth_duplicate=True)


def rows(
    universe: Universe, count: int, seed: int, previous_share: float = 0.1, resend: float = 0.02
) -> Iterator[Row]:
    """`count` rows (fewer only if the universe runs out), enterprise by enterprise; see the module docstring."""
    stream = _Stream(universe, seed)
    made = 0
    previous_until = int(len(universe.enterprises) * previous_share)
    for index, e in enumerate(universe.enterprises):
        delivery = PREVIOUS if index < previous_until else CURRENT
        for fact in stream.facts(e):
            row = stream.row(e, fact, delivery)
            if e.known and delivery == CURRENT:
                stream.recent.append(row)
            elif e.known and len(stream.previous) < PREVIOUS_SAMPLE:
                stream.previous.append(row)
            yield row
            made += 1
            if made >= count:
                return
            again = stream.resend(delivery) if stream.rng.random() < resend else None
            if again is not None:
                yield again
                made += 1
                if made >= count:
                    return


def universe_for(count: int, seed: int) -> Universe:
    """A universe large enough for `count` rows (about five rows an enterprise)."""
    return Universe(size=count // 4 + 10, seed=seed)
