"""Settings: one object read from the environment, so the CLI, the API and the scheduler agree.

An optional TOML file named by `BILLING_CONFIG` supplies defaults; environment variables win.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_DATABASE_URL = "sqlite:///billing.db"
MAX_BATCH_EVENTS = 50_000


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
    attribution_rules: Path = Path("attribution.yaml")
    overhead_pools: Path = Path("overhead.yaml")
    registry: Path = Path("registry.yaml")
    close_cron: str = "0 2 1 * *"
    max_batch_events: int = MAX_BATCH_EVENTS
    budgets: Path = Path("budgets.yaml")
    use_cases: Path = Path("use_cases.yaml")
    webhook_urls: tuple[str, ...] = ()
    webhook_secret: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


_ENV = {
    "DATABASE_URL": "database_url",
    "BILLING_TIMEZONE": "timezone",
    "BILLING_DOCUMENTS_DIR": "documents_dir",
    "BILLING_TEAM_CARD": "team_card",
    "BILLING_CUSTOMER_CARD": "customer_card",
    "BILLING_API_KEY": "api_key",
    "STRIPE_API_KEY": "stripe_api_key",
    "STRIPE_API_BASE": "stripe_api_base",
    "STRIPE_WEBHOOK_SECRET": "stripe_webhook_secret",
    "BILLING_ATTRIBUTION_RULES": "attribution_rules",
    "BILLING_OVERHEAD_POOLS": "overhead_pools",
    "BILLING_REGISTRY": "registry",
    "BILLING_CLOSE_CRON": "close_cron",
    "BILLING_BUDGETS": "budgets",
    "BILLING_USE_CASES": "use_cases",
    "BILLING_WEBHOOK_URLS": "webhook_urls",
    "BILLING_WEBHOOK_SECRET": "webhook_secret",
}


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Read settings from the optional config file, then the environment."""
    env = dict(os.environ if environ is None else environ)
    values: dict[str, object] = {}
    config_file = env.get("BILLING_CONFIG")
    if config_file:
        path = Path(config_file)
        if not path.is_file():
            raise ConfigError(f"BILLING_CONFIG={config_file}: no such file")
        with path.open("rb") as fh:
            data = tomllib.load(fh)
        for name, attr in _ENV.items():
            for key in (name, name.lower(), attr):
                if key in data:
                    values[attr] = data[key]
    for name, attr in _ENV.items():
        if env.get(name):
            values[attr] = env[name]
    for name in ("documents_dir", "attribution_rules", "overhead_pools", "registry", "budgets",
                 "use_cases"):
        if name in values:
            values[name] = Path(str(values[name]))
    if "webhook_urls" in values:
        urls = values["webhook_urls"]
        items = urls.split(",") if isinstance(urls, str) else list(urls)  # type: ignore[arg-type]
        values["webhook_urls"] = tuple(url.strip() for url in items if url.strip())
    settings = Settings(**values)  # type: ignore[arg-type]
    try:
        ZoneInfo(settings.timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(
            f"BILLING_TIMEZONE={settings.timezone!r} is not an IANA time zone such as "
            "'UTC' or 'Europe/Berlin'"
        ) from exc
    return settings
