"""The deployment's environment file (deploy/crosstrust.env.example) names only real settings, and the
values its comments tell an operator to generate are read as such."""

from __future__ import annotations

import base64
import os
import re
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from core.settings import Settings

EXAMPLE = Path(__file__).resolve().parents[2] / "deploy" / "crosstrust.env.example"


def _names() -> list[str]:
    return re.findall(r"^#? ?(CROSSTRUST_[A-Z0-9_]+)=", EXAMPLE.read_text(), flags=re.MULTILINE)


def test_every_name_in_the_example_is_a_setting():
    fields = {f"CROSSTRUST_{name.upper()}" for name in Settings.model_fields}
    names = _names()
    assert names and not set(names) - fields, set(names) - fields


def test_every_shared_key_a_host_would_otherwise_generate_is_in_the_example():
    """A setting generated into var/ when empty differs between hosts: each must be set once for all."""
    generated = {
        f"CROSSTRUST_{name.upper()}"
        for name, field in Settings.model_fields.items()
        if "generated" in (field.description or "")
    }
    assert generated and generated <= set(_names()), generated - set(_names())


def test_the_code_root_key_on_one_line_as_the_example_says():
    pem = (
        ec.generate_private_key(ec.SECP256R1())
        .private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        .decode()
    )
    one_line = pem.replace("\n", "\\n")
    assert "\n" not in one_line
    settings = Settings(code_root_key=one_line, var_dir=os.devnull)
    assert serialization.load_pem_private_key(settings.code_root_key_pem(), password=None)
    seed = base64.b64encode(os.urandom(32)).decode()
    assert len(base64.b64decode(Settings(tlog_signing_key=seed).tlog_signing_key)) == 32
