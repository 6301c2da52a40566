"""geo: postcodes, point → buurt, coverage; on the demo map and on real CBS data."""

from __future__ import annotations

import json

import pytest
from shapely.geometry import box

from geo import (
    Area,
    AreaIndex,
    Assignment,
    InvalidHouseNumber,
    InvalidPostcode,
    PostcodePoint,
    PostcodeTable,
    area_from_geojson_feature,
    check_coverage,
    format_postcode,
    normalize_postcode,
    parse_house_number,
    read_pc4_csv,
    responsible_for,
)
from geo.demo import demo_areas, demo_postcodes


@pytest.mark.parametrize(
    ("text", "expected"),
    [("6411 AB", "6411AB"), ("6411ab", "6411AB"), (" 6411  ab ", "6411AB"), ("6411-AB", "6411AB")],
)
def test_postcodes_are_normalised_whatever_the_spacing_or_case(text, expected):
    assert normalize_postcode(text) == expected
    assert format_postcode(text) == "6411 AB"


@pytest.mark.parametrize("text", ["", "641AB", "0411AB", "6411A", "6411 SS", "ABCD12", "64111AB"])
def test_invalid_postcodes_are_refused(text):
    with pytest.raises(InvalidPostcode):
        normalize_postcode(text)


@pytest.mark.parametrize(
    ("text", "number", "addition"),
    [("12", 12, ""), ("12a", 12, "A"), ("12-3", 12, "3"), ("12 bis", 12, "BIS"), ("1 / 2", 1, "2")],
)
def test_house_numbers_with_additions(text, number, addition):
    parsed = parse_house_number(text)
    assert (parsed.number, parsed.addition) == (number, addition)


@pytest.mark.parametrize("text", ["", "0", "a12", "12 abcde", "123456"])
def test_invalid_house_numbers_are_refused(text):
    with pytest.raises(InvalidHouseNumber):
        parse_house_number(text)


def test_postcode_table_falls_back_to_the_pc4_centroid_marked_approximate():
    table = PostcodeTable([PostcodePoint("9999AA", 6.0, 53.0, "pc6"),
                           PostcodePoint("9999", 6.1, 53.1, "pc4")])
    assert not table.lookup("9999 aa").approximate
    fallback = table.lookup("9999 ZZ")
    assert fallback.postcode == "9999" and fallback.approximate
    assert table.lookup("1234 AB") is None


def test_demo_postcodes_land_in_the_buurten_the_readme_names():
    index = AreaIndex(demo_areas())
    table = PostcodeTable(demo_postcodes())
    expected = {"9999 AA": "BU99990101", "9999 BA": "BU99990201", "9999 CA": "BU99990301"}
    for postcode, buurt in expected.items():
        point = table.lookup(postcode)
        assert index.locate(point.lon, point.lat).buurt_code == buurt
    outside = table.lookup("9998 AA")
    assert index.locate(outside.lon, outside.lat) is None


def test_a_point_on_a_shared_border_resolves_the_same_way_every_time():
    # 6.03 is the border between the west and east buurten of every wijk.
    index = AreaIndex(demo_areas())
    reversed_index = AreaIndex(list(reversed(demo_areas())))
    assert index.locate(6.03, 53.325).buurt_code == "BU99990101"
    assert reversed_index.locate(6.03, 53.325).buurt_code == "BU99990101"


def test_a_point_just_outside_snaps_to_the_nearest_buurt_within_the_distance():
    index = AreaIndex(demo_areas(), snap_distance_m=150)
    # 0.001 degree of longitude at 53.3° N is about 67 m east of the map.
    near = index.locate(6.061, 53.305)
    assert near.buurt_code == "BU99990302" and near.snapped
    assert 50 < near.distance_m < 80
    assert index.locate(6.064, 53.305) is None  # about 267 m out
    assert AreaIndex(demo_areas(), snap_distance_m=0).locate(6.061, 53.305) is None


def test_locate_many_agrees_with_locate():
    index = AreaIndex(demo_areas())
    points = [(6.01, 53.301), (6.05, 53.329), (7.0, 50.0), (6.061, 53.315)]
    assert index.locate_many(points) == [index.locate(lon, lat) for lon, lat in points]


def test_coverage_reports_gaps_overlaps_and_unknown_areas():
    buurten = [("BU1", "WK1", "GM1"), ("BU2", "WK1", "GM1"), ("BU3", "WK2", "GM1")]
    assignments = [
        Assignment("WK1", "wmo", "team:noord"),
        Assignment("BU3", "wmo", "team:zuid"),
        Assignment("BU3", "wmo", "team:oost"),  # overlap
        Assignment("GM1", "jeugd", "team:jeugd"),
        Assignment("WK9", "jeugd", "team:jeugd"),  # not on the map
    ]
    report = check_coverage(buurten, ["wmo", "jeugd", "schulden"], assignments)
    assert not report.ok
    assert report.gaps == [("BU1", "schulden"), ("BU2", "schulden"), ("BU3", "schulden")]
    assert report.overlaps == [("BU3", "wmo", ["team:oost", "team:zuid"])]
    assert report.unknown_areas == ["WK9"]
    assert responsible_for(("BU1", "WK1", "GM1"), "wmo", assignments) == ["team:noord"]


def test_the_most_specific_level_decides_so_a_buurt_can_override_its_wijk():
    assignments = [Assignment("WK1", "wmo", "team:a"), Assignment("BU2", "wmo", "team:b")]
    report = check_coverage([("BU1", "WK1", "GM1"), ("BU2", "WK1", "GM1")], ["wmo"], assignments)
    assert report.ok
    assert responsible_for(("BU2", "WK1", "GM1"), "wmo", assignments) == ["team:b"]


def test_areas_from_a_cbs_feature():
    feature = {
        "type": "Feature",
        "properties": {"buurtcode": "BU09171001", "buurtnaam": "Centrum", "wijkcode": "WK091710"},
        "geometry": json.loads(json.dumps(box(5.9, 50.9, 5.91, 50.91).__geo_interface__)),
    }
    area = area_from_geojson_feature(feature)
    assert (area.code, area.name, area.kind, area.parent_code) == (
        "BU09171001", "Centrum", "buurt", "WK091710")


def _real_buurten(shared_data) -> list[Area]:
    data = json.loads((shared_data / "geo" / "buurten_4gemeenten.geojson").read_text())
    return [area_from_geojson_feature(f) for f in data["features"]]


def test_real_pc4_points_land_in_a_buurt_of_their_own_gemeente(shared_data):
    """The PC4 address points of Heerlen, Hengelo, Utrecht and Rotterdam (147 rows)."""
    index = AreaIndex(_real_buurten(shared_data), snap_distance_m=0)
    points = read_pc4_csv(shared_data / "geo" / "postcodes_pc4_4gemeenten.csv")
    assert len(points) == 147  # PO boxes are skipped
    located = index.locate_many([(p.lon, p.lat) for p in points])
    rows = {row.split(",")[0]: row.split(",")[4] for row in
            (shared_data / "geo" / "postcodes_pc4_4gemeenten.csv").read_text().splitlines()[1:]}
    in_own = sum(
        1 for point, loc in zip(points, located, strict=True)
        if loc is not None and loc.buurt_code[2:6] == rows[point.postcode][2:6]
    )
    assert in_own / len(points) >= 0.99, in_own
    by_pc = dict(zip((p.postcode for p in points), located, strict=True))
    assert by_pc["3081"].wijk_code == "WK059915"  # Tarwewijk, Charlois
    assert "WK091710" <= by_pc["6431"].wijk_code <= "WK091714"  # Hoensbroek
