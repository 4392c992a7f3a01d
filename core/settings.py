"""Configuration from CROSSTRUST_* environment variables and a `.env` file, with laptop defaults."""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CROSSTRUST_", env_file=".env", extra="ignore")

    var_dir: Path = Field(default=Path("var"), description="Where the SQLite file, index and secrets live")
    database_url: str = Field(default="", description="SQLAlchemy URL; empty means SQLite under var_dir")
    search_url: str = Field(default="", description="Elasticsearch URL; empty means the embedded index")
    search_index: str = Field(
        default="crosstrust-disclosures", description="Elasticsearch alias for disclosures"
    )
    search_refresh: bool = Field(default=False, description="Refresh Elasticsearch after each write (tests)")
    resolver_base_url: str = Field(
        default="http://127.0.0.1:8000", description="Printed into every trace code's Digital Link URI"
    )
    code_secret: str = Field(default="", description="Key for the codes' keyed check; generated if empty")
    code_extra_keys: str = Field(default="", description='Older or newer serial keys, JSON {"2": "secret"}')
    code_active_key: str = Field(default="1", description="Key id new serials are issued under")
    scan_max_count: int = Field(
        default=20, ge=1, description="Scans of one code after which it is suspicious"
    )
    scan_max_speed_kmh: float = Field(
        default=1000.0, gt=0, description="Faster travel between scans is impossible"
    )
    scan_max_clients_after_sale: int = Field(default=3, ge=1, description="Devices scanning a sold item")
    public_rate_limit_per_minute: int = Field(default=600, ge=1)
    public_rate_limit_burst: int = Field(default=60, ge=1)
    dispatcher_in_process: bool = Field(default=True, description="Run the outbox dispatcher in the server")
    dispatcher_poll_seconds: float = Field(default=1.0, gt=0)
    outbox_max_attempts: int = Field(default=8, ge=1)
    outbox_backoff_base_seconds: float = Field(default=2.0, gt=0)
    credit_nightly_at: str = Field(
        default="02:00",
        pattern=r"^$|^([01]\d|2[0-3]):[0-5]\d$",
        description="Beijing time (HH:MM) of the nightly credit recompute in the server; empty: off",
    )
    scan_insurance: bool = Field(
        default=True, description="Show insurance cover and claims on the scan (off: the benchmark baseline)"
    )
    insurance_expiry_at: str = Field(
        default="00:10",
        pattern=r"^$|^([01]\d|2[0-3]):[0-5]\d$",
        description="Beijing time (HH:MM) of the nightly policy expiry in the server; empty: off",
    )
    insurance_quote_valid_days: int = Field(
        default=7, ge=1, le=90, description="Days a premium quote can be bound before it must be re-rated"
    )
    insurance_account_key: str = Field(
        default="", description="Key sealing consumers' payout accounts (AES-GCM); generated if empty"
    )
    host: str = "127.0.0.1"
    port: int = 8000

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.var_dir / 'crosstrust.db').as_posix()}"

    def ensure_var_dir(self) -> Path:
        self.var_dir.mkdir(parents=True, exist_ok=True)
        return self.var_dir

    def _secret_file(self, name: str) -> str:
        path = self.ensure_var_dir() / name
        if not path.exists():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_urlsafe(48))
        return path.read_text().strip()

    def insurance_account_key_bytes(self) -> bytes:
        """32 bytes for the payout-account box: from the environment, else var/insurance-account-key."""
        import hashlib

        raw = self.insurance_account_key or self._secret_file("insurance-account-key")
        return hashlib.sha256(b"crosstrust-insurance-account\x00" + raw.encode()).digest()

    def code_secret_bytes(self) -> bytes:
        """The keyed-check secret: from the environment, else from var/code-secret (created 0600 once)."""
        if self.code_secret:
            return self.code_secret.encode()
        path = self.ensure_var_dir() / "code-secret"
        if not path.exists():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_urlsafe(48))
        return path.read_text().strip().encode()


@lru_cache
def get_settings() -> Settings:
    return Settings()
