"""Configuration from CROSSTRUST_* environment variables and a `.env` file, with laptop defaults."""

from __future__ import annotations

import ipaddress
import json
import os
import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CROSSTRUST_", env_file=".env", extra="ignore")

    var_dir: Path = Field(default=Path("var"), description="Where the SQLite file, index and secrets live")
    database_url: str = Field(default="", description="SQLAlchemy URL; empty means SQLite under var_dir")
    search_url: str = Field(default="", description="Elasticsearch URL; empty means the embedded index")
    search_index: str = Field(
        default="crosstrust-disclosures", description="Elasticsearch alias for disclosures"
    )
    search_refresh: bool = Field(default=False, description="Refresh Elasticsearch before each read (tests)")
    resolver_base_url: str = Field(
        default="http://127.0.0.1:8000", description="Printed into every trace code's Digital Link URI"
    )
    code_secret: str = Field(default="", description="Key for the codes' keyed check; generated if empty")
    audit_key: str = Field(
        default="", description="Key of the audit ledger's keyed chain (HMAC); generated into var/ if empty"
    )
    audit_signing_key: str = Field(
        default="",
        description="Ed25519 key signing audit checkpoints: base64 of its 32-byte seed; generated if empty",
    )
    audit_checkpoint_every: int = Field(
        default=100, ge=1, description="A signed audit checkpoint every this many entries"
    )
    audit_checkpoint_minutes: float = Field(
        default=10.0, ge=0, description="And one this often while the ledger moves (0: off)"
    )
    tlog_signing_key: str = Field(
        default="",
        description="Ed25519 key signing the transparency log's checkpoints: base64 of its 32-byte seed; "
        "generated into var/ if empty",
    )
    tlog_origin: str = Field(
        default="",
        description="The transparency log's origin line (and key name), a URL without its scheme; empty: "
        "the resolver's host and /tlog",
    )
    tlog_checkpoint_seconds: float = Field(
        default=10.0,
        ge=0,
        description="How often a new checkpoint of the transparency log is signed (0: off)",
    )
    tlog_witnesses: str = Field(
        default="",
        description="Witnesses that cosign the transparency log's checkpoints: JSON list of objects with "
        '"key" (its cosignature/v1 verifier key), "url" (its add-checkpoint prefix), "zh" and "en" (who it '
        "is, in words)",
    )
    tlog_witness_seconds: float = Field(
        default=10.0, ge=0, description="How often new checkpoints are sent to the witnesses (0: off)"
    )
    code_root_key: str = Field(
        default="",
        description="The code-signing root's ECDSA P-256 private key (PEM, PKCS#8); generated into var/ if empty",
    )
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
    public_rate_limit_max_clients: int = Field(
        default=100_000, ge=1, description="Clients the rate limiter remembers; the idlest are forgotten"
    )
    trusted_proxies: str = Field(
        default="",
        description="Addresses or networks (comma-separated) of reverse proxies whose X-Forwarded-For "
        "names the client; empty: trust no forwarded header",
    )
    scan_spool: bool = Field(
        default=True,
        description="Spool each answered scan to a file under var_dir before answering, so that a killed "
        "process loses no answered scan (replayed on start)",
    )
    dispatcher_in_process: bool = Field(default=True, description="Run the outbox dispatcher in the server")
    dispatcher_poll_seconds: float = Field(default=1.0, gt=0)
    outbox_max_attempts: int = Field(default=8, ge=1)
    outbox_backoff_base_seconds: float = Field(default=2.0, gt=0)
    credit_nightly_at: str = Field(
        default="02:00",
        pattern=r"^$|^([01]\d|2[0-3]):[0-5]\d$",
        description="Beijing time (HH:MM) of the nightly credit recompute in the server; empty: off",
    )
    batch_lease_seconds: float = Field(
        default=30.0,
        gt=0,
        le=3600,
        description="How long a code batch stays claimed by its runner without a heartbeat; a batch whose "
        "runner is silent longer is resumed by another process (keep it well above clock skew)",
    )
    batch_max_attempts: int = Field(
        default=10, ge=1, description="Runs of one code batch after which it is undone instead of resumed"
    )
    code_batch_chunk: int = Field(
        default=50_000, ge=100, le=1_000_000, description="Codes a batch inserts per transaction"
    )
    roles: str = Field(
        default="api,worker,scheduler",
        description="What a `crosstrust serve` process does besides answering requests: `worker` "
        "(outbox delivery, resuming code batches), `scheduler` (periodic and nightly jobs, each run once "
        "per period across all processes); `api` alone for API processes next to a `crosstrust worker`",
    )
    rate_limit_store: str = Field(
        default="auto",
        pattern=r"^(auto|memory|database)$",
        description="Where the public rate limit's buckets live: `memory` (this process), `database` "
        "(one table all processes share; PostgreSQL only), `auto` (database on PostgreSQL)",
    )
    scan_record_retention_days: int = Field(
        default=0,
        ge=0,
        le=36_500,
        description="Scan records older than this many days are deleted nightly (0: kept for ever); "
        "a code's scan summary (count, first place) stays on the code",
    )
    # Complaints (投诉). Defaults follow the 12315 rules; every limit is configurable.
    complaint_key: str = Field(
        default="", description="Base64 32-byte AES key for consumer contacts; generated under var if empty"
    )
    complaint_answer_workdays: int = Field(default=7, ge=1, le=60, description="Merchant's time to answer")
    complaint_mediation_workdays: int = Field(default=45, ge=1, le=180, description="Regulator mediation")
    complaint_consumer_workdays: int = Field(
        default=10, ge=1, le=60, description="Consumer's time to accept or dispute an answer"
    )
    complaint_warn_workdays: int = Field(default=2, ge=0, le=30, description="Warning before a deadline")
    complaint_publish_days: int = Field(
        default=15, ge=1, le=90, description="A consented case is published after this many days at latest"
    )
    complaint_repeat_window_days: int = Field(default=30, ge=0, le=365, description="Repeats join the first")
    complaint_reopen_days: int = Field(default=30, ge=0, le=365, description="Reopen allowed after closing")
    complaint_sweep_minutes: int = Field(default=10, ge=0, description="Deadline sweep interval; 0: off")
    webhook_allowed_networks: str = Field(
        default="",
        max_length=2000,
        description="Comma-separated CIDRs a merchant webhook may reach besides public addresses "
        "(a bonded zone's intranet, e.g. 10.20.0.0/16); loopback, private and link-local are refused otherwise",
    )
    complaint_evidence_max_files: int = Field(default=5, ge=0, le=20)
    complaint_evidence_max_bytes: int = Field(default=5 * 1024 * 1024, ge=1024, le=50 * 1024 * 1024)
    # Below Pillow's own default MAX_IMAGE_PIXELS (89.5 Mpx), which therefore never warns about an
    # image accepted here; the limit itself is enforced from the image's header (complaints.evidence).
    complaint_evidence_max_pixels: int = Field(
        default=40_000_000,
        ge=1_000_000,
        le=80_000_000,
        description="Largest evidence image, in pixels; larger ones are refused before decoding",
    )
    complaint_evidence_decode_mib: int = Field(
        default=512,
        ge=16,
        le=8192,
        description="Memory checking evidence images may take at once (MiB); an image that alone would "
        "take more is refused (every JPEG and PNG up to 40 Mpx fits in 512; WebP up to about 14 Mpx)",
    )
    scan_insurance: bool = Field(
        default=True, description="Show insurance cover and claims on the scan (off: the benchmark baseline)"
    )
    insurance_expiry_at: str = Field(
        default="00:10",
        pattern=r"^$|^([01]\d|2[0-3]):[0-5]\d$",
        description="Beijing time (HH:MM) of the nightly policy expiry (once across processes); empty: off",
    )
    insurance_quote_valid_days: int = Field(
        default=7, ge=1, le=90, description="Days a premium quote can be bound before it must be re-rated"
    )
    insurance_account_key: str = Field(
        default="", description="Key sealing consumers' payout accounts (AES-GCM); generated if empty"
    )
    host: str = "127.0.0.1"
    port: int = 8000

    @field_validator("roles")
    @classmethod
    def _check_roles(cls, value: str) -> str:
        unknown = {r.strip() for r in value.split(",") if r.strip()} - {"api", "worker", "scheduler"}
        if unknown:
            raise ValueError(f"unknown role(s) {sorted(unknown)}: roles are api, worker and scheduler")
        return value

    @property
    def role_set(self) -> frozenset[str]:
        return frozenset(r.strip() for r in self.roles.split(",") if r.strip())

    def shared_rate_limit(self, db) -> bool:  # noqa: ANN001 - core.db.Database
        """Whether the public rate limit is kept in the database (shared by every process)."""
        if self.rate_limit_store == "auto":
            return not db.is_sqlite
        if self.rate_limit_store == "database" and db.is_sqlite:
            raise ValueError("CROSSTRUST_RATE_LIMIT_STORE=database needs PostgreSQL")
        return self.rate_limit_store == "database"

    @field_validator("trusted_proxies")
    @classmethod
    def _check_proxies(cls, value: str) -> str:
        for entry in (e.strip() for e in value.split(",")):
            if entry == "*":
                # Trusting every peer's forwarded header is the hole this setting closes.
                raise ValueError("'*' would trust a forwarded header from anyone; list the proxies")
            if entry:
                try:
                    ipaddress.ip_network(entry, strict=False)
                except ValueError:
                    raise ValueError(f"'{entry}' is not an IP address or network") from None
        return value

    @field_validator("webhook_allowed_networks")
    @classmethod
    def _check_webhook_networks(cls, value: str) -> str:
        for entry in (e.strip() for e in value.split(",")):
            if entry:
                try:
                    ipaddress.ip_network(entry, strict=False)
                except ValueError:
                    raise ValueError(f"'{entry}' is not an IP network (e.g. 10.20.0.0/16)") from None
        return value

    @property
    def trusted_proxy_list(self) -> list[str]:
        return [e.strip() for e in self.trusted_proxies.split(",") if e.strip()]

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.var_dir / 'crosstrust.db').as_posix()}"

    def ensure_var_dir(self) -> Path:
        """var/, created (or narrowed to) 0700: what it holds is for the platform's user alone."""
        from core.files import private_dir

        return private_dir(self.var_dir)

    def _secret_file(self, name: str, make: str) -> str:
        """var/NAME, created 0600 with `make` the first time (and narrowed to 0600 if it is wider)."""
        from core.files import narrow

        path = self.ensure_var_dir() / name
        if not path.exists():
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                pass  # another process made it first: read theirs
            else:
                with os.fdopen(fd, "w") as fh:
                    fh.write(make)
        narrow(path)
        return path.read_text().strip()

    def insurance_account_key_bytes(self) -> bytes:
        """32 bytes for the payout-account box: from the environment, else var/insurance-account-key."""
        import hashlib

        raw = self.insurance_account_key or self._secret_file(
            "insurance-account-key", secrets.token_urlsafe(48)
        )
        return hashlib.sha256(b"crosstrust-insurance-account\x00" + raw.encode()).digest()

    def code_secret_bytes(self) -> bytes:
        """The keyed-check secret: from the environment, else from var/code-secret (created 0600 once)."""
        if self.code_secret:
            return self.code_secret.encode()
        return self._secret_file("code-secret", secrets.token_urlsafe(48)).encode()

    def code_root_key_pem(self) -> bytes:
        """The code-signing root's private key (PEM): CROSSTRUST_CODE_ROOT_KEY, else var/code-root-key
        (0600, made once). It certifies the importers' signing keys and signs the revocation list."""
        if self.code_root_key:
            # An environment file holds one line: the PEM's line breaks may be written as \n.
            return self.code_root_key.replace("\\n", "\n").encode()

        def make() -> str:
            from cryptography.hazmat.primitives import serialization
            from cryptography.hazmat.primitives.asymmetric import ec

            return (
                ec.generate_private_key(ec.SECP256R1())
                .private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                )
                .decode()
            )

        path = self.ensure_var_dir() / "code-root-key"
        return self._secret_file("code-root-key", make() if not path.exists() else "").encode() + b"\n"

    def audit_key_bytes(self) -> bytes:
        """The audit chain's HMAC key: kept outside the database, so that whoever holds the database
        cannot recompute the chain after rewriting it. CROSSTRUST_AUDIT_KEY, else var/audit-key."""
        if self.audit_key:
            return self.audit_key.encode()
        return self._secret_file("audit-key", secrets.token_urlsafe(48)).encode()

    def audit_signing_seed(self) -> bytes:
        """The 32-byte seed of the Ed25519 key that signs audit checkpoints: CROSSTRUST_AUDIT_SIGNING_KEY
        (base64), else var/audit-signing-key."""
        import base64

        text = self.audit_signing_key or self._secret_file(
            "audit-signing-key", base64.b64encode(secrets.token_bytes(32)).decode()
        )
        try:
            seed = base64.b64decode(text, validate=True)
        except ValueError:
            seed = b""
        if len(seed) != 32:
            raise ValueError("the audit signing key must be base64 of 32 bytes (an Ed25519 seed)")
        return seed

    def tlog_signing_seed(self) -> bytes:
        """The 32-byte seed of the transparency log's Ed25519 key: CROSSTRUST_TLOG_SIGNING_KEY (base64),
        else var/tlog-signing-key."""
        import base64

        text = self.tlog_signing_key or self._secret_file(
            "tlog-signing-key", base64.b64encode(secrets.token_bytes(32)).decode()
        )
        try:
            seed = base64.b64decode(text, validate=True)
        except ValueError:
            seed = b""
        if len(seed) != 32:
            raise ValueError(
                "the transparency log's signing key must be base64 of 32 bytes (an Ed25519 seed)"
            )
        return seed

    def tlog_witness_list(self) -> list[dict[str, str]]:
        """The configured witnesses (CROSSTRUST_TLOG_WITNESSES), each with key, url, zh and en."""
        if not self.tlog_witnesses.strip():
            return []
        found = json.loads(self.tlog_witnesses)
        if not isinstance(found, list) or not all(
            isinstance(w, dict) and isinstance(w.get("key"), str) and isinstance(w.get("url"), str)
            for w in found
        ):
            raise ValueError("tlog_witnesses is a JSON list of objects with a key and a url")
        return [
            {"key": w["key"], "url": w["url"], "zh": w.get("zh", ""), "en": w.get("en", "")} for w in found
        ]

    def tlog_origin_line(self) -> str:
        """The log's origin: CROSSTRUST_TLOG_ORIGIN, else the resolver's host and path, then /tlog."""
        if self.tlog_origin:
            return self.tlog_origin
        bare = self.resolver_base_url.split("://", 1)[-1].rstrip("/")
        return f"{bare}/tlog"

    def complaint_key_bytes(self) -> bytes:
        """The consumer-contact key (32 bytes): from the environment, else var/complaint-key (0600, once)."""
        import base64

        if self.complaint_key:
            key = base64.b64decode(self.complaint_key)
        else:
            key = base64.b64decode(
                self._secret_file("complaint-key", base64.b64encode(secrets.token_bytes(32)).decode())
            )
        if len(key) != 32:
            raise ValueError("CROSSTRUST_COMPLAINT_KEY must be 32 bytes, base64-encoded")
        return key


@lru_cache
def get_settings() -> Settings:
    return Settings()
