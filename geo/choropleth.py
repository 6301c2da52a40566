"""A choropleth of a municipality's areas: SVG from our own geometries, no tiles, no script.

Three steps, each plain values in and plain values out:

- :func:`shapes` projects the areas (GeoJSON in WGS84) to RD New (EPSG:28992, the Dutch
  national grid, conformal, so the map is not stretched), scales them into a viewBox of a
  given width, drops detail below half a pixel and writes each area as compact SVG path
  data with a label point;
- :func:`classes` puts the figures per area into a few quantile classes;
- :func:`render_svg` writes the accessible SVG document from the two and the colours.

The map of a municipality only changes with its areas, so a caller may compute
:func:`shapes` once and keep it; :func:`classes` and :func:`render_svg` are cheap.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType
from typing import Any
from xml.sax.saxutils import escape

import numpy as np
import numpy.typing as npt
import shapely
import shapely.geometry
from pyproj import Transformer
from shapely.geometry.base import BaseGeometry

__all__ = ["Classification", "MapShape", "ShapeMap", "classes", "render_svg", "shapes"]

#: Details smaller than this (in px of the viewBox) are simplified away.
_DETAIL_PX = 0.5
#: Islands and holes with less area than this (px²) are left out; the largest part of an
#: area always stays, so every area keeps a path.
_MIN_PART_PX2 = _DETAIL_PX * _DETAIL_PX


@dataclass(frozen=True)
class MapShape:
    """One area on the map: SVG path data (``fill-rule="evenodd"``) in viewBox units."""

    code: str
    name: str
    path: str
    label: tuple[float, float]  # a point inside the drawn area, for an optional label


@dataclass(frozen=True)
class ShapeMap:
    """The areas drawn into ``viewBox="0 0 width height"`` (y pointing down), in the
    order given.

    ``bounds_rd`` are the projected bounds (min x, min y, max x, max y) in RD New metres,
    ``metres_per_unit`` the scale (for a scale bar) and ``margin`` the empty border in
    viewBox units around the drawing, so that the outer strokes are not cut off.
    """

    width: float
    height: float
    margin: float
    bounds_rd: tuple[float, float, float, float]
    metres_per_unit: float
    shapes: tuple[MapShape, ...]

    @property
    def view_box(self) -> str:
        return f"0 0 {_number(self.width)} {_number(self.height)}"


def shapes(
    areas: Sequence[tuple[str, str, Mapping[str, Any] | BaseGeometry]],
    *,
    width: float = 600,
    precision: int = 1,
    margin: float = 1.0,
) -> ShapeMap:
    """The areas ``(code, name, geometry)``, geometry a GeoJSON (Multi)Polygon in WGS84
    lon/lat (or a shapely geometry in the same), drawn into a viewBox ``width`` wide.

    The height follows from the projected bounds, so the aspect ratio is the true one.
    Detail below half a pixel is simplified away: when the areas form a clean coverage
    (neighbours share their border vertices, as CBS buurten do) the shared borders are
    simplified once for both sides, so no slivers open between neighbours; otherwise each
    area is simplified on its own (Douglas-Peucker, topology preserved). Coordinates are
    rounded to ``precision`` decimals; after the first point of a ring they are relative.

    Raises ``ValueError`` for no areas, a repeated code, a geometry that is not a polygon
    or is empty, coordinates that are not lon/lat (RD New metres given by mistake), a width
    or margin that leaves no room, or a negative precision.
    """
    if not areas:
        raise ValueError("no areas to draw")
    if precision < 0:
        raise ValueError("precision must be 0 or more decimals")
    if margin < 0 or width <= 2 * margin:
        raise ValueError("width must be more than twice the margin")
    codes = [code for code, _, _ in areas]
    if len(set(codes)) != len(codes):
        raise ValueError("each area code may appear only once")

    geometries = np.array([_polygonal(code, geometry) for code, _, geometry in areas],
                          dtype=object)
    projected = shapely.transform(geometries, _to_rd)
    min_x, min_y, max_x, max_y = (float(v) for v in shapely.total_bounds(projected))
    if not all(map(math.isfinite, (min_x, min_y, max_x, max_y))):
        raise ValueError("the coordinates are not WGS84 longitude and latitude")
    span_x, span_y = max_x - min_x, max_y - min_y
    if span_x <= 0 or span_y <= 0:
        raise ValueError("the areas have no extent to draw")
    scale = (width - 2 * margin) / span_x  # px per metre
    height = round(span_y * scale + 2 * margin, precision)

    def to_px(xy: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        return np.column_stack(
            [margin + (xy[:, 0] - min_x) * scale, margin + (max_y - xy[:, 1]) * scale]
        )

    drawn = _simplified(shapely.transform(projected, to_px))
    factor = 10**precision
    result = []
    for (code, name, _), geometry in zip(areas, drawn, strict=True):
        path, largest = _path(geometry, factor, precision)
        label = shapely.point_on_surface(largest)
        result.append(MapShape(code, name, path,
                               (round(label.x, precision), round(label.y, precision))))
    return ShapeMap(float(width), float(height), float(margin),
                    (min_x, min_y, max_x, max_y), 1 / scale, tuple(result))


@lru_cache(maxsize=1)
def _wgs84_to_rd() -> Transformer:
    # pyproj's Transformer is thread-safe (pyproj >= 3.1), so one serves every request.
    return Transformer.from_crs("EPSG:4326", "EPSG:28992", always_xy=True)


def _to_rd(xy: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    x, y = _wgs84_to_rd().transform(xy[:, 0], xy[:, 1])
    return np.column_stack([x, y])


def _polygonal(code: str, geometry: Mapping[str, Any] | BaseGeometry) -> BaseGeometry:
    shape = (geometry if isinstance(geometry, BaseGeometry)
             else shapely.geometry.shape(geometry))
    if not shape.is_valid:
        shape = shapely.make_valid(shape)
    if shape.geom_type == "GeometryCollection":  # make_valid may add lines or points
        parts = [p for p in shapely.get_parts(shape) if p.geom_type in _POLYGONAL]
        shape = shapely.union_all(parts) if parts else shapely.Polygon()
    if shape.geom_type not in _POLYGONAL:
        raise ValueError(f"{code}: a {shape.geom_type} is not an area")
    if shape.is_empty or shape.area <= 0:
        raise ValueError(f"{code}: the geometry is empty")
    return shape


_POLYGONAL = ("Polygon", "MultiPolygon")


def _simplified(geometries: npt.NDArray[np.object_]) -> npt.NDArray[np.object_]:
    if bool(shapely.coverage_is_valid(geometries)):
        # Visvalingam-Whyatt on the shared edges: removes triangles of about
        # _DETAIL_PX² or less, the same edge the same way for both neighbours.
        simplified = shapely.coverage_simplify(geometries, _DETAIL_PX)
    else:
        simplified = shapely.simplify(geometries, _DETAIL_PX, preserve_topology=True)
    # Simplification never empties a polygon in either mode; keep the original if it did.
    return np.where(shapely.is_empty(simplified), geometries, simplified)


def _path(geometry: BaseGeometry, factor: int, precision: int) -> tuple[str, BaseGeometry]:
    """SVG path data of a polygonal geometry in px, and its largest polygon."""
    parts = sorted(shapely.get_parts(geometry), key=lambda p: -p.area)
    rings: list[str] = []
    for i, polygon in enumerate(parts):
        if i and polygon.area < _MIN_PART_PX2:
            continue  # an island too small to see
        exterior = _ring(polygon.exterior.coords, factor, precision)
        if exterior is None and i == 0:
            # The whole area is smaller than the rounding: it still gets its (tiny) path.
            exterior = _ring(polygon.exterior.coords, factor, precision, keep=True)
        if exterior is None:
            continue
        rings.append(exterior)
        for hole in polygon.interiors:
            if abs(_shoelace(np.asarray(hole.coords))) >= _MIN_PART_PX2:
                ring = _ring(hole.coords, factor, precision)
                if ring is not None:
                    rings.append(ring)
    return "".join(rings), parts[0]


def _ring(coords: Any, factor: int, precision: int, *, keep: bool = False) -> str | None:
    """``M x y l dx dy … Z`` of a closed ring; None when rounding leaves no area."""
    points = np.rint(np.asarray(coords, dtype=float)[:, :2] * factor).astype(np.int64)
    deltas = np.diff(points, axis=0)
    # Drop the steps that rounding made zero, and the last one, back to the start of the
    # closed ring: Z draws it.
    steps = deltas[np.any(deltas != 0, axis=1)][:-1]
    if len(steps) < 2 and not keep:
        return None
    head = f"M{_fixed(int(points[0, 0]), factor, precision)} " \
           f"{_fixed(int(points[0, 1]), factor, precision)}"
    if not len(steps):
        return head + "Z"
    return f"{head}l{_numbers(steps.ravel().tolist(), factor, precision)}Z"


def _numbers(values: list[int], factor: int, precision: int) -> str:
    # A minus sign separates numbers in SVG path data, so a space is needed only before
    # a positive number.
    out: list[str] = []
    for value in values:
        text = _fixed(value, factor, precision)
        if out and not text.startswith("-"):
            out.append(" ")
        out.append(text)
    return "".join(out)


def _fixed(value: int, factor: int, precision: int) -> str:
    """An integer count of ``1/factor`` units as the shortest decimal (``-.5``, ``12``)."""
    whole, fraction = divmod(abs(value), factor)
    sign = "-" if value < 0 else ""
    if not fraction:
        return f"{sign}{whole}"
    digits = f"{fraction:0{precision}d}".rstrip("0")
    return f"{sign}{whole or ''}.{digits}"


def _number(value: float) -> str:
    return f"{value:.6f}".rstrip("0").rstrip(".")


def _shoelace(xy: npt.NDArray[np.float64]) -> float:
    x, y = xy[:, 0], xy[:, 1]
    return float(np.dot(x[:-1], y[1:]) - np.dot(x[1:], y[:-1])) / 2


# --- Classes ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Classification:
    """Classes of figures: ``ranges[i]`` is the (lowest, highest) figure in class ``i``,
    ascending and not overlapping; ``class_of`` maps each code to its class, or to None
    when it has no figure (suppressed or unknown)."""

    ranges: tuple[tuple[float, float], ...]
    class_of: Mapping[str, int | None]

    @property
    def count(self) -> int:
        return len(self.ranges)

    @property
    def breaks(self) -> tuple[float, ...]:
        """The upper bound of each class."""
        return tuple(high for _, high in self.ranges)

    def classify(self, value: float | None) -> int | None:
        """The class a figure falls in: the first whose upper bound it does not exceed
        (the top class for anything higher); None for no figure or no classes."""
        if value is None or math.isnan(value) or not self.ranges:
            return None
        for i, high in enumerate(self.breaks):
            if value <= high:
                return i
        return len(self.ranges) - 1


def classes(values: Mapping[str, float | None], *, count: int = 5) -> Classification:
    """Quantile classes: at most ``count`` classes with about the same number of areas each.

    Quantiles rather than equal intervals because figures per buurt are skewed (a few busy
    buurten would leave every other one in the lowest of equal-width classes) and because
    every colour then carries information. Equal figures always share a class, so a class
    boundary never separates two areas with the same figure (figures rounded to multiples
    of 5 tie a lot); after a large tie the other areas are shared out again over the classes
    left. There are ``count`` classes whenever there are that many distinct figures; fewer
    distinct figures each get their own class, equal figures everywhere one class; a class
    is never empty. The ranges are real figures of the input, so a legend shows no figure
    that does not occur. Deterministic: the result depends only on the multiset of figures,
    not on the order of the mapping.

    None (and NaN) means "no figure": its code gets class None and takes no part in the
    breaks. Raises ``ValueError`` for ``count < 1`` or an infinite figure.
    """
    if count < 1:
        raise ValueError("count must be at least 1")
    known = {code: float(v) for code, v in values.items() if v is not None and not math.isnan(v)}
    if any(math.isinf(v) for v in known.values()):
        raise ValueError("a figure is infinite")
    distinct, counts = np.unique(np.array(list(known.values()), dtype=float),
                                 return_counts=True)
    group_class = _quantile_groups(counts.tolist(), count)
    ranges: list[tuple[float, float]] = []
    for value, cls in zip(distinct.tolist(), group_class, strict=True):
        if cls == len(ranges):
            ranges.append((value, value))
        else:
            ranges[cls] = (ranges[cls][0], value)
    by_value = dict(zip(distinct.tolist(), group_class, strict=True))
    class_of = {code: (by_value[known[code]] if code in known else None) for code in values}
    return Classification(tuple(ranges), MappingProxyType(class_of))


def _quantile_groups(sizes: list[int], count: int) -> list[int]:
    """The class of each group of equal figures (ascending, ``sizes[i]`` areas each).

    Each class takes groups until it holds its share of the areas still to place (stopping
    before a group that would overshoot the share by more than stopping undershoots it), so
    after a large tie the rest are shared out again over the remaining classes; and it stops
    when just one group per remaining class is left, so all ``count`` classes are used
    whenever there are that many distinct figures.
    """
    result: list[int] = []
    left_areas, left_classes, i = sum(sizes), count, 0
    while i < len(sizes):
        share, taken = left_areas / left_classes, 0
        while i < len(sizes):
            if taken and len(sizes) - i <= left_classes - 1:
                break
            if taken and taken + sizes[i] - share > share - taken:
                break
            taken += sizes[i]
            result.append(count - left_classes)
            i += 1
            if taken >= share:
                break
        left_areas -= taken
        left_classes -= 1
    return result


# --- SVG --------------------------------------------------------------------------------------

_ID = re.compile(r"[A-Za-z][A-Za-z0-9_-]*\Z")
# Characters XML 1.0 cannot hold at all, not even escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def render_svg(
    chart: ShapeMap,
    classification: Classification,
    colours: Sequence[str],
    *,
    title: str,
    description: str,
    value_texts: Mapping[str, str],
    no_data_colour: str = "#ffffff",
    stroke: str = "#ffffff",
    labels: bool = False,
    font_size: float = 10,
    id_prefix: str = "choropleth",
) -> str:
    """The choropleth as one SVG document (``role="img"`` with ``<title>`` and ``<desc>``).

    Each area is a path filled with ``colours[class]``, with a ``<title>`` of its name and
    ``value_texts[code]`` (text the caller formats, such as "fewer than 10"; the name alone
    when missing) and ``data-code``/``class`` attributes for styling and tests. An area
    without a class (no figure) is hatched grey on ``no_data_colour``, so "no figure" never
    looks like the lightest class. ``labels`` writes the names at the label points
    (hidden from assistive technology; the titles and the caller's table carry the text).
    ``id_prefix`` keeps the ids unique when a page shows several maps.

    All text is escaped. Raises ``ValueError`` when there are fewer colours than classes
    or the prefix is not a plain id.
    """
    if len(colours) < classification.count:
        raise ValueError(f"{classification.count} classes need as many colours")
    if not _ID.match(id_prefix):
        raise ValueError("id_prefix must be a letter followed by letters, digits, - or _")
    title_id, desc_id, hatch_id = (f"{id_prefix}-title", f"{id_prefix}-desc",
                                   f"{id_prefix}-nodata")
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{chart.view_box}" role="img"'
        f' aria-labelledby="{title_id} {desc_id}" class="choropleth">',
        f'<title id="{title_id}">{_text(title)}</title>',
        f'<desc id="{desc_id}">{_text(description)}</desc>',
        f'<defs><pattern id="{hatch_id}" width="4" height="4" patternUnits="userSpaceOnUse"'
        f' patternTransform="rotate(45)"><rect width="4" height="4"'
        f' fill="{_attr(no_data_colour)}"/><path d="M0 0V4" stroke="#767676"/></pattern></defs>',
        f'<g fill-rule="evenodd" stroke="{_attr(stroke)}" stroke-width="0.5"'
        ' stroke-linejoin="round">',
    ]
    for shape in chart.shapes:
        cls = classification.class_of.get(shape.code)
        fill, css = ((f"url(#{hatch_id})", "nodata") if cls is None
                     else (_attr(colours[cls]), f"c{cls}"))
        value = value_texts.get(shape.code)
        tooltip = f"{shape.name}: {value}" if value else shape.name
        out.append(f'<path d="{shape.path}" fill="{fill}" class="{css}"'
                   f' data-code="{_attr(shape.code)}"><title>{_text(tooltip)}</title></path>')
    out.append("</g>")
    if labels:
        out.append(f'<g aria-hidden="true" font-size="{_number(font_size)}"'
                   ' text-anchor="middle" dominant-baseline="middle" pointer-events="none">')
        out.extend(f'<text x="{_number(s.label[0])}" y="{_number(s.label[1])}">'
                   f"{_text(s.name)}</text>" for s in chart.shapes)
        out.append("</g>")
    out.append("</svg>")
    return "".join(out)


def _text(value: str) -> str:
    return escape(_NOT_XML.sub("", value))


def _attr(value: str) -> str:
    return escape(_NOT_XML.sub("", value), {'"': "&quot;"})
