"""Configuration, read from the environment (prefix ``ORDERLY_``) only when asked for."""

from __future__ import annotations

from pathlib import Path

import platformdirs
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


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
    pool_size: int = 10
    max_overflow: int = 10
    max_body_bytes: int = 1_048_576
    max_order_lines: int = 500
    max_page_size: int = 200
    run_worker_in_process: bool = False
    log_level: str = "info"

    def resolved_data_dir(self) -> Path:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return self.data_dir
