"""Geography for Wijkloket: postcodes, areas, point → buurt, and coverage.

A plain library: no web framework and no database. Plain values in, plain values out.
"""

from geo.areas import Area, AreaIndex, Location, area_from_geojson_feature
from geo.coverage import Assignment, CoverageReport, check_coverage, responsible_for
from geo.postcodes import (
    HouseNumber,
    InvalidHouseNumber,
    InvalidPostcode,
    PostcodePoint,
    PostcodeTable,
    format_postcode,
    normalize_postcode,
    parse_house_number,
    read_pc4_csv,
)

__all__ = [
    "Area",
    "AreaIndex",
    "Assignment",
    "CoverageReport",
    "HouseNumber",
    "InvalidHouseNumber",
    "InvalidPostcode",
    "Location",
    "PostcodePoint",
    "PostcodeTable",
    "area_from_geojson_feature",
    "check_coverage",
    "format_postcode",
    "normalize_postcode",
    "parse_house_number",
    "read_pc4_csv",
    "responsible_for",
]
