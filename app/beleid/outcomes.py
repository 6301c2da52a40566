"""The workspace's outcomes page (being built)."""

from __future__ import annotations

from app.beleid import bp  # noqa: F401
