"""Signing a chunk of serials on two threads (the second core, issue 26): every DigSig is in its
serial's place and verifies over its own element string, as with one thread."""

from __future__ import annotations

import datetime

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec

from traceability import digsig

GTIN = "06902019070772"


def test_two_threads_sign_each_serial_in_its_place():
    key = ec.generate_private_key(ec.SECP256R1())
    serials = [f"S{i:06d}" for i in range(digsig.SPLIT_AT * 2 + 7)]
    expiry = datetime.date(2028, 12, 31)
    one = digsig.CodeSigner(7, key).sign_serials(GTIN, "LOT1", expiry, serials)
    two = digsig.CodeSigner(7, key, threads=2).sign_serials(GTIN, "LOT1", expiry, serials)
    assert len(one) == len(two) == len(serials)
    public = key.public_key()
    for serial, value in zip(serials, two, strict=True):
        key_id, raw = digsig.decode(value)
        assert key_id == 7
        element = digsig.element_string(GTIN, "LOT1", serial, expiry)
        public.verify(digsig.der_signature(raw), element, digsig._ECDSA)
    # a DigSig put in another serial's place does not verify there
    moved = digsig.decode(two[1])[1]
    element = digsig.element_string(GTIN, "LOT1", serials[0], expiry)
    with pytest.raises(InvalidSignature):
        public.verify(digsig.der_signature(moved), element, digsig._ECDSA)
