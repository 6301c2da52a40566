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
    """Point (lon, lat in WGS84) → buurt, over a fixed set of buurten.

    The polygons are kept in a local equirectangular projection in metres (an affine map of
    lon/lat, so containment is exact) so that snapping distances are metres and every query,
    containment and nearest, runs vectorised in the STRtree.
    """

    def __init__(self, buurten: Sequence[Area], snap_distance_m: float = 150.0) -> None:
        # Sorted by code so that ties (points on shared borders) resolve the same way every time.
        self._buurten = sorted((a for a in buurten if a.kind == "buurt"), key=lambda a: a.code)
        self.snap_distance_m = snap_distance_m
        if self._buurten:
            lats = [a.geometry.centroid.y for a in self._buurten]
            mid_lat = (min(lats) + max(lats)) / 2
        else:
            mid_lat = 52.0
        # Metres per degree of longitude at the map's middle latitude; good to ~1% per 100 km.
        self._sx = _M_PER_DEG_LAT * math.cos(math.radians(mid_lat))
        self._sy = _M_PER_DEG_LAT
        projected = [
            shapely.transform(a.geometry, lambda xy: xy * np.array([self._sx, self._sy]))
            for a in self._buurten
        ]
        self._geoms = np.array(projected, dtype=object)
        self._tree = shapely.STRtree(self._geoms)
        self._codes = np.array([a.code for a in self._buurten], dtype=object)

    def __len__(self) -> int:
        return len(self._buurten)

    @property
    def buurt_codes(self) -> list[str]:
        return [a.code for a in self._buurten]

    def locate(self, lon: float, lat: float) -> Location | None:
        """One point (a fast path without the batch machinery)."""
        if not self._buurten:
            return None
        point = shapely.Point(lon * self._sx, lat * self._sy)
        hits = self._tree.query(point, predicate="intersects")
        if hits.size:
            area = self._buurten[int(hits.min())]
            return Location(area.code, area.parent_code, 0.0)
        if self.snap_distance_m <= 0:
            return None
        near, metres = self._tree.query_nearest(
            point, max_distance=self.snap_distance_m, return_distance=True
        )
        if not near.size:
            return None
        area = self._buurten[int(near.min())]
        return Location(area.code, area.parent_code, max(float(metres[0]), 1e-6))

    def buurten_within(self, lon: float, lat: float, radius_m: float) -> list[Location]:
        """Every buurt within ``radius_m`` of the point (by code), with its distance."""
        point = shapely.Point(lon * self._sx, lat * self._sy)
        found = self._tree.query(point, predicate="dwithin", distance=radius_m)
        return [
            Location(self._buurten[i].code, self._buurten[i].parent_code,
                     float(shapely.distance(self._geoms[i], point)))
            for i in sorted(found.tolist())
        ]

    def locate_many(self, points: Sequence[tuple[float, float]]) -> list[Location | None]:
        """Many points at once (one vectorised query); None for a point outside the map."""
        if not len(points):
            return []
        coords = np.asarray(points, dtype=float).reshape(-1, 2)
        found, distance = self.locate_array(coords[:, 0], coords[:, 1])
        result: list[Location | None] = []
        for area_i, metres in zip(found.tolist(), distance.tolist(), strict=True):
            if area_i < 0:
                result.append(None)
            else:
                area = self._buurten[area_i]
                result.append(Location(area.code, area.parent_code, metres))
        return result

    def locate_array(
        self, lon: np.ndarray, lat: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Vectorised: (index into ``buurt_codes`` or -1, snap distance in metres) per point."""
        count = len(lon)
        found = np.full(count, -1, dtype=np.int64)
        distance = np.zeros(count, dtype=float)
        if not count or not self._buurten:
            return found, distance
        points = shapely.points(np.asarray(lon) * self._sx, np.asarray(lat) * self._sy)
        point_i, area_i = self._tree.query(points, predicate="intersects")
        _first_per_point(found, point_i, area_i)
        missing = np.flatnonzero(found < 0)
        if missing.size and self.snap_distance_m > 0:
            (near_point, near_area), metres = self._tree.query_nearest(
                points[missing], max_distance=self.snap_distance_m, return_distance=True
            )
            snapped = np.full(missing.size, -1, dtype=np.int64)
            _first_per_point(snapped, near_point, near_area)
            hit = snapped >= 0
            found[missing[hit]] = snapped[hit]
            # All nearest matches of one point are equally far; take that distance.
            best = np.zeros(missing.size)
            best[near_point] = metres
            distance[missing[hit]] = np.maximum(best[hit], 1e-6)
        return found, distance


def _first_per_point(out: np.ndarray, point_i: np.ndarray, area_i: np.ndarray) -> None:
    """For each point, the lowest area index among its matches (areas are sorted by code)."""
    if not point_i.size:
        return
    order = np.lexsort((area_i, point_i))
    points_sorted = point_i[order]
    first = np.flatnonzero(np.r_[True, points_sorted[1:] != points_sorted[:-1]])
    out[points_sorted[first]] = area_i[order][first]
