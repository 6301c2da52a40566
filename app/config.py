"""Every setting, named once, read from the environment.

Safe defaults serve the embedded demo (SQLite under ``instance/``, mails caught in the
local mailbox). In production (``WIJKLOKET_ENV=production``) the app refuses to start
without a real secret key.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent
INSTANCE_DIR = BASE_DIR / "instance"
DEV_SECRET = "dev-only-not-secret"  # noqa: S105 - the embedded demo's key, refused in production


class ConfigError(RuntimeError):
    """A setting is missing or unsafe."""


def _bool(value: str | None, default: bool) -> bool:
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def load_config(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Build the configuration from the environment, then apply ``overrides`` (tests)."""
    env = os.environ
    production = env.get("WIJKLOKET_ENV", "development") == "production"
    config: dict[str, Any] = {
        "ENV_NAME": "production" if production else "development",
        "SECRET_KEY": env.get("SECRET_KEY", DEV_SECRET),
        "SQLALCHEMY_DATABASE_URI": env.get(
            "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'wijkloket.sqlite'}"
        ),
        # Pre-ping survives a database restart; hidden parameters keep residents' data out
        # of error messages and logs.
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "hide_parameters": True},
        # Largest request body we accept (bytes); larger answers 413.
        "MAX_CONTENT_LENGTH": int(env.get("MAX_CONTENT_LENGTH", 64 * 1024)),
        # Dutch first (primary, always complete); every catalogue is complete (a test checks).
        "LANGUAGES": ("nl", "en", "ar", "tr", "pl", "uk"),
        "BABEL_DEFAULT_LOCALE": "nl",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Amsterdam",
        "BABEL_TRANSLATION_DIRECTORIES": str(BASE_DIR / "translations"),
        "DEFAULT_TENANT": env.get("DEFAULT_TENANT", "demo"),
        "PUBLIC_BASE_URL": env.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000"),
        # Mail: "mailbox" stores mails in the database (embedded demo); "smtp" sends them.
        "MAIL_TRANSPORT": env.get("MAIL_TRANSPORT", "mailbox"),
        "MAIL_FROM": env.get("MAIL_FROM", "Wijkloket <noreply@wijkloket.example>"),
        "SMTP_HOST": env.get("SMTP_HOST", "127.0.0.1"),
        "SMTP_PORT": int(env.get("SMTP_PORT", 25)),
        "SMTP_USERNAME": env.get("SMTP_USERNAME"),
        "SMTP_PASSWORD": env.get("SMTP_PASSWORD"),
        "SMTP_STARTTLS": _bool(env.get("SMTP_STARTTLS"), False),
        "SMTP_TIMEOUT": float(env.get("SMTP_TIMEOUT", 10)),
        "WEBHOOK_TIMEOUT": float(env.get("WEBHOOK_TIMEOUT", 10)),
        "WEBHOOK_SECRET_OVERLAP_HOURS": float(env.get("WEBHOOK_SECRET_OVERLAP_HOURS", 24)),
        # Outbox delivery: attempts before a message is dead-lettered, and the backoff.
        "OUTBOX_MAX_ATTEMPTS": int(env.get("OUTBOX_MAX_ATTEMPTS", 8)),
        "OUTBOX_BACKOFF_BASE_SECONDS": float(env.get("OUTBOX_BACKOFF_BASE_SECONDS", 30)),
        "OUTBOX_BACKOFF_MAX_SECONDS": float(env.get("OUTBOX_BACKOFF_MAX_SECONDS", 3600)),
        # A claimed message not finished within this lease is claimed again (crashed worker).
        "OUTBOX_LEASE_SECONDS": float(env.get("OUTBOX_LEASE_SECONDS", 120)),
        "OUTBOX_BATCH_SIZE": int(env.get("OUTBOX_BATCH_SIZE", 50)),
        "WORKER_POLL_SECONDS": float(env.get("WORKER_POLL_SECONDS", 1.0)),
        "DEFAULT_DEADLINE_DAYS": int(env.get("DEFAULT_DEADLINE_DAYS", 5)),
        # Working days after the due date before an unanswered referral expires.
        "REFERRAL_EXPIRY_GRACE_DAYS": int(env.get("REFERRAL_EXPIRY_GRACE_DAYS", 3)),
        # How often the worker checks deadlines (seconds).
        "SCHEDULER_INTERVAL_SECONDS": float(env.get("SCHEDULER_INTERVAL_SECONDS", 60)),
        # Working days a resident has to answer a question before a reminder and a task.
        "RESIDENT_REPLY_DAYS": int(env.get("RESIDENT_REPLY_DAYS", 5)),
        # From this hour (Dutch time) on working days, staff get the digest of overdue items.
        "DIGEST_HOUR": int(env.get("DIGEST_HOUR", 7)),
        "GEO_SNAP_DISTANCE_M": float(env.get("GEO_SNAP_DISTANCE_M", 150)),
        # A PC4 centroid stands for an area of roughly this radius; when the buurten within it
        # belong to more than one team, the request goes to central intake instead of a guess.
        "GEO_PC4_RADIUS_M": float(env.get("GEO_PC4_RADIUS_M", 600)),
        # External geocoder for postcodes missing from the table (off by default: nothing
        # leaves the machine unless configured). Any geopy service name: nominatim, photon, …
        "GEOCODER": env.get("GEOCODER", ""),
        # Background tiles for the staff map; none by default (nothing from third-party hosts).
        # E.g. https://tiles.example.nl/{z}/{x}/{y}.png, with its attribution.
        "MAP_TILE_URL": env.get("MAP_TILE_URL", ""),
        "MAP_TILE_ATTRIBUTION": env.get("MAP_TILE_ATTRIBUTION", ""),
        "GEOCODER_DOMAIN": env.get("GEOCODER_DOMAIN") or None,
        "GEOCODER_SCHEME": env.get("GEOCODER_SCHEME", "https"),
        "GEOCODER_TIMEOUT": float(env.get("GEOCODER_TIMEOUT", 3)),
        "GEOCODER_MIN_DELAY_SECONDS": float(env.get("GEOCODER_MIN_DELAY_SECONDS", 1)),
        "GEOCODER_USER_AGENT": env.get("GEOCODER_USER_AGENT", "wijkloket"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_SECURE": production,
        "WTF_CSRF_TIME_LIMIT": None,
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_ENABLED": _bool(env.get("RATELIMIT_ENABLED"), True),
        "INTAKE_RATE_LIMIT": env.get("INTAKE_RATE_LIMIT", "20 per hour"),
        "STATUS_RATE_LIMIT": env.get("STATUS_RATE_LIMIT", "60 per hour"),
        # How long a web process keeps a quarter's public statistics (seconds; 0: not kept).
        # Only quarters that are over are published; a late change shows within this time.
        "PUBLIC_STATISTICS_CACHE_SECONDS": int(env.get("PUBLIC_STATISTICS_CACHE_SECONDS",
                                                       3600)),
    }
    if overrides:
        config.update(overrides)
    if production and config["SECRET_KEY"] in {DEV_SECRET, "", None}:
        raise ConfigError("SECRET_KEY must be set to a real secret in production.")
    return config
