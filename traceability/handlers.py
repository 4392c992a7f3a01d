"""Reactions of traceability to other domains' events (none yet: traceability emits, others react)."""
