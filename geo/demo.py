"""The synthetic map of Demodorp (GM9999), a fictitious municipality for the demo and tests.

Three wijken in a row from north to south, each of two buurten side by side, on an empty
stretch of the Wadden Sea so that it cannot be mistaken for a real place.
"""

from __future__ import annotations

from shapely.geometry import box
from shapely.ops import unary_union

from geo.areas import Area
from geo.postcodes import PostcodePoint

__all__ = ["GEMEENTECODE", "demo_areas", "demo_postcodes"]

GEMEENTECODE = "GM9999"
_WEST, _MID, _EAST = 6.00, 6.03, 6.06
_WIJKEN = (
    # code, name, south, north, (west buurt name, east buurt name)
    ("WK999901", "Noord", 53.32, 53.33, ("Molenhoek", "Vlinderbuurt")),
    ("WK999902", "Centrum", 53.31, 53.32, ("Marktkwartier", "Stationsbuurt")),
    ("WK999903", "Zuid", 53.30, 53.31, ("Beekdal", "Nieuwe Akkers")),
)
# One PC6 per buurt, in the middle of it: letters A/B/C for the wijk, A/B for the buurt.
_PC6_LETTER = {"WK999901": "A", "WK999902": "B", "WK999903": "C"}


def demo_areas() -> list[Area]:
    """Buurten, wijken and the gemeente of Demodorp."""
    buurten: list[Area] = []
    wijken: list[Area] = []
    for code, name, south, north, (west_name, east_name) in _WIJKEN:
        number = code[-2:]
        west = Area(f"BU9999{number}01", west_name, "buurt", code, box(_WEST, south, _MID, north))
        east = Area(f"BU9999{number}02", east_name, "buurt", code, box(_MID, south, _EAST, north))
        buurten += [west, east]
        wijken.append(Area(code, name, "wijk", GEMEENTECODE, box(_WEST, south, _EAST, north)))
    gemeente = Area(GEMEENTECODE, "Demodorp", "gemeente", None,
                    unary_union([w.geometry for w in wijken]))
    return [*buurten, *wijken, gemeente]


def demo_postcodes() -> list[PostcodePoint]:
    """PC6 points in each buurt (9999 AA … 9999 CB), the PC4 centroid 9999, and 9998 AA
    just outside the municipality."""
    points = []
    for area in demo_areas():
        if area.kind != "buurt" or area.parent_code is None:
            continue
        centre = area.geometry.centroid
        letters = _PC6_LETTER[area.parent_code] + ("A" if area.code.endswith("01") else "B")
        points.append(
            PostcodePoint(f"9999{letters}", round(centre.x, 6), round(centre.y, 6), "pc6")
        )
    points.append(PostcodePoint("9999", 6.015, 53.315, "pc4"))
    points.append(PostcodePoint("9998AA", 6.20, 53.315, "pc6"))
    return points
