"""Reading the CBS "Wijk- en buurtkaart" (GeoJSON or GeoPackage) into Areas.

RD New (EPSG:28992) or WGS84 in; WGS84 lon/lat out (reprojected with pyproj). Invalid
polygons are repaired with ``shapely.make_valid`` and reported. A file with only buurten
gets its wijken and gemeenten by dissolving the buurten. Anything wrong raises
:class:`AreaImportError` naming the file and the feature; nothing is half-read.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import shapely
import shapely.geometry
from pyproj import CRS, Transformer
from shapely.geometry.base import BaseGeometry

from geo.areas import Area

__all__ = ["AreaImportError", "ImportResult", "read_areas"]

WGS84 = CRS.from_epsg(4326)
RD_NEW = CRS.from_epsg(28992)
_CODE = re.compile(r"^(BU\d{8}|WK\d{6}|GM\d{4})$")
# Property names over the years: 2021+ ``buurtcode``; before that ``BU_CODE`` etc.
_ALIASES = {
    "buurtcode": ("buurtcode", "bu_code"),
    "buurtnaam": ("buurtnaam", "bu_naam"),
    "wijkcode": ("wijkcode", "wk_code"),
    "wijknaam": ("wijknaam", "wk_naam"),
    "gemeentecode": ("gemeentecode", "gm_code", "statcode"),
    "gemeentenaam": ("gemeentenaam", "gm_naam", "statnaam"),
    "jaar": ("jaar", "jrstatcode", "jaarstatcode"),
}


class AreaImportError(ValueError):
    """A map file cannot be imported; the message says where and why."""


@dataclass(frozen=True)
class ImportResult:
    areas: list[Area]
    year: int | None
    crs: str
    repaired: list[str] = field(default_factory=list)  # codes whose geometry was repaired

    def count(self, kind: str) -> int:
        return sum(1 for area in self.areas if area.kind == kind)


@dataclass(frozen=True)
class _Feature:
    properties: Mapping[str, Any]
    geometry: BaseGeometry | None
    where: str


def read_areas(
    path: Path, gemeenten: Collection[str] = (), *, year: int | None = None
) -> ImportResult:
    """Read buurten (and wijken, gemeenten) from ``path``, keeping only ``gemeenten`` if given.

    Buurt, wijk and gemeente codes must be CBS codes (BU…, WK…, GM…).
    """
    if not path.exists():
        raise AreaImportError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix == ".gpkg":
        features, crs = _read_geopackage(path)
    elif suffix in (".geojson", ".json"):
        features, crs = _read_geojson(path)
    else:
        raise AreaImportError(f"{path}: expected a .geojson, .json or .gpkg file")
    if not features:
        raise AreaImportError(f"{path}: the file holds no features")
    if crs is None:
        crs = _guess_crs(features, path)
    transform = _transformer(crs, path)

    wanted = {code.upper() for code in gemeenten}
    areas: dict[str, Area] = {}
    repaired: list[str] = []
    years: set[int] = set()
    names: dict[str, str] = {}  # wijk and gemeente names as the buurt features give them
    for feature in features:
        area, was_repaired = _area(feature, transform, path)
        if area is None:
            continue
        if wanted and f"GM{area.code[2:6]}" not in wanted:
            continue
        if area.code in areas:
            raise AreaImportError(f"{path}: {feature.where}: code {area.code} occurs twice")
        areas[area.code] = area
        if was_repaired:
            repaired.append(area.code)
        for code_key, name_key in (("wijkcode", "wijknaam"), ("gemeentecode", "gemeentenaam")):
            code_value, name_value = (_prop(feature.properties, code_key),
                                      _prop(feature.properties, name_key))
            if code_value and name_value:
                names.setdefault(str(code_value).upper(), str(name_value).strip())
        found_year = _year(feature.properties)
        if found_year:
            years.add(found_year)
    if not any(area.kind == "buurt" for area in areas.values()):
        which = f" of {', '.join(sorted(wanted))}" if wanted else ""
        raise AreaImportError(f"{path}: no buurten{which} in the file")
    if year is None and len(years) > 1:
        raise AreaImportError(f"{path}: the file mixes map years {sorted(years)}; give the year")
    result = _with_dissolved(list(areas.values()), names)
    return ImportResult(
        areas=sorted(result, key=lambda a: (a.kind != "buurt", a.code)),
        year=year or (years.pop() if years else None),
        crs=crs.to_string(),
        repaired=sorted(repaired),
    )


def _prop(properties: Mapping[str, Any], name: str) -> Any:
    lowered = {str(k).lower(): v for k, v in properties.items()}
    for alias in _ALIASES[name]:
        value = lowered.get(alias)
        if value not in (None, ""):
            return value
    return None


def _year(properties: Mapping[str, Any]) -> int | None:
    value = _prop(properties, "jaar")
    if value is None:
        return None
    match = re.match(r"^(\d{4})", str(value))
    return int(match.group(1)) if match else None


def _area(
    feature: _Feature, transform: Transformer | None, path: Path
) -> tuple[Area | None, bool]:
    props = feature.properties
    buurt, wijk = _prop(props, "buurtcode"), _prop(props, "wijkcode")
    gemeente = _prop(props, "gemeentecode")
    if buurt:
        code, name, kind = str(buurt), _prop(props, "buurtnaam"), "buurt"
        parent = str(wijk) if wijk else f"WK{str(buurt)[2:8]}"
    elif wijk:
        code, name, kind = str(wijk), _prop(props, "wijknaam"), "wijk"
        parent = str(gemeente) if gemeente else f"GM{str(wijk)[2:6]}"
    elif gemeente:
        code, name, kind, parent = str(gemeente), _prop(props, "gemeentenaam"), "gemeente", None
    else:
        raise AreaImportError(
            f"{path}: {feature.where}: no buurtcode, wijkcode or gemeentecode property"
        )
    code = code.strip().upper()
    if not _CODE.match(code) or code[:2] != {"buurt": "BU", "wijk": "WK", "gemeente": "GM"}[kind]:
        raise AreaImportError(f"{path}: {feature.where}: {code!r} is not a CBS {kind} code")
    geometry = feature.geometry
    if geometry is None or geometry.is_empty:
        raise AreaImportError(f"{path}: {feature.where} ({code}): no geometry")
    if geometry.geom_type not in ("Polygon", "MultiPolygon"):
        raise AreaImportError(
            f"{path}: {feature.where} ({code}): expected a polygon, got {geometry.geom_type}"
        )
    if transform is not None:
        geometry = shapely.transform(
            geometry, lambda xy: _apply(transform, xy), include_z=False
        )
    was_repaired = False
    if not geometry.is_valid:
        geometry = _polygonal(shapely.make_valid(geometry))
        was_repaired = True
        if geometry.is_empty:
            raise AreaImportError(f"{path}: {feature.where} ({code}): the polygon has no area")
    name_text = str(name).strip() if name else code
    return Area(code, name_text, kind, parent, geometry), was_repaired


def _apply(transform: Transformer, xy: Any) -> Any:
    import numpy as np

    x, y = transform.transform(xy[:, 0], xy[:, 1])
    return np.column_stack([x, y])


def _polygonal(geometry: BaseGeometry) -> BaseGeometry:
    """Keep the polygons of a repaired geometry (make_valid may add lines or points)."""
    if geometry.geom_type in ("Polygon", "MultiPolygon"):
        return geometry
    parts = [
        part for part in getattr(geometry, "geoms", [geometry])
        if part.geom_type in ("Polygon", "MultiPolygon")
    ]
    return shapely.union_all(parts) if parts else shapely.geometry.Polygon()


def _with_dissolved(areas: list[Area], names: Mapping[str, str]) -> list[Area]:
    """Wijken and gemeenten made from their buurten (names kept from the file if present)."""
    by_code = {area.code: area for area in areas}
    buurten = [area for area in areas if area.kind == "buurt"]
    wijk_parts: dict[str, list[BaseGeometry]] = defaultdict(list)
    gemeente_parts: dict[str, list[BaseGeometry]] = defaultdict(list)
    for buurt in buurten:
        wijk_code = buurt.parent_code or f"WK{buurt.code[2:8]}"
        wijk_parts[wijk_code].append(buurt.geometry)
        gemeente_parts[f"GM{buurt.code[2:6]}"].append(buurt.geometry)
    result = list(buurten)
    for code, parts in sorted(wijk_parts.items()):
        known = by_code.get(code)
        result.append(Area(code, known.name if known else names.get(code, code), "wijk",
                           f"GM{code[2:6]}",
                           shapely.union_all(parts)))
    for code, parts in sorted(gemeente_parts.items()):
        known = by_code.get(code)
        result.append(Area(code, known.name if known else names.get(code, code), "gemeente", None,
                           shapely.union_all(parts)))
    return result


def _read_geojson(path: Path) -> tuple[list[_Feature], CRS | None]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise AreaImportError(f"{path}: not valid GeoJSON: {exc}") from exc
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise AreaImportError(f"{path}: expected a GeoJSON FeatureCollection")
    crs = None
    name = ((data.get("crs") or {}).get("properties") or {}).get("name")
    if name:
        try:
            crs = CRS.from_user_input(name)
        except Exception as exc:  # noqa: BLE001 - pyproj raises its own CRSError
            raise AreaImportError(f"{path}: unknown coordinate system {name!r}") from exc
    features = []
    for number, item in enumerate(data.get("features") or [], start=1):
        where = f"feature {number}"
        if not isinstance(item, dict):
            raise AreaImportError(f"{path}: {where}: not a GeoJSON feature")
        try:
            geometry = shapely.geometry.shape(item["geometry"]) if item.get("geometry") else None
        except (KeyError, TypeError, ValueError, shapely.errors.GEOSException) as exc:
            raise AreaImportError(f"{path}: {where}: invalid geometry: {exc}") from exc
        features.append(_Feature(item.get("properties") or {}, geometry, where))
    return features, crs


_ENVELOPE_BYTES = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}


def _gpkg_geometry(blob: bytes) -> BaseGeometry | None:
    """A GeoPackage geometry blob: 'GP', version, flags, srs id, envelope, then WKB."""
    if blob is None:
        return None
    if blob[:2] != b"GP":
        raise ValueError("not a GeoPackage geometry")
    flags = blob[3]
    envelope = _ENVELOPE_BYTES.get((flags >> 1) & 0b111)
    if envelope is None:
        raise ValueError("unknown envelope type")
    if flags & 0b10000:  # empty geometry
        return None
    header = 8 + envelope
    return shapely.from_wkb(bytes(blob[header:]))


def _read_geopackage(path: Path) -> tuple[list[_Feature], CRS | None]:
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise AreaImportError(f"{path}: cannot open GeoPackage: {exc}") from exc
    try:
        try:
            layers = connection.execute(
                "SELECT c.table_name, g.column_name, s.organization, s.organization_coordsys_id "
                "FROM gpkg_contents c JOIN gpkg_geometry_columns g USING (table_name) "
                "LEFT JOIN gpkg_spatial_ref_sys s ON s.srs_id = g.srs_id "
                "WHERE c.data_type = 'features'"
            ).fetchall()
        except sqlite3.Error as exc:
            raise AreaImportError(f"{path}: not a GeoPackage: {exc}") from exc
        # Prefer the buurt layer; read wijk and gemeente layers for their names too.
        features: list[_Feature] = []
        crs: CRS | None = None
        for table, column, organization, srs in _ordered_layers(layers):
            if organization and srs is not None and int(srs) > 0:
                layer_crs = CRS.from_authority(str(organization).upper(), int(srs))
                if crs is not None and layer_crs != crs:
                    raise AreaImportError(f"{path}: layers use different coordinate systems")
                crs = layer_crs
            cursor = connection.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - from gpkg
            names = [d[0] for d in cursor.description]
            for number, row in enumerate(cursor, start=1):
                record = dict(zip(names, row, strict=True))
                blob = record.pop(column)
                try:
                    geometry = _gpkg_geometry(blob)
                except (ValueError, shapely.errors.GEOSException) as exc:
                    raise AreaImportError(
                        f"{path}: layer {table} feature {number}: invalid geometry: {exc}"
                    ) from exc
                features.append(_Feature(record, geometry, f"layer {table} feature {number}"))
        return features, crs
    finally:
        connection.close()


def _ordered_layers(layers: Iterable[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    def rank(layer: tuple[Any, ...]) -> int:
        name = str(layer[0]).lower()
        return 0 if "buurt" in name else 1 if "wijk" in name else 2
    return sorted(layers, key=rank)


def _guess_crs(features: list[_Feature], path: Path) -> CRS:
    """No CRS given: GeoJSON says WGS84; coordinates in metres are taken as RD New."""
    geometries = [f.geometry for f in features if f.geometry is not None]
    if not geometries:
        return WGS84  # every feature lacks a geometry: reported per feature
    bounds = shapely.total_bounds(geometries)
    minx, miny, maxx, maxy = (float(v) for v in bounds)
    if -180 <= minx and maxx <= 180 and -90 <= miny and maxy <= 90:
        return WGS84
    if -7000 <= minx and maxx <= 300000 and 289000 <= miny and maxy <= 629000:
        return RD_NEW
    raise AreaImportError(
        f"{path}: the coordinates are neither WGS84 nor RD New (EPSG:28992); give the CRS"
    )


def _transformer(crs: CRS, path: Path) -> Transformer | None:
    if crs.equals(WGS84, ignore_axis_order=True):
        return None
    if crs.to_epsg() not in (28992, 3857, 4258, 3035, 25831, 25832):
        raise AreaImportError(
            f"{path}: coordinate system {crs.to_string()} is not supported; "
            "use RD New (EPSG:28992) or WGS84"
        )
    return Transformer.from_crs(crs, WGS84, always_xy=True)
