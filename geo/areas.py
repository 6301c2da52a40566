"""Areas (buurten, wijken, gemeenten) and the point → buurt lookup.

Uses a shapely 2 STRtree. A point on a shared border resolves to the buurt with the lowest
code (deterministic); a point just outside every buurt snaps to the nearest one within
``snap_distance_m``; further out, it is outside the map (``None``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
import shapely.geometry
import shapely.ops
from shapely.geometry.base import BaseGeometry

__all__ = ["Area", "AreaIndex", "Location", "area_from_geojson_feature"]

#: Metres per degree of latitude (WGS84, mean).
_M_PER_DEG_LAT = 111_320.0


@dataclass(frozen=True)
class Area:
    code: str  # BU…, WK… or GM…
    name: str
    kind: str  # buurt, wijk, gemeente
    parent_code: str | None
    geometry: BaseGeometry


_KINDS = {"BU": "buurt", "WK": "wijk", "GM": "gemeente"}


def area_from_geojson_feature(feature: Mapping[str, Any]) -> Area:
    """A CBS-style GeoJSON feature (buurtcode/wijkcode/gemeentecode properties) → Area."""
    props = feature.get("properties") or {}
    geometry = shapely.geometry.shape(feature["geometry"])
    if not geometry.is_valid:
        geometry = shapely.make_valid(geometry)
    if props.get("buurtcode"):
        return Area(props["buurtcode"], props.get("buurtnaam") or props["buurtcode"], "buurt",
                    props.get("wijkcode"), geometry)
    if props.get("wijkcode"):
        return Area(props["wijkcode"], props.get("wijknaam") or props["wijkcode"], "wijk",
                    props.get("gemeentecode"), geometry)
    code = props.get("gemeentecode") or props.get("statcode") or props.get("code")
    if not code:
        raise ValueError("feature has no buurtcode, wijkcode or gemeentecode")
    name = props.get("gemeentenaam") or props.get("statnaam") or code
    return Area(code, name, _KINDS.get(code[:2], "gemeente"), None, geometry)


@dataclass(frozen=True)
class Location:
    buurt_code: str
    wijk_code: str | None
    distance_m: float = 0.0  # > 0 when snapped to the nearest buurt

    @property
    def snapped(self) -> bool:
        return self.distance_m > 0


class AreaIndex:
    """Point (lon, lat in WGS84) → buurt, over a fixed set of buurten."""

    def __init__(self, buurten: Sequence[Area], snap_distance_m: float = 150.0) -> None:
        # Sort by code so that ties (points on shared borders) resolve the same way every time.
        self._buurten = sorted((a for a in buurten if a.kind == "buurt"), key=lambda a: a.code)
        self._geoms = np.array([a.geometry for a in self._buurten], dtype=object)
        self._tree = shapely.STRtree(self._geoms)
        self.snap_distance_m = snap_distance_m
        if self._buurten:
            lats = [a.geometry.centroid.y for a in self._buurten]
            mid_lat = (min(lats) + max(lats)) / 2
        else:
            mid_lat = 52.0
        # Metres per degree of longitude at the map's latitude; good to <1% across a city.
        self._m_per_deg_lon = _M_PER_DEG_LAT * math.cos(math.radians(mid_lat))

    def __len__(self) -> int:
        return len(self._buurten)

    @property
    def buurt_codes(self) -> list[str]:
        return [a.code for a in self._buurten]

    def locate(self, lon: float, lat: float) -> Location | None:
        return self.locate_many([(lon, lat)])[0]

    def locate_many(self, points: Sequence[tuple[float, float]]) -> list[Location | None]:
        """Vectorised lookup of many points at once."""
        if not points or not self._buurten:
            return [None] * len(points)
        coords = np.asarray(points, dtype=float)
        geoms = shapely.points(coords)
        hits = self._tree.query(geoms, predicate="intersects")
        first: dict[int, int] = {}
        for point_i, area_i in zip(hits[0].tolist(), hits[1].tolist(), strict=True):
            if point_i not in first or area_i < first[point_i]:
                first[point_i] = area_i
        result: list[Location | None] = []
        for i, (lon, lat) in enumerate(coords.tolist()):
            if i in first:
                area = self._buurten[first[i]]
                result.append(Location(area.code, area.parent_code, 0.0))
            else:
                result.append(self._snap(lon, lat))
        return result

    def _snap(self, lon: float, lat: float) -> Location | None:
        if self.snap_distance_m <= 0:
            return None
        # Search in degrees generously, then measure in metres on a local projection.
        radius_deg = self.snap_distance_m / self._m_per_deg_lon
        point = shapely.Point(lon, lat)
        candidates = self._tree.query(point.buffer(radius_deg))
        best: tuple[float, int] | None = None
        for area_i in sorted(candidates.tolist()):
            nearest = shapely.ops.nearest_points(self._geoms[area_i], point)[0]
            dx = (nearest.x - lon) * self._m_per_deg_lon
            dy = (nearest.y - lat) * _M_PER_DEG_LAT
            distance = math.hypot(dx, dy)
            if distance <= self.snap_distance_m and (best is None or distance < best[0]):
                best = (distance, area_i)
        if best is None:
            return None
        area = self._buurten[best[1]]
        return Location(area.code, area.parent_code, max(best[0], 1e-6))
