"""Configuration from the environment (see the table in README.md and ../shared/CONTRACT.md)."""
from __future__ import annotations

import os
import re

LINE_API_DEFAULT = "https://api.line.me"


def env(name: str, default: str | None = None) -> str | None:
    v = os.environ.get(name)
    return v if v not in (None, "") else default


def database_url() -> str:
    return env("DATABASE_URL", "sqlite:///data/madoguchi.db")


def _tenant_var(prefix: str, tenant: str) -> str:
    return prefix + "_" + re.sub(r"[^A-Za-z0-9]", "_", tenant).upper()


def channel_secret(tenant: str) -> str | None:
    return env(_tenant_var("LINE_CHANNEL_SECRET", tenant)) or env("LINE_CHANNEL_SECRET")


def channel_token(tenant: str) -> str | None:
    return env(_tenant_var("LINE_CHANNEL_ACCESS_TOKEN", tenant)) or env("LINE_CHANNEL_ACCESS_TOKEN")


def line_api_base() -> str:
    return (env("MADOGUCHI_LINE_API_BASE", LINE_API_DEFAULT) or LINE_API_DEFAULT).rstrip("/")


def default_tenant(names: list[str]) -> str | None:
    t = env("MADOGUCHI_DEFAULT_TENANT")
    if t:
        return t
    return names[0] if names else None


def flag(name: str) -> bool:
    return (env(name, "") or "").lower() in ("1", "true", "yes", "on")


def int_env(name: str, default: int) -> int:
    try:
        return int(env(name, str(default)))
    except ValueError:
        return default


def float_env(name: str, default: float) -> float:
    try:
        return float(env(name, str(default)))
    except ValueError:
        return default


MAX_BODY = 1024 * 1024          # LINE webhook bodies and API requests: 1 MB
