"""All configuration, read once from the environment. Every variable is in the README's table."""

from __future__ import annotations

from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_API_BASE = "https://api.venice.ai/api/v1"


class Settings(BaseSettings):
    """The bot's settings. Secrets are SecretStr so they never print by accident."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore", case_sensitive=False)

    venice_api_key: SecretStr | None = Field(default=None, validation_alias="VENICE_API_KEY")
    venice_api_base: str = Field(default=DEFAULT_API_BASE, validation_alias="VENICE_API_BASE")
    request_budget: float = Field(
        default=15.0,
        gt=0,
        le=300,
        validation_alias="VENICE_BOT_REQUEST_BUDGET",
    )
    connect_timeout: float = Field(
        default=5.0, gt=0, le=60, validation_alias="VENICE_BOT_CONNECT_TIMEOUT"
    )
    read_timeout: float = Field(
        default=20.0, gt=0, le=300, validation_alias="VENICE_BOT_READ_TIMEOUT"
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", validation_alias="LOG_LEVEL"
    )
    log_format: Literal["console", "json"] = Field(default="console", validation_alias="LOG_FORMAT")

    @field_validator("venice_api_base")
    @classmethod
    def _http_url(cls, value: str) -> str:
        url = urlsplit(value.strip())
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ValueError("must be an http:// or https:// URL")
        return value.strip()

    @field_validator("log_level", "log_format", mode="before")
    @classmethod
    def _case_insensitive(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        return value.strip().upper() if value.strip().upper() in _LEVELS else value.strip().lower()


_LEVELS = {"DEBUG", "INFO", "WARNING", "ERROR"}
