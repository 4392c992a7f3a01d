"""Disclosure: the six categories of enterprise information, derived from domain events, searchable by
regulators (everything) and the public (the public part)."""
