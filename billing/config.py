"""Settings: one object read once per process, so the CLI, the API and the scheduler agree.

Read with pydantic-settings from the environment; an optional TOML file named by
`BILLING_CONFIG` supplies defaults and environment variables win. Policies (attribution rules,
overhead pools, parties, use cases) are not settings: they are published into the database
(`billing policy publish`), so nothing here names a file the engine looks up by itself.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AliasChoices, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///billing.db"
MAX_BATCH_EVENTS = 50_000

LEGACY_POLICY_ENV = ("BILLING_ATTRIBUTION_RULES", "BILLING_OVERHEAD_POOLS", "BILLING_REGISTRY",
                     "BILLING_USE_CASES")
"""Variables that once named policy files; they are no longer read (see `billing policy import`)."""


class ConfigError(ValueError):
    """A setting has a value the engine cannot use; the message names the setting."""


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    timezone: str = "UTC"
    documents_dir: Path = Path("documents")
    team_card: str = "internal"
    customer_card: str = "external"
    api_key: str | None = None
    stripe_api_key: str | None = None
    stripe_api_base: str | None = None
    stripe_webhook_secret: str | None = None
    close_cron: str = "0 2 1 * *"
    max_batch_events: int = MAX_BATCH_EVENTS
    webhook_urls: tuple[str, ...] = ()
    webhook_secret: str | None = None
    legacy_policy_env: tuple[str, ...] = ()
    """Old policy-file variables found set: the CLI says how to import them."""
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def _env(name: str, attr: str) -> Any:
    return Field(validation_alias=AliasChoices(name, name.lower(), attr))


class _Source(BaseSettings):
    """The typed reading of the environment (and the BILLING_CONFIG file) into Settings."""

    model_config = SettingsConfigDict(extra="ignore", case_sensitive=True)

    database_url: str = _env("DATABASE_URL", "database_url")
    timezone: str = _env("BILLING_TIMEZONE", "timezone")
    documents_dir: Path = _env("BILLING_DOCUMENTS_DIR", "documents_dir")
    team_card: str = _env("BILLING_TEAM_CARD", "team_card")
    customer_card: str = _env("BILLING_CUSTOMER_CARD", "customer_card")
    api_key: str | None = _env("BILLING_API_KEY", "api_key")
    stripe_api_key: str | None = _env("STRIPE_API_KEY", "stripe_api_key")
    stripe_api_base: str | None = _env("STRIPE_API_BASE", "stripe_api_base")
    stripe_webhook_secret: str | None = _env("STRIPE_WEBHOOK_SECRET", "stripe_webhook_secret")
    close_cron: str = _env("BILLING_CLOSE_CRON", "close_cron")
    max_batch_events: int = _env("BILLING_MAX_BATCH_EVENTS", "max_batch_events")
    webhook_urls: Annotated[tuple[str, ...], NoDecode] = _env("BILLING_WEBHOOK_URLS",
                                                                "webhook_urls")
    webhook_secret: str | None = _env("BILLING_WEBHOOK_SECRET", "webhook_secret")

    @field_validator("webhook_urls", mode="before")
    @classmethod
    def _urls(cls, value: Any) -> tuple[str, ...]:
        items = value.split(",") if isinstance(value, str) else list(value or ())
        return tuple(str(url).strip() for url in items if str(url).strip())

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA time zone such as 'UTC' or "
                             "'Europe/Berlin'") from None
        return value


_DEFAULTS = Settings()
_NAMES = {name: alias.choices[0] for name, info in _Source.model_fields.items()
          if isinstance(alias := info.validation_alias, AliasChoices)}


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Read settings from the optional config file, then the environment (empty values are
    unset); a value the engine cannot use is a ConfigError naming its variable."""
    env = {k: v for k, v in (os.environ if environ is None else environ).items() if v}
    values: dict[str, Any] = {name: getattr(_DEFAULTS, name) for name in _NAMES}
    config_file = env.get("BILLING_CONFIG")
    if config_file:
        path = Path(config_file)
        if not path.is_file():
            raise ConfigError(f"BILLING_CONFIG={config_file}: no such file")
        try:
            with path.open("rb") as fh:
                data = tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"BILLING_CONFIG={config_file}: not valid TOML: {exc}") from None
        for name, variable in _NAMES.items():
            for key in (variable, variable.lower(), name):
                if key in data:
                    values[name] = data[key]
    for name, variable in _NAMES.items():
        if variable in env:
            values[name] = env[variable]
    try:
        source = _Source.model_validate({_NAMES[name]: value for name, value in values.items()})
    except ValidationError as exc:
        first = exc.errors()[0]
        variable = str(first["loc"][0]) if first["loc"] else "settings"
        message = str(first["msg"]).removeprefix("Value error, ")
        raise ConfigError(f"{variable}={values.get(_attr(variable))!r}: {message}") from None
    legacy = tuple(name for name in LEGACY_POLICY_ENV if name in env)
    return Settings(**source.model_dump(), legacy_policy_env=legacy)


def _attr(variable: str) -> str:
    return next((name for name, alias in _NAMES.items() if alias == variable), variable)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read once; the API takes them with `Depends(get_settings)`,
    so a test overrides them with `app.dependency_overrides[get_settings]`."""
    return load_settings()
