"""Shared by the scan tests: the resolver's base, the JSON request, a code's path."""

from __future__ import annotations

BASE = "http://127.0.0.1:8000"
JSON = {"Accept": "application/json"}


def scan_path(code: dict) -> str:
    return code["uri"].removeprefix(BASE)
