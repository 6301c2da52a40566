"""Geocoding free text and unknown postcodes through a geopy backend.

Any geopy service works (Nominatim, Photon, …), chosen by name, with its ``domain`` and
``scheme`` (so a local server can stand in), a timeout, and geopy's RateLimiter to respect
the service's usage policy. Every failure — down, slow, unknown answer — becomes
:class:`GeocoderUnavailable`; "no such place" is ``None``. Caching is the caller's job.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from geopy.exc import GeopyError
from geopy.extra.rate_limiter import RateLimiter
from geopy.geocoders import get_geocoder_for_service

__all__ = ["GeocodedPoint", "Geocoder", "GeocoderUnavailable", "cache_key"]


class GeocoderUnavailable(RuntimeError):
    """The geocoder did not answer in time or answered with an error."""


@dataclass(frozen=True)
class GeocodedPoint:
    lon: float
    lat: float
    label: str


def cache_key(query: str) -> str:
    """The same address written differently gives the same key (case, spaces, commas)."""
    return re.sub(r"[\s,]+", " ", query).strip().lower()[:300]


class Geocoder:
    def __init__(
        self,
        service: str,
        *,
        domain: str | None = None,
        scheme: str = "https",
        timeout: float = 3.0,
        min_delay_seconds: float = 1.0,
        user_agent: str = "wijkloket",
        country_codes: str | None = "nl",
    ) -> None:
        try:
            service_class = get_geocoder_for_service(service)
        except GeopyError as exc:
            raise ValueError(f"unknown geocoder service {service!r}") from exc
        options: dict[str, Any] = {"scheme": scheme, "timeout": timeout, "user_agent": user_agent}
        if domain:
            options["domain"] = domain
        self.service = service
        self._geocoder = service_class(**options)
        self._extra: dict[str, Any] = {}
        if service == "nominatim" and country_codes:
            self._extra["country_codes"] = country_codes
        self._geocode: Callable[..., Any] = RateLimiter(
            self._geocoder.geocode, min_delay_seconds=min_delay_seconds, max_retries=0,
            swallow_exceptions=False,
        )

    def geocode(self, query: str) -> GeocodedPoint | None:
        """The best match for ``query``; None when the service knows no such place."""
        try:
            location = self._geocode(query, exactly_one=True, **self._extra)
        except GeopyError as exc:
            raise GeocoderUnavailable(f"{self.service}: {exc.__class__.__name__}: {exc}") from exc
        except (ValueError, KeyError, TypeError) as exc:  # an answer in an unexpected shape
            raise GeocoderUnavailable(f"{self.service}: unreadable answer: {exc}") from exc
        if location is None:
            return None
        return GeocodedPoint(float(location.longitude), float(location.latitude),
                             str(location.address))
