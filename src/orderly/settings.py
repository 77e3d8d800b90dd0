"""Configuration, read from the environment (prefix ``ORDERLY_``) only when asked for."""

from __future__ import annotations

from pathlib import Path

import platformdirs
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from orderly.kit.client_address import Network, parse_networks
from orderly.kit.embedded import start_embedded_postgres
from orderly.kit.jobs import in_transaction


def _default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("orderly"))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ORDERLY_", extra="ignore")

    database_url: str | None = Field(
        default=None,
        description="PostgreSQL URL; when unset Orderly runs its own embedded PostgreSQL.",
    )
    database_replica_url: str | None = None
    data_dir: Path = Field(default_factory=_default_data_dir)
    secret_key: str | None = None
    # Connections an API process keeps open. Overflow connections are closed as soon as they
    # are returned, and a new one costs PostgreSQL a backend and a planning of every statement
    # again: under steady load a pool large enough for the load, with no overflow, is cheaper.
    pool_size: int = 20
    max_overflow: int = 0
    # Connections for GET requests (read-only, autocommit; kit.db.Database.reading).
    read_pool_size: int = 5
    max_body_bytes: int = 1_048_576
    max_order_lines: int = 500
    max_page_size: int = 200
    rate_limit_per_minute: int = Field(
        default=6000,
        ge=0,
        description="Requests a minute per API key, over all processes; 0 = off.",
    )
    rate_limit_batch: int = Field(
        default=0, ge=0, description="Requests counted locally between shared counts; 0 = auto."
    )
    idempotency_key_ttl_hours: int = Field(
        default=24,
        ge=1,
        description="Hours an Idempotency-Key is kept and replayed; after that it is forgotten.",
    )
    run_worker_in_process: bool = False
    worker_heartbeat_seconds: float = Field(
        default=10.0,
        gt=0,
        description="How often a job worker says it is alive; one silent for three of these "
        "is taken for dead, and its running jobs are queued again.",
    )
    log_level: str = "info"
    # Customer e-mail (notifications). Without a host, messages are written as .eml files
    # under the data directory (outbox/<org>/) instead of being sent.
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = True
    smtp_from: str = "Orderly <orders@localhost>"
    allow_private_urls: bool = Field(
        default=False,
        description="Let outbound URLs (webhooks) reach loopback, private and link-local "
        "addresses; for development and tests only.",
    )
    # Where customers reach Orderly's public pages (the tracking page in e-mails).
    public_url: str = "http://localhost:8000"
    trusted_proxies: str = Field(
        default="",
        description="Proxies (IPs or CIDRs, comma-separated) whose X-Forwarded-For is believed.",
    )
    sign_in_failure_delay_seconds: float = Field(
        default=0.5,
        ge=0,
        description="How long a failed dashboard sign-in waits before it answers, which slows "
        "password guessing further.",
    )
    secure_cookies: bool | None = Field(
        default=None,
        description="Dashboard cookie over HTTPS only [default: when public_url is https].",
    )

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_parse(cls, value: str) -> str:
        parse_networks(value)
        return value

    def trusted_proxy_networks(self) -> tuple[Network, ...]:
        return parse_networks(self.trusted_proxies)

    def cookies_secure(self) -> bool:
        if self.secure_cookies is not None:
            return self.secure_cookies
        return self.public_url.lower().startswith("https://")

    def resolved_data_dir(self) -> Path:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return self.data_dir

    def resolved_database_url(self) -> str:
        """ORDERLY_DATABASE_URL, else the embedded PostgreSQL (started if it is not running)."""
        if self.database_url:
            return self.database_url
        return start_embedded_postgres(self.resolved_data_dir())


def environment_database_url() -> str:
    """The database URL of this process's environment (``ORDERLY_*``), for the worker's jobs."""
    return Settings().resolved_database_url()


# A job whose body runs in one transaction of the worker's database (kit.jobs.in_transaction).
in_worker_transaction = in_transaction(environment_database_url)
