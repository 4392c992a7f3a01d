"""Linking a delivered record to an enterprise: the exact version. A valid USCC that CrossTrust knows is a
match; so is an old registration number (工商注册号, 组织机构代码) that a known USCC replaced. Anything else
goes to the review queue. The fuzzy version (names, addresses, scores) keeps these names and this
interface, so the one can replace the other."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Candidate:
    uscc: str | None
    name: str
    address: str | None = None
    old_reg_no: str | None = None


@dataclass(frozen=True)
class Known:
    enterprise_id: int
    uscc: str | None
    name: str
    address: str | None = None
    old_reg_nos: tuple[str, ...] = ()


@dataclass(frozen=True)
class Match:
    enterprise_id: int | None
    score: float  # 0..1
    method: str  # "uscc" | "old_reg_no" | "name" | "name_address" | "none"
    doubtful: bool  # True -> the review queue
    reasons: tuple[str, ...]


def _key(value: str | None) -> str:
    return unicodedata.normalize("NFKC", value or "").strip().upper().replace(" ", "")


class EnterpriseIndex:
    def __init__(self, known: Iterable[Known]) -> None:
        self._by_uscc: dict[str, int] = {}
        self._by_old: dict[str, int] = {}
        for k in known:
            if k.uscc:
                self._by_uscc[_key(k.uscc)] = k.enterprise_id
            for old in k.old_reg_nos:
                self._by_old[_key(old)] = k.enterprise_id

    def match(self, c: Candidate) -> Match:
        uscc = _key(c.uscc)
        if uscc and uscc in self._by_uscc:
            return Match(self._by_uscc[uscc], 1.0, "uscc", False, (f"USCC {uscc} is registered",))
        old = _key(c.old_reg_no)
        if old and old in self._by_old:
            return Match(self._by_old[old], 1.0, "old_reg_no", False, (f"old registration number {old}",))
        # The old number may arrive in the USCC column (a list kept before 2015).
        if uscc and uscc in self._by_old:
            return Match(self._by_old[uscc], 1.0, "old_reg_no", False, (f"old registration number {uscc}",))
        reasons = [f"USCC {uscc} is not registered"] if uscc else ["no USCC"]
        if old:
            reasons.append(f"old registration number {old} is not known")
        return Match(None, 0.0, "none", True, tuple(reasons))
