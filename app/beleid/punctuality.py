"""The workspace's punctuality page (being built)."""

from __future__ import annotations

from app.beleid import bp  # noqa: F401
