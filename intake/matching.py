"""Associating an agency's record with a known enterprise (issue 24, step 4: associate).

In order of strength, each step used only when the one before it gives no answer:

1. **USCC** valid and known: the enterprise (score 1; a name that disagrees is said in the reasons, not
   overruled: enterprises rename, and the compare step raises the name conflict). A USCC whose check
   character is wrong (stdnum.cn.uscc) is matched on its first 17 characters with a lower score and the
   reason `uscc_check_character_wrong`; the link is made only when the name agrees too, else it goes to review.
   A valid USCC that no known enterprise has excludes every known enterprise that has another USCC.
2. **Old registration number** (the registration or organisation code number a USCC replaced; a USCC's
   characters 9-17 are its organisation code, indexed too; one written in the USCC column is read as one):
   one enterprise holding it is a link (score 0.95 when the name agrees, 0.85 naming the gap when it does
   not: a row under an old number often carries the old name), several are review.
3. **Name**, folded by `intake.names`: the same name key and one enterprise under it is a link (score 0.9,
   0.97 with an address that agrees; an address that clearly differs sends it to review). The same core (the
   name without its company form) links only with an agreeing address. A similar name (Dice of the cores'
   character pairs, candidates found through an inverted index of those pairs, never by comparing with every
   enterprise) links only with a very similar name, an agreeing address and a clear margin over the next
   candidate; otherwise it goes to review with the best candidate proposed. A branch (分公司) never links to a
   non-branch on a name.

Doubtful matches (`doubtful=True`) carry the proposed enterprise, if any, for a regulator's review queue:
a weak name match is never linked silently.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

from intake import names

# Thresholds (Dice similarity of character pairs).
NAME_AGREES = 0.6  # a name "agrees" with an identifier's enterprise
ADDRESS_AGREES = 0.6
ADDRESS_DIFFERS = 0.3
NUMBERS_DIFFER = 0.45  # one road, another house number: not the same address
FUZZY_LINK = 0.8  # a similar core links (with an agreeing address and a margin)
FUZZY_REVIEW = 0.55  # below this, a similar name is no candidate at all
FUZZY_MARGIN = 0.1
# Pairs shared by more enterprises than this (贸易, 有限) are no use for finding candidates.
POSTING_CAP = 1500
FUZZY_CANDIDATES = 20


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
    doubtful: bool  # True -> a regulator's review queue
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Entry:
    """A known enterprise's keys; its character pairs are made when a name search needs them (memory)."""

    enterprise_id: int
    uscc: str | None
    key: str
    core: str
    address_key: str  # "" for none
    branch: bool
    form: str

    @property
    def pairs(self) -> frozenset[str]:
        return names.bigrams(self.core)


class _Query:
    """A candidate's keys, each made when a step first asks for it (a USCC match needs only the name's)."""

    def __init__(self, c: Candidate) -> None:
        self.key = names.name_key(c.name)
        self.core = names.core_of_key(self.key)
        self._address_text = c.address

    @classmethod
    def of(cls, c: Candidate) -> _Query:
        return cls(c)

    @cached_property
    def pairs(self) -> frozenset[str]:
        return names.bigrams(self.core)

    @cached_property
    def _address_keys(self) -> tuple[frozenset[str], tuple[str, ...]]:
        return _address(self._address_text)

    @property
    def address(self) -> frozenset[str]:
        return self._address_keys[0]

    @property
    def numbers(self) -> tuple[str, ...]:
        return self._address_keys[1]

    @cached_property
    def branch(self) -> bool:
        return names.is_branch_key(self.key)

    @cached_property
    def form(self) -> str:
        return names.form_of_key(self.key)


def _address(address: str | None) -> tuple[frozenset[str], tuple[str, ...]]:
    if not address:
        return frozenset(), ()
    key = names.address_key(address)
    return names.bigrams(key), names.address_numbers(key)


def _name_similarity(q: _Query, e: _Entry) -> float:
    if q.key == e.key or q.core == e.core:
        return 1.0
    return names.dice(q.pairs, e.pairs)


def _address_similarity(q: _Query, e: _Entry) -> float | None:
    """None when either side has no address; at most NUMBERS_DIFFER when the house numbers differ."""
    if not q.address or not e.address_key:
        return None
    similarity = names.dice(q.address, names.bigrams(e.address_key))
    numbers = names.address_numbers(e.address_key)
    if q.numbers and numbers and q.numbers != numbers:
        return min(similarity, NUMBERS_DIFFER)
    return similarity


def _none(reasons: list[str]) -> Match:
    return Match(None, 0.0, "none", False, tuple(reasons or ["no_candidate"]))


class EnterpriseIndex:
    """Known enterprises indexed by USCC, its first 17 characters, old numbers, name key, core and pairs."""

    def __init__(self, known: Iterable[Known]) -> None:
        self._entries: dict[int, _Entry] = {}
        self._uscc: dict[str, int] = {}
        self._uscc17: dict[str, list[int]] = {}
        self._old: dict[str, list[int]] = {}
        self._key: dict[str, list[int]] = {}
        self._core: dict[str, list[int]] = {}
        self._postings: dict[str, list[int]] = {}
        for k in known:
            self._add(k)

    def __len__(self) -> int:
        return len(self._entries)

    def _add(self, k: Known) -> None:
        key = names.name_key(k.name)
        core = names.core_of_key(key)
        uscc = names.clean_uscc(k.uscc)
        if uscc is not None and names.uscc_state(uscc) != "valid":
            uscc = None  # a stored USCC that fails its check is no key
        address = names.address_key(k.address) if k.address else ""
        branch, form = names.is_branch_key(key), names.form_of_key(key)
        entry = _Entry(k.enterprise_id, uscc, key, core, address, branch, form)
        self._entries[k.enterprise_id] = entry
        eid = k.enterprise_id
        olds = {names.clean_registration_number(o) for o in k.old_reg_nos}
        if uscc is not None:
            self._uscc[uscc] = eid
            self._uscc17.setdefault(uscc[:17], []).append(eid)
            olds.add(names.organisation_code(uscc))
        for old in olds:
            if old:
                self._old.setdefault(old, []).append(eid)
        self._key.setdefault(key, []).append(eid)
        self._core.setdefault(core, []).append(eid)
        for pair in entry.pairs:
            self._postings.setdefault(pair, []).append(eid)

    def match(self, c: Candidate) -> Match:
        reasons: list[str] = []
        query = _Query.of(c)
        uscc = names.clean_uscc(c.uscc)
        excluded_usccs = False
        written_old: str | None = None
        if uscc is not None:
            state = names.uscc_state(uscc)
            if state == "valid":
                found = self._uscc.get(uscc)
                if found is not None:
                    return self._by_valid_uscc(query, self._entries[found])
                reasons.append("uscc_unknown")
                excluded_usccs = True  # an enterprise with another valid USCC is another enterprise
            elif state == "check":
                checked = self._by_uscc17(query, uscc, reasons)
                if checked is not None:
                    return checked
            else:
                reasons.append("uscc_malformed")
                # An old registration number written in the USCC column is read as one.
                written_old = uscc
        old = names.clean_registration_number(c.old_reg_no or written_old)
        if old:
            by_old = self._by_old_number(query, old, reasons, excluded_usccs)
            if by_old is not None:
                return by_old
        return self._by_name(query, reasons, excluded_usccs)

    # -- identifiers -------------------------------------------------------------------------------------

    def _by_valid_uscc(self, q: _Query, e: _Entry) -> Match:
        similarity = _name_similarity(q, e)
        if similarity >= NAME_AGREES:
            return Match(e.enterprise_id, 1.0, "uscc", False, ("uscc",))
        return Match(e.enterprise_id, 0.95, "uscc", False, ("uscc", f"name_differs:{similarity:.2f}"))

    def _by_uscc17(self, q: _Query, uscc: str, reasons: list[str]) -> Match | None:
        reasons.append("uscc_check_character_wrong")
        ids = self._uscc17.get(uscc[:17], [])
        if not ids:
            reasons.append("uscc_first17_unknown")
            return None
        e = self._entries[ids[0]]
        similarity = _name_similarity(q, e)
        if similarity >= FUZZY_LINK:
            return Match(e.enterprise_id, 0.9, "uscc", False, (*reasons, "uscc_first17", "name_agrees"))
        return Match(e.enterprise_id, 0.6, "uscc", True, (*reasons, "uscc_first17", f"name:{similarity:.2f}"))

    def _by_old_number(self, q: _Query, old: str, reasons: list[str], excluded: bool) -> Match | None:
        ids = [i for i in self._old.get(old, []) if not (excluded and self._entries[i].uscc)]
        if not ids:
            reasons.append("old_reg_no_unknown")
            return None
        scored = sorted(((_name_similarity(q, self._entries[i]), i) for i in ids), reverse=True)
        similarity, eid = scored[0]
        if len(ids) > 1:
            return Match(eid, 0.6, "old_reg_no", True, (*reasons, "old_reg_no_ambiguous"))
        if similarity >= NAME_AGREES:
            return Match(eid, 0.95, "old_reg_no", False, (*reasons, "old_reg_no", "name_agrees"))
        # One enterprise holds the number: rows under an old number often carry the old name too (the
        # name changed with the registration), so the number links, at a lower score, naming the gap.
        return Match(
            eid, 0.85, "old_reg_no", False, (*reasons, "old_reg_no", f"name_differs:{similarity:.2f}")
        )

    # -- names -------------------------------------------------------------------------------------------

    def _eligible(self, ids: Iterable[int], q: _Query, excluded: bool) -> list[_Entry]:
        out = []
        for i in ids:
            e = self._entries[i]
            if excluded and e.uscc is not None:
                continue
            if e.branch != q.branch:
                continue
            out.append(e)
        return out

    def _by_name(self, q: _Query, reasons: list[str], excluded: bool) -> Match:
        same_key = self._eligible(self._key.get(q.key, ()), q, excluded)
        if same_key:
            return self._by_name_key(q, same_key, reasons)
        same_core = self._eligible(self._core.get(q.core, ()), q, excluded)
        if same_core:
            return self._by_core(q, same_core, reasons)
        return self._by_similar_name(q, reasons, excluded)

    def _by_name_key(self, q: _Query, entries: list[_Entry], reasons: list[str]) -> Match:
        reasons.append("name_key_equal")
        if len(entries) > 1:
            return self._pick_by_address(q, entries, reasons, score=0.85)
        e = entries[0]
        address = _address_similarity(q, e)
        if address is None:
            return Match(e.enterprise_id, 0.9, "name", False, (*reasons, "no_address"))
        if address >= ADDRESS_AGREES:
            return Match(e.enterprise_id, 0.97, "name_address", False, (*reasons, f"address:{address:.2f}"))
        if address < ADDRESS_DIFFERS:
            return Match(e.enterprise_id, 0.7, "name", True, (*reasons, f"address_differs:{address:.2f}"))
        return Match(e.enterprise_id, 0.85, "name", False, (*reasons, f"address:{address:.2f}"))

    def _by_core(self, q: _Query, entries: list[_Entry], reasons: list[str]) -> Match:
        reasons.append("name_core_equal")
        if len(entries) > 1:
            return self._pick_by_address(q, entries, reasons, score=0.8)
        e = entries[0]
        address = _address_similarity(q, e)
        if q.form and e.form and q.form != e.form:
            return Match(e.enterprise_id, 0.6, "name", True, (*reasons, f"form_differs:{q.form}/{e.form}"))
        if address is not None and address >= ADDRESS_AGREES:
            return Match(e.enterprise_id, 0.88, "name_address", False, (*reasons, f"address:{address:.2f}"))
        said = "no_address" if address is None else f"address:{address:.2f}"
        return Match(e.enterprise_id, 0.7, "name", True, (*reasons, said))

    def _pick_by_address(self, q: _Query, entries: list[_Entry], reasons: list[str], score: float) -> Match:
        """Several enterprises under one name: the address decides, with a margin, or review."""
        scored = sorted(((_address_similarity(q, e) or 0.0, e.enterprise_id) for e in entries), reverse=True)
        (best, eid), (second, _) = scored[0], scored[1]
        said = (*reasons, f"candidates:{len(entries)}", f"address:{best:.2f}")
        if best >= ADDRESS_AGREES and best - second >= FUZZY_MARGIN:
            return Match(eid, score, "name_address", False, said)
        return Match(eid, 0.5, "name", True, said)

    def _similar(self, q: _Query, excluded: bool) -> list[tuple[float, _Entry]]:
        """Candidates sharing the query's rarer character pairs, scored by Dice; best first."""
        counts: Counter[int] = Counter()
        for pair in q.pairs:
            posting = self._postings.get(pair)
            if posting is not None and len(posting) <= POSTING_CAP:
                counts.update(posting)
        need = max(1, len(q.pairs) // 3)
        # The most shared pairs first, ties by entry: `most_common` would break ties in the order the
        # pairs were counted, which is a frozenset's and so changes with the process's hash seed.
        top = heapq.nsmallest(FUZZY_CANDIDATES, counts.items(), key=lambda t: (-t[1], t[0]))
        ids = [i for i, n in top if n >= need]
        scored = [(names.dice(q.pairs, e.pairs), e) for e in self._eligible(ids, q, excluded)]
        scored.sort(key=lambda t: (-t[0], t[1].enterprise_id))
        return scored

    def _by_similar_name(self, q: _Query, reasons: list[str], excluded: bool) -> Match:
        scored = self._similar(q, excluded)
        if not scored or scored[0][0] < FUZZY_REVIEW:
            return _none([*reasons, "no_similar_name"])
        similarity, e = scored[0]
        address = _address_similarity(q, e)
        second = scored[1][0] if len(scored) > 1 else 0.0
        said = (*reasons, f"name_similar:{similarity:.2f}")
        said = (*said, "no_address" if address is None else f"address:{address:.2f}")
        if (
            similarity >= FUZZY_LINK
            and address is not None
            and address >= ADDRESS_AGREES
            and similarity - second >= FUZZY_MARGIN
        ):
            score = round(0.5 * similarity + 0.3 * address, 3)
            return Match(e.enterprise_id, score, "name_address", False, said)
        return Match(e.enterprise_id, round(0.5 * similarity, 3), "name", True, said)
