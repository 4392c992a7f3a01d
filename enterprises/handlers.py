"""Reactions of the enterprise registry to other domains' events (none yet: the registry only emits)."""
