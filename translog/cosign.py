"""Witness cosignatures on checkpoints (c2sp.org/tlog-cosignature, cosignature/v1 with Ed25519).

A cosignature is a note signature line whose key id is SHA-256(name || 0x0A || 0x04 || public key)[:4]
and whose signature is a big-endian 64-bit POSIX timestamp followed by the Ed25519 signature of

    cosignature/v1
    time <timestamp>
    <the checkpoint's note text>

A witness's public key is written as a verifier key of type 0x04 (`<name>+<id>+base64(0x04 || key)`);
its private key as Go's transparency-dev/formats writes one (`PRIVATE+KEY+<name>+<id>+base64(0x04 ||
seed)`), so that the same key file serves this witness and Go's."""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from translog.note import SIGNATURE_PREFIX, NoteError, _check_name

COSIGNATURE_V1 = 0x04
MAX_TIMESTAMP = 2**63 - 1


def key_id(name: str, public_raw: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([COSIGNATURE_V1]) + public_raw).digest()[:4]


def message(text: str, timestamp: int) -> bytes:
    """What a cosignature/v1 signs: the header, the time line and the checkpoint's whole note text."""
    if not 0 <= timestamp <= MAX_TIMESTAMP:
        raise NoteError("a cosignature's time is 0 to 2**63 - 1")
    return f"cosignature/v1\ntime {timestamp}\n{text}".encode()


def _split_key(text: str, parts: int) -> list[str]:
    found = text.strip().split("+", parts - 1)
    if len(found) != parts:
        raise NoteError("a witness key is <name>+<key id>+<key>")
    return found


def _decode(name: str, hexid: str, blob: str) -> bytes:
    _check_name(name)
    try:
        raw = base64.b64decode(blob, validate=True)
        bytes.fromhex(hexid)
    except (binascii.Error, ValueError) as exc:
        raise NoteError("a witness key's id is hex and its key base64") from exc
    if len(raw) != 33 or raw[0] != COSIGNATURE_V1 or len(hexid) != 8:
        raise NoteError("a witness key is of type 0x04 (cosignature/v1, Ed25519) and 32 bytes")
    return raw[1:]


@dataclass(frozen=True)
class WitnessKey:
    """A witness's public key: what the platform and log clients trust it by."""

    name: str
    public_raw: bytes

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, self.public_raw)

    def encode(self) -> str:
        blob = base64.b64encode(bytes([COSIGNATURE_V1]) + self.public_raw).decode()
        return f"{self.name}+{self.key_id.hex()}+{blob}"

    @classmethod
    def parse(cls, vkey: str) -> WitnessKey:
        name, hexid, blob = _split_key(vkey, 3)
        key = cls(name, _decode(name, hexid, blob))
        if key.key_id.hex() != hexid.lower():
            raise NoteError("the witness key's id does not match its name and key")
        return key

    def verify(self, text: str, line: str) -> int | None:
        """The time of `line` if it is this witness's valid cosignature of `text`, else None."""
        sig = _signature(line)
        if sig is None or sig[0] != self.name or sig[1][:4] != self.key_id or len(sig[1]) != 4 + 8 + 64:
            return None
        raw = sig[1]
        ts = int.from_bytes(raw[4:12], "big")
        try:
            Ed25519PublicKey.from_public_bytes(self.public_raw).verify(raw[12:], message(text, ts))
        except (InvalidSignature, NoteError):
            return None
        return ts


@dataclass(frozen=True)
class Cosigner:
    name: str
    private: Ed25519PrivateKey

    @classmethod
    def generate(cls, name: str) -> Cosigner:
        return cls(_check_name(name), Ed25519PrivateKey.generate())

    @classmethod
    def parse(cls, skey: str) -> Cosigner:
        head1, head2, name, hexid, blob = _split_key(skey, 5)
        if (head1, head2) != ("PRIVATE", "KEY"):
            raise NoteError("a witness's private key starts PRIVATE+KEY+")
        seed = _decode(name, hexid, blob)
        return cls(name, Ed25519PrivateKey.from_private_bytes(seed))

    def encode(self) -> str:
        seed = self.private.private_bytes_raw()
        blob = base64.b64encode(bytes([COSIGNATURE_V1]) + seed).decode()
        return f"PRIVATE+KEY+{self.name}+{self.key.key_id.hex()}+{blob}"

    @property
    def key(self) -> WitnessKey:
        return WitnessKey(self.name, self.private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))

    def cosign(self, text: str, timestamp: int) -> str:
        """The cosignature line (with its newline) of a checkpoint's note text at `timestamp`."""
        sig = self.private.sign(message(text, timestamp))
        raw = self.key.key_id + timestamp.to_bytes(8, "big") + sig
        return f"{SIGNATURE_PREFIX}{self.name} {base64.b64encode(raw).decode()}\n"


def _signature(line: str) -> tuple[str, bytes] | None:
    if not line.startswith(SIGNATURE_PREFIX):
        return None
    try:
        name, blob = line[len(SIGNATURE_PREFIX) :].rstrip("\n").split(" ")
        return name, base64.b64decode(blob, validate=True)
    except (ValueError, binascii.Error):
        return None


def split(note: str) -> tuple[str, list[str]]:
    """A signed note's text and its signature lines (each with its newline)."""
    cut = note.rfind("\n\n")
    if cut < 0:
        raise NoteError("a signed note is its text, a blank line and its signature lines")
    return note[: cut + 1], [line + "\n" for line in note[cut + 2 :].splitlines()]


def cosigned_by(note: str, witnesses: list[WitnessKey]) -> dict[str, int]:
    """The witnesses (by name) whose cosignature of the note's text holds, with its time."""
    text, lines = split(note)
    found: dict[str, int] = {}
    for line in lines:
        for w in witnesses:
            ts = w.verify(text, line)
            if ts is not None:
                found[w.name] = ts
    return found
