"""The words the quality trail shows (zh, en), read into the pages' glossary beside intake.words."""

from __future__ import annotations

QUALITY_WORDS: dict[str, dict[str, tuple[str, str]]] = {
    "conflict_status": {"open": ("待处理", "Open"), "settled": ("已处理", "Settled")},
}
