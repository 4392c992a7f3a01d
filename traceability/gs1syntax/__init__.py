"""GS1 Application Identifier syntax: GS1's Barcode Syntax Dictionary and GS1's reference linters.

The rules of every AI (format, length, character set, check digits, dates, the AIs that must or must not
go together, which AIs a GS1 Digital Link may carry as data attributes) are read from GS1's own Syntax
Dictionary (`gs1-syntax-dictionary.txt`, vendored unchanged with its licence) and checked with GS1's own
reference linters (`csrc/`, C, built into `_linters` by setuptools and called through ctypes). Nothing
here restates a rule: see README.md in this folder for where each file comes from.

A component is applied as the dictionary's introduction says: each consumes a prefix of its prescribed
length, only the last may have a variable length, and optional components may be left out once the data
is exhausted (as GS1's Syntax Engine does, `gs1_aiValLengthContentCheck`).
"""

from __future__ import annotations

import ctypes
import functools
import importlib.machinery
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).parent
DICTIONARY = HERE / "gs1-syntax-dictionary.txt"
# The linter that checks a component's character set, by the dictionary's type letter.
_CSET_LINTER = {"N": "csetnumeric", "X": "cset82", "Y": "cset39", "Z": "cset64"}
_FLAG_CHARS = set("*!?\"$%&'()+,-./:;<=>@[\\]^_`{|}~")
# "N6,yymmd0", "N..20", "[X..17]", "[N3],iso3166": type, length, linters; brackets mark it optional.
# GS1's linters of a character set that judge each character alone (cset64 does not: its padding).
_PER_CHARACTER = ("csetnumeric", "cset82", "cset39")
_COMPONENT = re.compile(r"^(\[)?([NXYZ])(\d*)(?:\.\.(\d+))?\]?((?:,\w+)*)\]?$")


@dataclass(frozen=True)
class Component:
    cset: str
    min: int
    max: int
    optional: bool
    linters: tuple[str, ...]


@dataclass(frozen=True)
class Entry:
    """One AI as the dictionary describes it."""

    ai: str
    title: str
    fixed_length: bool  # the "*" flag: a pre-defined length, no FNC1 separator
    data_attribute: bool  # the "?" flag: permitted as a GS1 Digital Link data attribute
    components: tuple[Component, ...]
    requires: tuple[tuple[tuple[str, ...], ...], ...]  # each req=: alternatives, each a set of patterns
    excludes: tuple[str, ...]  # ex=: AIs or patterns it must not go with
    dl_primary_key: bool
    dl_qualifiers: tuple[tuple[str, ...], ...]  # dlpkey=22,10,21|235: ordered alternatives


class GS1SyntaxError(ValueError):
    """An AI or a set of AIs that GS1's rules refuse; `ai` names the AI and `reason` says why."""

    def __init__(self, ai: str, reason: str) -> None:
        super().__init__(f"({ai}) {reason}")
        self.ai = ai
        self.reason = reason


def _ais(spec: str) -> list[str]:
    if "-" not in spec:
        return [spec]
    first, last = spec.split("-")
    return [str(n).zfill(len(first)) for n in range(int(first), int(last) + 1)]


def parse_dictionary(text: str) -> dict[str, Entry]:
    """The entries of a Syntax Dictionary text, by AI (ranges such as 3100-3105 expanded)."""
    entries: dict[str, Entry] = {}
    for raw in text.splitlines():
        line, _, title = raw.partition("#")
        tokens = line.split()
        if not tokens:
            continue
        ais, rest = tokens[0], tokens[1:]
        flags = ""
        if rest and set(rest[0]) <= _FLAG_CHARS:
            flags, rest = rest[0], rest[1:]
        components: list[Component] = []
        requires: list[tuple[tuple[str, ...], ...]] = []
        excludes: list[str] = []
        dl_primary_key = False
        qualifiers: tuple[tuple[str, ...], ...] = ()
        for token in rest:
            m = _COMPONENT.match(token)
            if m and "=" not in token:
                opt, cset, length, most, linters = m.groups()
                low, high = (1, int(most)) if most else (int(length), int(length))
                names = (_CSET_LINTER[cset], *[x for x in linters.split(",") if x])
                components.append(Component(cset, low, high, bool(opt), names))
            elif token.startswith("req="):
                requires.append(tuple(tuple(alt.split("+")) for alt in token[4:].split(",")))
            elif token.startswith("ex="):
                excludes += token[3:].split(",")
            elif token == "dlpkey" or token.startswith("dlpkey="):  # noqa: S105 - not a secret
                dl_primary_key = True
                if "=" in token:
                    qualifiers = tuple(tuple(seq.split(",")) for seq in token[7:].split("|"))
            else:
                raise ValueError(f"the Syntax Dictionary line {raw!r} has a token {token!r} not understood")
        for ai in _ais(ais):
            entries[ai] = Entry(
                ai,
                title.strip(),
                "*" in flags,
                "?" in flags,
                tuple(components),
                tuple(requires),
                tuple(excludes),
                dl_primary_key,
                qualifiers,
            )
    return entries


_LINTER = ctypes.CFUNCTYPE(
    ctypes.c_int,
    ctypes.c_char_p,
    ctypes.c_size_t,
    ctypes.POINTER(ctypes.c_size_t),
    ctypes.POINTER(ctypes.c_size_t),
)


class Linters:
    """GS1's reference linters, from the shared library built out of `csrc/`."""

    def __init__(self) -> None:
        found = [
            HERE / f"_linters{suffix}"
            for suffix in importlib.machinery.EXTENSION_SUFFIXES
            if (HERE / f"_linters{suffix}").exists()
        ]
        if not found:
            raise RuntimeError(
                "GS1's linters are not built: `pip install -e .` builds traceability/gs1syntax/_linters"
            )
        self._lib = ctypes.CDLL(str(found[0]))
        self._lib.gs1_linter_from_name.restype = ctypes.c_void_p
        self._lib.gs1_linter_from_name.argtypes = [ctypes.c_char_p]
        self._messages = (ctypes.c_char_p * 256).in_dll(self._lib, "gs1_lint_err_str")
        self._fns: dict[str, Callable[..., int]] = {}  # _LINTER functions
        self._scratch_pos = ctypes.byref(ctypes.c_size_t(0))
        self._scratch_len = ctypes.byref(ctypes.c_size_t(0))

    def function(self, name: str):  # noqa: ANN201 - a ctypes function
        fn = self._fns.get(name)
        if fn is None:
            address = self._lib.gs1_linter_from_name(name.encode())
            if not address:
                raise ValueError(f"GS1's linters have no {name!r} (named by the Syntax Dictionary)")
            fn = self._fns[name] = _LINTER(address)
        return fn

    def message(self, code: int) -> str:
        return (self._messages[code] or b"").decode()

    def passes(self, fn, data: bytes) -> bool:  # noqa: ANN001 - a ctypes function
        """Whether the linter passes the data: the scan's call, with no position asked back (C's NULL
        is not allowed for it, so a shared scratch pair takes it; `raw` gives a failure's position)."""
        return fn(data, len(data), self._scratch_pos, self._scratch_len) == 0

    def raw(self, name: str, data: bytes) -> tuple[int, int, int]:
        """The linter's answer as GS1's C API gives it: error code (0: none), error position and length."""
        pos, length = ctypes.c_size_t(0), ctypes.c_size_t(0)
        code = self.function(name)(data, len(data), ctypes.byref(pos), ctypes.byref(length))
        return code, pos.value, length.value

    def run(self, name: str, data: bytes) -> str | None:
        """None if the linter passes the data, else its message (GS1's English text)."""
        code, pos, length = self.raw(name, data)
        if code == 0:
            return None
        where = ""
        if length and length < len(data):
            where = f" (at {data[pos : pos + length].decode('latin-1')!r})"
        return self.message(code).rstrip(".") + where


def _matches(pattern: str, ai: str) -> bool:
    """A dictionary pattern such as `310n` or `35nn` (n: any digit), or an AI."""
    return len(pattern) == len(ai) and all(
        p == a or (p == "n" and a.isdigit()) for p, a in zip(pattern, ai, strict=True)
    )


class Syntax:
    """The dictionary and the linters together: what checks an AI's value and a set of AIs."""

    def __init__(self, text: str | None = None) -> None:
        self.entries = parse_dictionary(text if text is not None else DICTIONARY.read_text("utf-8"))
        self.linters = Linters()
        for entry in self.entries.values():  # every linter the dictionary names exists: fail at start
            for component in entry.components:
                for name in component.linters:
                    self.linters.function(name)
        # The character-set linters that judge each character on its own, read once from GS1's code as
        # the set of bytes each lets through: a compiled pattern then answers for them on the scan's
        # path (tests/traceability/test_gs1_syntax.py holds the two to the same verdicts).
        self._charsets = {name: self._charset(name) for name in _PER_CHARACTER}
        # Each AI's components compiled once: (min, max, optional, pattern for its character set or
        # None, ((name, linter function), ...) for the linters the pattern does not stand for).
        self._plans = {
            ai: tuple(self._plan(c) for c in entry.components) for ai, entry in self.entries.items()
        }
        # An AI whose components have no linter but their character set (a lot, a serial, a weight) is
        # one pattern over the whole value; a value it refuses goes the long way, for the reason.
        self._whole = {
            ai: self._whole_pattern(entry)
            for ai, entry in self.entries.items()
            if all(len(c.linters) == 1 and c.linters[0] in self._charsets for c in entry.components)
        }
        self._qualifiers = {
            ai: frozenset(q for seq in entry.dl_qualifiers for q in seq) for ai, entry in self.entries.items()
        }
        # A value checked once is known good (or bad) for the process: dates, lots and GTINs repeat from
        # scan to scan. A serial does not (each is new): `check_uncached` spares the cache for it.
        self.check_value = functools.lru_cache(maxsize=8192)(self._check_value)
        self.check_uncached = self._check_value
        self.check_set = functools.lru_cache(maxsize=1024)(self._check_set)

    def _charset(self, name: str) -> re.Pattern[bytes]:
        fn = self.linters.function(name)
        allowed = [b for b in range(1, 256) if self.linters.passes(fn, bytes([b]))]
        return re.compile(b"[" + b"".join(re.escape(bytes([b])) for b in allowed) + b"]*")

    def _plan(self, c: Component) -> tuple:
        cset, *rest = c.linters
        pattern = self._charsets.get(cset)
        linters = rest if pattern is not None else c.linters
        return (
            c.min,
            c.max,
            c.optional,
            pattern,
            cset,
            tuple((n, self.linters.function(n)) for n in linters),
        )

    def _whole_pattern(self, entry: Entry) -> re.Pattern[str]:
        pattern = ""
        for c in reversed(entry.components):  # only the last may vary; optional ones nest from the end
            chars = self._charsets[c.linters[0]].pattern.decode("latin-1")[:-1]  # [..] without its *
            part = chars + (f"{{{c.min}}}" if c.min == c.max else f"{{{c.min},{c.max}}}") + pattern
            pattern = f"(?:{part})?" if c.optional else part
        return re.compile(pattern)

    def entry(self, ai: str) -> Entry:
        entry = self.entries.get(ai)
        if entry is None:
            raise GS1SyntaxError(ai, "is not a GS1 Application Identifier (not in GS1's Syntax Dictionary)")
        return entry

    def qualifiers(self, ai: str) -> frozenset[str]:
        """The key qualifiers a primary key may have in a Digital Link path (dlpkey=), all alternatives."""
        if ai not in self._qualifiers:
            self.entry(ai)  # raises: not an AI
        return self._qualifiers[ai]

    def _check_value(self, ai: str, value: str) -> None:
        """Raise GS1SyntaxError if the value breaks the AI's format or any linter of its components."""
        whole = self._whole.get(ai)
        if whole is not None and whole.fullmatch(value) is not None:
            return
        self.check_components(ai, value)

    def check_components(self, ai: str, value: str) -> None:
        """_check_value the long way: component by component, each through GS1's linters."""
        plan = self._plans.get(ai)
        if plan is None:
            self.entry(ai)  # raises: not an AI
        assert plan is not None  # every AI has a plan
        try:
            data = value.encode("ascii")
        except UnicodeEncodeError:
            raise GS1SyntaxError(ai, "has a character outside GS1's character sets") from None
        if not data:
            raise GS1SyntaxError(ai, "has no value")
        at = 0
        size = len(data)
        passes = self.linters.passes
        for low, high, optional, pattern, cset, linters in plan:
            left = size - at
            if left == 0 and optional:
                break
            if left < low:
                raise GS1SyntaxError(ai, f"is too short for its format {_format(self.entries[ai])}")
            part = data[at : at + high] if at or high < size else data
            at += len(part)
            if pattern is not None and pattern.fullmatch(part) is None:
                problem = self.linters.run(cset, part)
                raise GS1SyntaxError(ai, f"{problem} ({cset}, format {_format(self.entries[ai])})")
            for name, fn in linters:
                if not passes(fn, part):
                    problem = self.linters.run(name, part)
                    raise GS1SyntaxError(ai, f"{problem} ({name}, format {_format(self.entries[ai])})")
        if at < size:
            raise GS1SyntaxError(ai, f"is too long for its format {_format(self.entries[ai])}")

    def _check_set(self, ais: tuple[str, ...]) -> None:
        """Raise GS1SyntaxError if the AIs break a mandatory association (req=) or an invalid pair (ex=)."""
        present = set(ais)
        # The last AI first: of a pair that must not go together, the one added to the others is named.
        for ai in reversed(ais):
            entry = self.entry(ai)
            for pattern in entry.excludes:
                for other in present:
                    if other != ai and _matches(pattern, other):
                        raise GS1SyntaxError(ai, f"must not be used together with ({other})")
            for alternatives in entry.requires:
                if not any(all(any(_matches(p, o) for o in present) for p in alt) for alt in alternatives):
                    wanted = " or ".join("+".join(f"({p})" for p in alt) for alt in alternatives)
                    raise GS1SyntaxError(ai, f"requires {wanted}")

    def check(self, ais: Iterable[tuple[str, str]]) -> None:
        """Every AI's value, then the set of AIs together; an AI given twice is refused."""
        seen: list[str] = []
        for ai, value in ais:
            if ai in seen:
                raise GS1SyntaxError(ai, "is given more than once")
            self.check_value(ai, value)
            seen.append(ai)
        self.check_set(tuple(seen))


def _format(entry: Entry) -> str:
    return " ".join(
        ("[" if c.optional else "")
        + c.cset
        + (str(c.max) if c.min == c.max else f"..{c.max}")
        + ("]" if c.optional else "")
        for c in entry.components
    )


@functools.cache
def syntax() -> Syntax:
    """The vendored dictionary and linters, loaded once per process (they are constants, not state)."""
    return Syntax()
