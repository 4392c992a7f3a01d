"""The public transparency log (issue 23): an append-only Merkle log of what the platform publishes
(disclosure records, credit records and grades, declaration releases, recalls, revocations, decided
complaints, paid claims, code batches), in the forms the transparency ecosystem reads: RFC 6962/9162
tree hashing, leaves of RFC 8785 canonical JSON, C2SP tlog-tiles, a c2sp.org/tlog-checkpoint signed as
a c2sp.org/signed-note with Ed25519."""
