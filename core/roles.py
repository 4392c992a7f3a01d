"""The roles an API key can have: a module of its own, light to import (the CLI's `admin create-key` names
the type in its signature, which every `crosstrust` command reads at start; `core.security` brings in the
database)."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    admin = "admin"
    regulator = "regulator"
    merchant = "merchant"
    insurer = "insurer"
    bank = "bank"  # reads the credit reports merchants authorise it to (credit.sharing), nothing else
