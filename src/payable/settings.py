"""Runtime settings, read from the environment (prefix ``PAYABLE_``, plus ``DATABASE_URL``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PAYABLE_", extra="ignore")

    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "PAYABLE_DATABASE_URL")
    )
    data_dir: Path = Path(".payable")
    jwt_secret: str | None = None
    jwt_ttl_hours: int = 12
    max_page_size: int = 100
    max_query_depth: int = 12
    db_pool_size: int = 10
    log_level: str = "INFO"


@lru_cache
def get_settings() -> Settings:
    return Settings()
