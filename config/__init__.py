"""Settings from environment variables, per environment (development, test, production)."""
from __future__ import annotations

import os
from dataclasses import dataclass, replace

ENVIRONMENTS = ("development", "test", "production")


@dataclass(frozen=True)
class Settings:
    environment: str = "development"
    database_url: str = "sqlite:///instance/onestop.db"
    # Scripts in BPMN are stopped after this long (a runaway loop must not hang a worker).
    script_timeout_seconds: float = 1.0
    # Case numbers and working days follow the office's local time.
    timezone: str = "Asia/Taipei"
    bpmn_folder: str = "bpmn"
    host: str = "127.0.0.1"
    port: int = 8000
    threads: int = 8

    def with_overrides(self, **overrides) -> "Settings":
        return replace(self, **overrides)


def load_settings(environ: dict | None = None) -> Settings:
    env = environ if environ is not None else os.environ
    environment = env.get("ONESTOP_ENV", "development")
    if environment not in ENVIRONMENTS:
        raise ValueError(f"ONESTOP_ENV must be one of {', '.join(ENVIRONMENTS)}, not {environment!r}")
    default_db = "sqlite:///instance/onestop-test.db" if environment == "test" else Settings.database_url
    return Settings(
        environment=environment,
        database_url=env.get("ONESTOP_DATABASE_URL", default_db),
        script_timeout_seconds=float(env.get("ONESTOP_SCRIPT_TIMEOUT", Settings.script_timeout_seconds)),
        timezone=env.get("ONESTOP_TIMEZONE", Settings.timezone),
        bpmn_folder=env.get("ONESTOP_BPMN_FOLDER", Settings.bpmn_folder),
        host=env.get("ONESTOP_HOST", Settings.host),
        port=int(env.get("ONESTOP_PORT", Settings.port)),
        threads=int(env.get("ONESTOP_THREADS", Settings.threads)),
    )
