"""Importing CBS maps: GeoJSON and GeoPackage, WGS84 and RD New, repairs and bad files."""

from __future__ import annotations

import json
import sqlite3
import struct
from pathlib import Path

import pytest
import shapely
from pyproj import Transformer
from shapely.geometry import Polygon, box, mapping

from geo import AreaIndex
from geo.importer import AreaImportError, read_areas

TO_RD = Transformer.from_crs(4326, 28992, always_xy=True)


def _feature(code: str, geometry, **extra) -> dict:
    props = {"buurtcode": code, "buurtnaam": f"Buurt {code[-2:]}", "wijkcode": f"WK{code[2:8]}",
             "wijknaam": f"Wijk {code[6:8]}", "gemeentecode": f"GM{code[2:6]}", "jaar": 2025}
    props.update(extra)
    return {"type": "Feature", "properties": props, "geometry": mapping(geometry)}


def _write(path: Path, features: list[dict], crs: str | None = None) -> Path:
    data: dict = {"type": "FeatureCollection", "features": features}
    if crs:
        data["crs"] = {"type": "name", "properties": {"name": crs}}
    path.write_text(json.dumps(data))
    return path


def _to_rd(geometry):
    return shapely.transform(geometry, lambda xy: list(zip(*TO_RD.transform(xy[:, 0], xy[:, 1]),
                                                           strict=True)))


TWO_BUURTEN = [box(5.90, 50.90, 5.95, 50.95), box(5.95, 50.90, 6.00, 50.95)]


def test_buurten_in_wgs84_with_dissolved_wijken_and_gemeente(tmp_path):
    path = _write(tmp_path / "map.geojson", [
        _feature("BU01230101", TWO_BUURTEN[0]), _feature("BU01230102", TWO_BUURTEN[1]),
        _feature("BU04560101", box(4, 52, 4.1, 52.1)),
    ])
    result = read_areas(path, ["GM0123"])
    assert (result.count("buurt"), result.count("wijk"), result.count("gemeente")) == (2, 1, 1)
    assert result.year == 2025
    wijk = next(a for a in result.areas if a.kind == "wijk")
    assert (wijk.code, wijk.name, wijk.parent_code) == ("WK012301", "Wijk 01", "GM0123")
    assert wijk.geometry.equals(box(5.90, 50.90, 6.00, 50.95))


@pytest.mark.parametrize("crs", ["EPSG:28992", "urn:ogc:def:crs:EPSG::28992", None])
def test_rd_new_is_reprojected_to_wgs84(tmp_path, crs):
    features = [_feature("BU01230101", _to_rd(TWO_BUURTEN[0])),
                _feature("BU01230102", _to_rd(TWO_BUURTEN[1]))]
    result = read_areas(_write(tmp_path / "rd.geojson", features, crs))
    index = AreaIndex(result.areas, snap_distance_m=0)
    assert index.locate(5.925, 50.925).buurt_code == "BU01230101"
    assert index.locate(5.975, 50.925).buurt_code == "BU01230102"
    minx, miny, maxx, maxy = shapely.total_bounds([a.geometry for a in result.areas])
    assert abs(minx - 5.90) < 1e-5 and abs(maxy - 50.95) < 1e-5


def _gpkg_blob(geometry, srs_id: int) -> bytes:
    # 'GP', version 0, flags: little-endian, no envelope; then the srs id and the WKB.
    return b"GP" + bytes([0, 0b00000001]) + struct.pack("<i", srs_id) + shapely.to_wkb(geometry)


def test_a_geopackage_in_rd_new(tmp_path):
    path = tmp_path / "wijkenbuurten.gpkg"
    con = sqlite3.connect(path)
    con.executescript("""
        CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT, srs_id INTEGER PRIMARY KEY,
            organization TEXT, organization_coordsys_id INTEGER, definition TEXT);
        CREATE TABLE gpkg_contents (table_name TEXT PRIMARY KEY, data_type TEXT);
        CREATE TABLE gpkg_geometry_columns (table_name TEXT, column_name TEXT, srs_id INTEGER);
        INSERT INTO gpkg_spatial_ref_sys VALUES ('Amersfoort / RD New', 28992, 'EPSG', 28992, '');
        INSERT INTO gpkg_contents VALUES ('buurten', 'features');
        INSERT INTO gpkg_geometry_columns VALUES ('buurten', 'geom', 28992);
        CREATE TABLE buurten (fid INTEGER PRIMARY KEY, geom BLOB, buurtcode TEXT,
            buurtnaam TEXT, wijkcode TEXT, gemeentecode TEXT, jaarstatcode TEXT);
    """)
    for number, geometry in enumerate(TWO_BUURTEN, start=1):
        con.execute("INSERT INTO buurten VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (number, _gpkg_blob(_to_rd(geometry), 28992), f"BU0123010{number}",
                     f"Buurt {number}", "WK012301", "GM0123", f"2025BU0123010{number}"))
    con.commit()
    con.close()
    result = read_areas(path)
    assert result.count("buurt") == 2 and result.year == 2025
    assert "28992" in result.crs
    assert AreaIndex(result.areas).locate(5.975, 50.925).buurt_code == "BU01230102"


def test_a_self_intersecting_polygon_is_repaired_and_reported(tmp_path):
    bowtie = Polygon([(5.90, 50.90), (5.95, 50.95), (5.95, 50.90), (5.90, 50.95)])
    assert not bowtie.is_valid
    result = read_areas(_write(tmp_path / "m.geojson", [_feature("BU01230101", bowtie)]))
    assert result.repaired == ["BU01230101"]
    buurt = next(a for a in result.areas if a.kind == "buurt")
    assert buurt.geometry.is_valid and buurt.geometry.area > 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "not valid GeoJSON"),
        ('{"type": "FeatureCollection", "features": []}', "holds no features"),
        ('{"type": "Feature"}', "expected a GeoJSON FeatureCollection"),
        (json.dumps({"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {"naam": "x"},
             "geometry": mapping(box(0, 0, 1, 1))}]}), "no buurtcode, wijkcode or gemeentecode"),
        (json.dumps({"type": "FeatureCollection", "features": [
            _feature("BU0123", box(5, 50, 6, 51))]}), "not a CBS buurt code"),
        (json.dumps({"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {"buurtcode": "BU01230101"},
             "geometry": {"type": "Point", "coordinates": [5.9, 50.9]}}]}), "expected a polygon"),
        (json.dumps({"type": "FeatureCollection", "features": [
            _feature("BU01230101", box(5, 50, 6, 51)), _feature("BU01230101", box(6, 50, 7, 51))]}),
         "occurs twice"),
        (json.dumps({"type": "FeatureCollection", "features": [
            _feature("BU01230101", box(500, 500, 600, 600))]}), "neither WGS84 nor RD New"),
        (json.dumps({"type": "FeatureCollection", "crs": {"type": "name", "properties": {
            "name": "EPSG:2056"}}, "features": [_feature("BU01230101", box(5, 50, 6, 51))]}),
         "is not supported"),
        (json.dumps({"type": "FeatureCollection", "crs": {"type": "name", "properties": {
            "name": "nonsense"}}, "features": [_feature("BU01230101", box(5, 50, 6, 51))]}),
         "unknown coordinate system"),
    ],
)
def test_bad_files_are_refused_with_a_clear_message(tmp_path, content, message):
    path = tmp_path / "bad.geojson"
    path.write_text(content)
    with pytest.raises(AreaImportError, match=message):
        read_areas(path)


def test_an_unknown_gemeentecode_and_wrong_file_types_are_refused(tmp_path):
    path = _write(tmp_path / "m.geojson", [_feature("BU01230101", TWO_BUURTEN[0])])
    with pytest.raises(AreaImportError, match="no buurten of GM9876"):
        read_areas(path, ["GM9876"])
    (tmp_path / "m.shp").write_bytes(b"\x00\x00\x27\x0a")
    with pytest.raises(AreaImportError, match="expected a .geojson"):
        read_areas(tmp_path / "m.shp")
    with pytest.raises(AreaImportError, match="no such file"):
        read_areas(tmp_path / "missing.geojson")
    other = tmp_path / "m.gpkg"
    other.write_text("not sqlite at all")
    with pytest.raises(AreaImportError, match="GeoPackage"):
        read_areas(other)


def test_mixed_years_need_an_explicit_year(tmp_path):
    path = _write(tmp_path / "m.geojson", [_feature("BU01230101", TWO_BUURTEN[0], jaar=2024),
                                           _feature("BU01230102", TWO_BUURTEN[1], jaar=2025)])
    with pytest.raises(AreaImportError, match="mixes map years"):
        read_areas(path)
    assert read_areas(path, year=2025).year == 2025


@pytest.mark.parametrize(("gemeente", "buurten"),
                         [("GM0917", 57), ("GM0164", 62), ("GM0344", 111), ("GM0599", 92)])
def test_the_real_maps_of_four_municipalities_import(shared_data, gemeente, buurten):
    result = read_areas(shared_data / "geo" / "buurten_4gemeenten.geojson", [gemeente], year=2024)
    assert result.count("buurt") == buurten
    assert result.count("gemeente") == 1
    assert all(area.geometry.is_valid for area in result.areas)
