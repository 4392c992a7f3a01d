"""The enterprise registry: merchants, insurers and regulator agencies, keyed by their USCC.

A domain of its own (not in HOUSE.md's first picture) because every other domain points at it and it
emits its own events (registration and changes become entity disclosures).
"""
