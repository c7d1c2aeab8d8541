"""One validated settings object for every process, read from ``CONVEYOR_*`` variables.

Secrets may come from files: ``CONVEYOR_DATABASE_URL_FILE=/run/secrets/db`` is read when
``CONVEYOR_DATABASE_URL`` is unset, and re-read when the file changes (``rotating_secret``): a
rotated database password reaches new connections without a restart. Validation errors name
the environment variable.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from conveyor.engine.models import QUEUE_PATTERN
from conveyor.handlers.destinations import AllowList

ENV_PREFIX = "CONVEYOR_"
HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")  # an RFC 9110 token
SECRET_FILE_FIELDS = ("database_url", "redis_url", "api_key", "oidc_client_secret")


class SettingsError(ValueError):
    """Configuration is invalid; the message names the offending variable(s)."""


def entries(value: str) -> list[str]:
    """The entries of a comma-separated setting, trimmed; empty ones (``a,,b``, a trailing comma)
    ignored."""
    return [entry.strip() for entry in value.split(",") if entry.strip()]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", frozen=True)

    env: Literal["development", "production", "test"] = "development"
    home: Path = Field(default=Path(".conveyor"), description="Local state: embedded database, admin key.")
    database_url: str | None = Field(default=None, description="External PostgreSQL; unset: embedded.")
    database_pool_size: int = Field(default=10, ge=1, le=200)
    redis_url: str | None = Field(
        default=None, description="Shared rate-limit counters and analytics cache; unset: per process."
    )
    analytics_cache_seconds: float = Field(
        default=10.0,
        ge=0,
        le=300,
        description="How long an analytics answer is reused for the same query and role; 0: not cached.",
    )
    rate_limit: str = Field(default="100/second;5000/minute", description="Per API key, `limits` notation.")
    auth_failure_limit: str = Field(
        default="20/minute;200/hour",
        description="Failed sign-ins and invalid keys or sessions per client address, `limits` notation.",
    )
    trusted_proxies: str = Field(
        default="",
        description="Comma-separated proxy addresses or CIDRs whose X-Forwarded-For names the client.",
    )
    max_schedules_per_user: int = Field(default=1000, ge=1, le=1_000_000)
    max_api_keys_per_user: int = Field(default=50, ge=1, le=10_000)
    database_timeout: float = Field(
        default=5.0, gt=0, le=120, description="Seconds to wait for a connection."
    )

    api_host: str = "127.0.0.1"
    api_port: int = Field(default=8000, ge=1, le=65535)
    probes_host: str = Field(
        default="127.0.0.1",
        description="Interface the worker and scheduler serve /livez, /readyz and /metrics on.",
    )
    worker_port: int = Field(default=9100, ge=1, le=65535)
    scheduler_port: int = Field(default=9101, ge=1, le=65535)
    web_host: str = Field(default="127.0.0.1", description="Interface the console binds.")
    web_port: int = Field(default=8080, ge=1, le=65535)
    api_url: str = Field(
        default="http://127.0.0.1:8000", description="Where the CLI and the console send API requests."
    )
    api_key: str | None = None

    log_level: Literal["debug", "info", "warning", "error"] = "info"
    max_payload_bytes: int = Field(default=256 * 1024, ge=1024)

    worker_queues: str = Field(
        default="default,conveyor.webhooks",
        description="Comma-separated queue names (conveyor.webhooks: deliveries).",
    )
    worker_concurrency: int = Field(default=20, ge=1, le=10_000)
    worker_batch_size: int = Field(default=100, ge=1, le=1000)
    worker_poll_interval: float = Field(default=1.0, gt=0, le=60)
    worker_lease_seconds: float = Field(default=30.0, ge=1, le=3600)
    worker_shutdown_grace: float = Field(default=25.0, ge=0, le=3600)
    listen_notify: bool = Field(default=True, description="Off behind transaction-pooling proxies.")
    database_prepared_statements: bool = Field(
        default=True,
        description="Server-side prepared statements for repeated queries; off behind a "
        "transaction-pooling proxy that does not track them (PgBouncer before 1.21).",
    )

    default_max_attempts: int = Field(default=5, ge=1, le=100)
    default_timeout_seconds: float = Field(default=300.0, gt=0, le=86_400)
    backoff_base_seconds: float = Field(default=1.0, gt=0)
    backoff_max_seconds: float = Field(default=3600.0, gt=0)

    scheduler_tick_seconds: float = Field(default=1.0, gt=0, le=60)
    misfire_grace_seconds: float = Field(default=60.0, ge=0)
    retention_succeeded: float = Field(default=7 * 86400, ge=0, description="Seconds; 0 keeps forever.")
    retention_failed: float = Field(default=30 * 86400, ge=0, description="Seconds; 0 keeps forever.")
    retention_audit: float = Field(
        default=0, ge=0, description="Seconds audit-log entries are kept; 0 keeps forever."
    )

    cors_origins: str = Field(
        default="", description="Comma-separated origins allowed by CORS; empty: CORS off."
    )
    session_ttl_seconds: float = Field(
        default=8 * 3600, ge=1, le=30 * 86400, description="Console session lifetime."
    )
    flags_file: Path | None = Field(
        default=None,
        description="Feature flags in flagd's file format (OpenFeature); unset: every flag at its default.",
    )
    tls_cert_file: Path | None = Field(
        default=None,
        description="PEM certificate (with its chain) the API and the console serve HTTPS with; "
        "set with CONVEYOR_TLS_KEY_FILE. Unset: plain HTTP (behind a TLS-terminating proxy).",
    )
    tls_key_file: Path | None = Field(default=None, description="PEM private key of CONVEYOR_TLS_CERT_FILE.")
    api_ca_file: Path | None = Field(
        default=None,
        description="PEM CA bundle the console and the CLI trust for CONVEYOR_API_URL (a private "
        "or local CA); unset: the system's trust store.",
    )
    cookie_secure: bool = Field(
        default=True, description="Session cookie only over HTTPS (localhost counts)."
    )
    oidc_issuer: str | None = Field(default=None, description="OpenID Connect issuer URL; unset: no SSO.")
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = None
    oidc_redirect_url: str | None = Field(
        default=None,
        description="As registered at the provider: the console's …/sign-in/sso/callback, or the API's "
        "…/api/v1/sessions/oidc/callback without a console.",
    )
    oidc_default_role: Literal["viewer", "operator"] = Field(
        default="viewer", description="Role of users created at their first SSO sign-in."
    )
    webhook_rotation_grace: float = Field(
        default=86400, ge=0, description="Seconds an old webhook secret still signs."
    )
    http_allow: str = Field(
        default="",
        description="Comma-separated destinations outbound HTTP may reach despite the guard: host, "
        "IP or CIDR, each optionally with :port (IPv6 with a port in brackets: [::1]:8080).",
    )
    http_max_response_bytes: int = Field(default=1024 * 1024, ge=1024)
    redact_headers: str = Field(
        default="",
        description="Comma-separated header names whose values viewers see redacted in http jobs, "
        "besides the credential-like ones (authorization, *key*, *token*, cookie, ...) always redacted.",
    )

    @model_validator(mode="before")
    @classmethod
    def _read_secret_files(cls, data: object) -> object:
        if not isinstance(data, dict):
            return data
        for field in SECRET_FILE_FIELDS:
            file_var = f"{ENV_PREFIX}{field.upper()}_FILE"
            path = os.environ.get(file_var)
            if path and not data.get(field) and not os.environ.get(f"{ENV_PREFIX}{field.upper()}"):
                try:
                    data[field] = Path(path).read_text().strip()
                except OSError as exc:
                    raise ValueError(f"{file_var}: cannot read {path}: {exc.strerror}") from exc
        return data

    @field_validator("flags_file", "tls_cert_file", "tls_key_file", "api_ca_file", mode="before")
    @classmethod
    def _empty_path_is_unset(cls, value: object) -> object:
        # An empty variable (VAR= in a .env or Compose file) means unset, not the current folder.
        return None if value == "" else value

    @field_validator("database_url")
    @classmethod
    def _url_scheme(cls, value: str | None) -> str | None:
        if value is not None and value.split("://", 1)[0] not in ("postgresql", "postgres"):
            raise ValueError("must be a postgresql:// URL")
        return value or None

    @field_validator("http_allow")
    @classmethod
    def _allow_list(cls, value: str) -> str:
        AllowList(value.split(","))  # raises ValueError naming the malformed entry
        return value

    @field_validator("redact_headers")
    @classmethod
    def _header_names(cls, value: str) -> str:
        for name in entries(value):
            if not HEADER_NAME.match(name):
                raise ValueError(f"{name!r} is not a header name")
        return value

    @field_validator("worker_queues")
    @classmethod
    def _queue_names(cls, value: str) -> str:
        # A misspelt name here is a worker that polls a queue nobody submits to: refuse it at
        # start, with the rule the API holds submitted queue names to.
        names = entries(value)
        if not names:
            raise ValueError("names no queue: a worker needs at least one")
        for name in names:
            if not re.match(QUEUE_PATTERN, name):
                raise ValueError(f"{name!r} is not a queue name (letters, digits, _ . : -; at most 64)")
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: str | None) -> str | None:
        if value is not None and value.split("://", 1)[0] not in ("redis", "rediss"):
            raise ValueError("must be a redis:// or rediss:// URL")
        return value or None

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies(cls, value: str) -> str:
        for entry in entries(value):
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(f"{entry!r} is not an IP address or CIDR") from None
        return value

    @field_validator("rate_limit", "auth_failure_limit")
    @classmethod
    def _rate_limit(cls, value: str) -> str:
        from limits import parse_many

        try:
            parse_many(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a rate limit like '100/second;5000/minute'") from None
        return value

    @model_validator(mode="after")
    def _production_requirements(self) -> Settings:
        if self.oidc_issuer and not (self.oidc_client_id and self.oidc_redirect_url):
            raise ValueError(
                "CONVEYOR_OIDC_CLIENT_ID and CONVEYOR_OIDC_REDIRECT_URL are required "
                "with CONVEYOR_OIDC_ISSUER"
            )
        if (self.tls_cert_file is None) != (self.tls_key_file is None):
            raise ValueError("CONVEYOR_TLS_CERT_FILE and CONVEYOR_TLS_KEY_FILE go together: set both")
        for variable, path in (
            ("CONVEYOR_TLS_CERT_FILE", self.tls_cert_file),
            ("CONVEYOR_TLS_KEY_FILE", self.tls_key_file),
            ("CONVEYOR_API_CA_FILE", self.api_ca_file),
        ):
            if path is not None and not os.access(path, os.R_OK):
                reason = "does not exist" if not path.exists() else "is not readable"
                raise ValueError(f"{variable}: {path} {reason}")
        if self.backoff_max_seconds < self.backoff_base_seconds:
            raise ValueError("CONVEYOR_BACKOFF_MAX_SECONDS must be >= CONVEYOR_BACKOFF_BASE_SECONDS")
        return self

    @property
    def queues(self) -> list[str]:
        return entries(self.worker_queues)

    @property
    def cors_origin_list(self) -> list[str]:
        return entries(self.cors_origins)

    @property
    def trusted_proxy_list(self) -> list[str]:
        return entries(self.trusted_proxies)

    @property
    def redacted_header_names(self) -> list[str]:
        return entries(self.redact_headers)

    @property
    def http_allow_list(self) -> list[str]:
        return entries(self.http_allow)


def load_settings(**overrides: object) -> Settings:
    """Build settings, turning pydantic's error into one that names the variables."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = [str(p) for p in err["loc"]]
            var = f"{ENV_PREFIX}{loc[0].upper()}" if loc else "configuration"
            problems.append(f"{var}: {err['msg']}")
        raise SettingsError("invalid configuration: " + "; ".join(problems)) from None


def require_database_url(settings: Settings) -> str | None:
    """The configured database URL; in production there must be one (checked where a database
    is needed, not at load: the console has no database and gets no credentials for one)."""
    if settings.env == "production" and not settings.database_url:
        raise SettingsError(
            "CONVEYOR_DATABASE_URL is required when CONVEYOR_ENV=production "
            "(the embedded database is for local use only)"
        )
    return settings.database_url


class SecretFile:
    """A secret given as a file, re-read whenever the file changes (Kubernetes updates a mounted
    Secret by swapping a symlink: a new inode). A read that finds the file missing, empty or
    not ``valid`` keeps the last good value: a rotation half-written is never used."""

    def __init__(self, path: Path, value: str, valid: Callable[[str], bool]) -> None:
        self.path = path
        self.value = value
        self.valid = valid
        self._seen = self._identity()

    def _identity(self) -> tuple[int, int, int] | None:
        try:
            stat = self.path.stat()
        except OSError:
            return None
        return (stat.st_ino, stat.st_mtime_ns, stat.st_size)

    def current(self) -> str:
        identity = self._identity()
        if identity is None or identity == self._seen:
            return self.value
        try:
            text = self.path.read_text().strip()
        except OSError:
            return self.value
        self._seen = identity
        if text and self.valid(text):
            self.value = text
        return self.value


def rotating_secret(field: str, value: str, valid: Callable[[str], bool] = bool) -> Callable[[], str]:
    """``value`` as a callable returning the secret's current value: it follows
    ``CONVEYOR_<FIELD>_FILE`` when that file is where ``value`` came from, else stays ``value``."""
    path = os.environ.get(f"{ENV_PREFIX}{field.upper()}_FILE")
    if not path or os.environ.get(f"{ENV_PREFIX}{field.upper()}"):
        return lambda: value
    try:
        from_file = Path(path).read_text().strip() == value
    except OSError:
        from_file = False
    return SecretFile(Path(path), value, valid).current if from_file else lambda: value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
