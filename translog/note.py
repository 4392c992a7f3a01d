"""Checkpoints (c2sp.org/tlog-checkpoint) signed as notes (c2sp.org/signed-note) with Ed25519.

A checkpoint's text is three lines: the log's origin, the tree size in decimal, the root hash in base64.
The signed note is that text, a blank line, and a line per signature: an em dash, a space, the key's
name, a space, and base64 of the key id (4 bytes) followed by the signature. The key id of an Ed25519
key is the first 4 bytes of SHA-256(name || 0x0A || 0x01 || public key); a verifier key is written
`<name>+<key id in hex>+<base64(0x01 || public key)>`, as Go's golang.org/x/mod/sumdb/note reads it."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

ED25519 = 0x01
SIGNATURE_PREFIX = "\u2014 "
_NAME = re.compile(r"[^\s+]+")


class NoteError(ValueError):
    """A note, checkpoint or key that is malformed, or a signature that does not verify."""


def key_id(name: str, public_raw: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([ED25519]) + public_raw).digest()[:4]


def _check_name(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise NoteError(f"a key name has no spaces nor '+': {name!r}")
    return name


@dataclass(frozen=True)
class Verifier:
    name: str
    public_raw: bytes

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, self.public_raw)

    def encode(self) -> str:
        """The verifier key string that Go's note.NewVerifier reads."""
        blob = base64.b64encode(bytes([ED25519]) + self.public_raw).decode()
        return f"{self.name}+{self.key_id.hex()}+{blob}"

    @classmethod
    def parse(cls, vkey: str) -> Verifier:
        parts = vkey.strip().split("+", 2)
        if len(parts) != 3:
            raise NoteError("a verifier key is <name>+<key id>+<key>")
        name, hexid, blob = parts
        _check_name(name)
        try:
            raw = base64.b64decode(blob, validate=True)
            kid = bytes.fromhex(hexid)
        except (binascii.Error, ValueError) as exc:
            raise NoteError("a verifier key's id is hex and its key base64") from exc
        if len(raw) != 33 or raw[0] != ED25519 or len(hexid) != 8:
            raise NoteError("only Ed25519 verifier keys (type 0x01, 32 bytes) are known")
        verifier = cls(name, raw[1:])
        if verifier.key_id != kid:
            raise NoteError("the verifier key's id does not match its name and key")
        return verifier

    def verify(self, message: bytes, signature: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public_raw).verify(signature, message)
        except InvalidSignature:
            return False
        return True


@dataclass(frozen=True)
class Signer:
    name: str
    private: Ed25519PrivateKey

    @classmethod
    def from_seed(cls, name: str, seed: bytes) -> Signer:
        return cls(_check_name(name), Ed25519PrivateKey.from_private_bytes(seed))

    @property
    def verifier(self) -> Verifier:
        return Verifier(self.name, self.private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))

    def signature_line(self, text: str) -> str:
        sig = self.private.sign(text.encode())
        return f"{SIGNATURE_PREFIX}{self.name} {base64.b64encode(self.verifier.key_id + sig).decode()}\n"


def sign(text: str, signer: Signer) -> str:
    if not text.endswith("\n") or "\n\n" in text:
        raise NoteError("a note's text ends with a newline and has no blank line")
    return text + "\n" + signer.signature_line(text)


@dataclass(frozen=True)
class Opened:
    text: str
    signed_by: list[str]  # the names of the verifiers whose signatures held
    unknown: list[str]  # signature lines by keys the reader does not know (cosigners, for instance)


def open_note(message: bytes, verifiers: list[Verifier]) -> Opened:
    """Split a signed note and check its signatures: at least one by a known key, and none by a known
    key that fails (c2sp.org/signed-note)."""
    try:
        decoded = message.decode()
    except UnicodeDecodeError as exc:
        raise NoteError("a note is UTF-8") from exc
    cut = decoded.rfind("\n\n")
    if cut < 0 or not decoded.endswith("\n"):
        raise NoteError("a signed note is its text, a blank line and its signature lines")
    text, block = decoded[: cut + 1], decoded[cut + 2 :]
    known = {(v.name, v.key_id): v for v in verifiers}
    signed_by: list[str] = []
    unknown: list[str] = []
    for line in block.splitlines():
        if not line.startswith(SIGNATURE_PREFIX):
            raise NoteError(f"not a signature line: {line[:80]!r}")
        try:
            name, blob = line[len(SIGNATURE_PREFIX) :].split(" ")
            raw = base64.b64decode(blob, validate=True)
        except (ValueError, binascii.Error) as exc:
            raise NoteError(f"a malformed signature line: {line[:80]!r}") from exc
        if len(raw) < 5:
            raise NoteError("a signature line too short for a key id")
        verifier = known.get((name, raw[:4]))
        if verifier is None:
            unknown.append(name)
            continue
        if not verifier.verify(text.encode(), raw[4:]):
            raise NoteError(f"the signature of {name} does not verify")
        signed_by.append(name)
    if not signed_by:
        raise NoteError("no signature by a known key")
    return Opened(text, signed_by, unknown)


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def text(self) -> str:
        lines = [self.origin, str(self.size), base64.b64encode(self.root).decode(), *self.extensions]
        return "\n".join(lines) + "\n"

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        lines = text.split("\n")
        if len(lines) < 4 or lines[-1] != "" or any(not x for x in lines[:-1]):
            raise NoteError("a checkpoint is an origin, a size and a root hash, each on its line")
        origin, size, root = lines[0], lines[1], lines[2]
        if not re.fullmatch(r"0|[1-9][0-9]{0,18}", size):
            raise NoteError("a checkpoint's size is a decimal number without leading zeros")
        try:
            raw = base64.b64decode(root, validate=True)
        except binascii.Error as exc:
            raise NoteError("a checkpoint's root hash is base64") from exc
        if len(raw) != 32:
            raise NoteError("a checkpoint's root hash is 32 bytes")
        return cls(origin, int(size), raw, tuple(lines[3:-1]))
