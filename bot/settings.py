"""All configuration, read once from the environment. Every variable is in the README's table."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_API_BASE = "https://api.venice.ai/api/v1"
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./venice-bot.db"
DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_DISCORD_API_URL = "https://discord.com/api/v10"


class Settings(BaseSettings):
    """The bot's settings. Secrets are SecretStr so they never print by accident."""

    # An empty variable counts as unset: `.env` files list every setting, most of them blank.
    model_config = SettingsConfigDict(
        env_file=None, extra="ignore", case_sensitive=False, env_ignore_empty=True
    )

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
    # Cache (issue 3). Venice caches usage analytics for 10 minutes: asking sooner gains nothing.
    redis_url: SecretStr | None = Field(default=None, validation_alias="REDIS_URL")
    usage_ttl: float = Field(
        default=600.0, ge=0, le=86_400, validation_alias="VENICE_BOT_USAGE_TTL"
    )
    balance_ttl: float = Field(
        default=60.0, ge=0, le=86_400, validation_alias="VENICE_BOT_BALANCE_TTL"
    )
    # Venice documents no caching of /api_keys; its usage figures move with every request, like
    # the balance, so they get the balance's minute.
    api_keys_ttl: float = Field(
        default=60.0, ge=0, le=86_400, validation_alias="VENICE_BOT_API_KEYS_TTL"
    )
    stale_for: float = Field(
        default=86_400.0, ge=0, le=7 * 86_400, validation_alias="VENICE_BOT_STALE_FOR"
    )
    redis_timeout: float = Field(
        default=0.25, gt=0, le=10, validation_alias="VENICE_BOT_REDIS_TIMEOUT"
    )
    # Workspaces and their encrypted keys (issue 4).
    database_url: SecretStr = Field(
        default=SecretStr(DEFAULT_DATABASE_URL), validation_alias="DATABASE_URL"
    )
    master_keys: SecretStr | None = Field(default=None, validation_alias="VENICE_BOT_MASTER_KEYS")
    master_keys_file: Path | None = Field(
        default=None, validation_alias="VENICE_BOT_MASTER_KEYS_FILE"
    )
    # Slack (issue 5): single-workspace mode with SLACK_BOT_TOKEN, multi-workspace (OAuth install)
    # with SLACK_CLIENT_ID/SLACK_CLIENT_SECRET, Socket Mode (development) with SLACK_APP_TOKEN.
    slack_signing_secret: SecretStr | None = Field(
        default=None, validation_alias="SLACK_SIGNING_SECRET"
    )
    slack_bot_token: SecretStr | None = Field(default=None, validation_alias="SLACK_BOT_TOKEN")
    slack_client_id: str | None = Field(default=None, validation_alias="SLACK_CLIENT_ID")
    slack_client_secret: SecretStr | None = Field(
        default=None, validation_alias="SLACK_CLIENT_SECRET"
    )
    slack_app_token: SecretStr | None = Field(default=None, validation_alias="SLACK_APP_TOKEN")
    slack_api_url: str = Field(default=DEFAULT_SLACK_API_URL, validation_alias="SLACK_API_URL")
    # Where Slack sends installers back (must match the app's redirect URL); unset: Slack's own.
    slack_redirect_uri: str | None = Field(default=None, validation_alias="SLACK_REDIRECT_URI")
    # Discord (issue 6). DISCORD_SHARDED runs an AutoShardedClient (past ~1,000 servers).
    discord_token: SecretStr | None = Field(default=None, validation_alias="DISCORD_TOKEN")
    discord_api_url: str = Field(
        default=DEFAULT_DISCORD_API_URL, validation_alias="DISCORD_API_URL"
    )
    discord_sharded: bool = Field(default=False, validation_alias="DISCORD_SHARDED")
    # Daily digests (issue 7): `serve` ticks the scheduler every DIGEST_TICK_SECONDS unless
    # DIGEST_SCHEDULER=off (a deployment that runs `venice-bot digest run-due` from cron instead).
    digest_scheduler: Literal["on", "off"] = Field(
        default="on", validation_alias="DIGEST_SCHEDULER"
    )
    digest_tick_seconds: float = Field(
        default=30.0, ge=0.1, le=3_600, validation_alias="DIGEST_TICK_SECONDS"
    )
    digest_concurrency: int = Field(default=64, ge=1, le=512, validation_alias="DIGEST_CONCURRENCY")
    # Alerts (issue 18): `serve` sweeps every rule every ALERT_CHECK_SECONDS; 0 turns the sweeps
    # off (a deployment that runs `venice-bot alert check` from cron instead).
    alert_check_seconds: float = Field(
        default=300.0, ge=0, le=86_400, validation_alias="ALERT_CHECK_SECONDS"
    )
    # `venice-bot serve`: HTTP for Slack, health and metrics.
    port: int = Field(default=3000, ge=1, le=65_535, validation_alias="PORT")
    host: str = Field(default="0.0.0.0", validation_alias="VENICE_BOT_HOST")  # noqa: S104
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", validation_alias="LOG_LEVEL"
    )
    log_format: Literal["console", "json"] = Field(default="console", validation_alias="LOG_FORMAT")

    @field_validator("venice_api_base", "slack_api_url", "discord_api_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        url = urlsplit(value.strip())
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ValueError("must be an http:// or https:// URL")
        return value.strip()

    @field_validator(
        "slack_signing_secret",
        "slack_bot_token",
        "slack_client_secret",
        "slack_app_token",
        "discord_token",
    )
    @classmethod
    def _blank_is_unset(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        return SecretStr(value.get_secret_value().strip())

    @field_validator("slack_client_id", "slack_redirect_uri")
    @classmethod
    def _blank_text_is_unset(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None

    @property
    def slack_configured(self) -> bool:
        """True when `serve` should run the Slack app (a bot token or OAuth client credentials)."""
        return self.slack_bot_token is not None or self.slack_client_id is not None

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        scheme = urlsplit(value.get_secret_value().strip()).scheme
        if scheme not in ("redis", "rediss", "unix"):
            raise ValueError("must be a redis://, rediss:// or unix:// URL")
        return SecretStr(value.get_secret_value().strip())

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: SecretStr) -> SecretStr:
        url = value.get_secret_value().strip() or DEFAULT_DATABASE_URL
        if not url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://", "postgresql://")):
            raise ValueError("must be a sqlite+aiosqlite:/// or postgresql+asyncpg:// URL")
        if url.startswith("postgresql://"):
            url = "postgresql+asyncpg://" + url.removeprefix("postgresql://")
        return SecretStr(url)

    @property
    def embedded_database(self) -> bool:
        """True for SQLite: one process, migrated automatically on start-up."""
        return self.database_url.get_secret_value().startswith("sqlite")

    @field_validator("log_level", "log_format", "digest_scheduler", mode="before")
    @classmethod
    def _case_insensitive(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        return value.strip().upper() if value.strip().upper() in _LEVELS else value.strip().lower()


_LEVELS = {"DEBUG", "INFO", "WARNING", "ERROR"}
