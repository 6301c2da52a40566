"""geo.choropleth: the buurt map as SVG, on real CBS buurten and on small made-up maps."""

from __future__ import annotations

import json
import math
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest
import shapely
from pyproj import Transformer
from shapely.geometry import MultiPolygon, Polygon, box, mapping

from geo.choropleth import Classification, classes, render_svg, shapes
from geo.demo import demo_areas

SVG = "{http://www.w3.org/2000/svg}"
BLUES = ["#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c"]
HEERLEN = "buurten_heerlen_GM0917.geojson"
HENGELO = "buurten_hengelo_GM0164.geojson"
UTRECHT = "buurten_utrecht_GM0344.geojson"
ROTTERDAM = "buurten_rotterdam_GM0599.geojson"


def _buurten(shared_data, name):
    data = json.loads((shared_data / "geo" / name).read_text(encoding="utf-8"))
    return [(f["properties"]["buurtcode"], f["properties"]["buurtnaam"], f["geometry"])
            for f in data["features"]]


def _svg(chart, figures=None, **kwargs):
    figures = figures if figures is not None else {s.code: float(i)
                                                   for i, s in enumerate(chart.shapes)}
    texts = {code: ("fewer than 10" if v is None else f"{v:g}") for code, v in figures.items()}
    options = {"title": "Requests per buurt", "description": "Requests in 2026-Q3.",
               "value_texts": texts, **kwargs}
    return render_svg(chart, classes(figures), BLUES, **options)


_TOKEN = re.compile(r"[MlZ]|-?(?:\d+(?:\.\d*)?|\.\d+)")


def _rings(path):
    """The rings of our path data (M x y l dx dy … Z) as lists of absolute points."""
    rings, ring, relative, numbers = [], None, False, []
    for token in _TOKEN.findall(path):
        if token in "MlZ":
            if token == "Z":
                rings.append(ring)
            relative = token == "l"
            continue
        numbers.append(float(token))
        if len(numbers) == 2:
            x, y = numbers
            numbers = []
            if relative:
                ring.append((ring[-1][0] + x, ring[-1][1] + y))
            else:
                ring = [(x, y)]
    assert not numbers
    return rings


def _drawn(path):
    """What ``fill-rule="evenodd"`` fills: every ring toggles inside and outside."""
    shape = Polygon()
    for ring in _rings(path):
        shape = shape.symmetric_difference(shapely.make_valid(Polygon(ring)))
    return shape


def _projected_bounds(areas):
    rd = Transformer.from_crs("EPSG:4326", "EPSG:28992", always_xy=True)
    xy = np.vstack([shapely.get_coordinates(shapely.geometry.shape(g)) for _, _, g in areas])
    x, y = rd.transform(xy[:, 0], xy[:, 1])
    return x.min(), y.min(), x.max(), y.max()


# --- The map of real buurten --------------------------------------------------------------------


def test_the_heerlen_map_is_valid_svg_with_one_titled_path_per_buurt(shared_data):
    areas = _buurten(shared_data, HEERLEN)
    chart = shapes(areas)
    root = ET.fromstring(_svg(chart))
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "choropleth-title choropleth-desc"
    assert root.find(f"{SVG}title").text == "Requests per buurt"
    assert root.find(f"{SVG}desc").text == "Requests in 2026-Q3."
    paths = root.findall(f"{SVG}g/{SVG}path")
    assert [p.get("data-code") for p in paths] == [code for code, _, _ in areas]
    assert len(paths) == 57
    for path, (_, name, _) in zip(paths, areas, strict=True):
        assert path.get("d").startswith("M") and path.get("d").endswith("Z")
        assert path.find(f"{SVG}title").text.startswith(f"{name}: ")


@pytest.mark.parametrize("name", [HEERLEN, HENGELO, UTRECHT, ROTTERDAM])
def test_the_view_box_has_the_aspect_ratio_of_the_buurten_in_rd_new(shared_data, name):
    areas = _buurten(shared_data, name)
    chart = shapes(areas, width=600)
    min_x, min_y, max_x, max_y = _projected_bounds(areas)
    assert chart.bounds_rd == pytest.approx((min_x, min_y, max_x, max_y), abs=0.01)
    assert chart.view_box == f"0 0 600 {chart.height:g}"
    drawn_w, drawn_h = chart.width - 2 * chart.margin, chart.height - 2 * chart.margin
    # The height is rounded to 0.1 px: that is the only distortion.
    assert drawn_w / drawn_h == pytest.approx((max_x - min_x) / (max_y - min_y), abs=1e-3)
    assert chart.metres_per_unit == pytest.approx((max_x - min_x) / drawn_w)


@pytest.mark.parametrize("name", [HEERLEN, HENGELO, UTRECHT, ROTTERDAM])
def test_every_buurt_is_drawn_where_it_is_within_the_view_box(shared_data, name):
    areas = _buurten(shared_data, name)
    chart = shapes(areas)
    rd = Transformer.from_crs("EPSG:4326", "EPSG:28992", always_xy=True)
    min_x, _, _, max_y = chart.bounds_rd
    scale = 1 / chart.metres_per_unit
    for shape, (_, _, geometry) in zip(chart.shapes, areas, strict=True):
        points = np.array([p for ring in _rings(shape.path) for p in ring])
        assert points.min() >= 0
        assert points[:, 0].max() <= chart.width and points[:, 1].max() <= chart.height
        expected = shapely.transform(
            shapely.geometry.shape(geometry),
            lambda xy: np.column_stack(rd.transform(xy[:, 0], xy[:, 1])))
        expected = shapely.transform(expected, lambda xy: np.column_stack(
            [chart.margin + (xy[:, 0] - min_x) * scale, chart.margin + (max_y - xy[:, 1]) * scale]))
        drawn = _drawn(shape.path)
        # Simplified to half a pixel: a buurt of a few px loses relatively more.
        overlap = drawn.intersection(expected).area / drawn.union(expected).area
        assert overlap > (0.9 if expected.area > 100 else 0.6), shape.code
        assert drawn.buffer(0.5).contains(shapely.Point(shape.label)), shape.code


@pytest.mark.parametrize("name", [HEERLEN, HENGELO, UTRECHT])
def test_neighbouring_buurten_still_share_their_borders_after_simplification(shared_data, name):
    # These are clean coverages: simplifying each buurt alone would open slivers.
    chart = shapes(_buurten(shared_data, name))
    drawn = [_drawn(s.path) for s in chart.shapes]
    union = shapely.union_all(drawn).area
    assert sum(d.area for d in drawn) == pytest.approx(union, rel=1e-3)


@pytest.mark.parametrize(("name", "count"), [(UTRECHT, 111), (ROTTERDAM, 92)])
def test_a_full_resolution_municipality_stays_well_under_100_kb(shared_data, name, count):
    areas = _buurten(shared_data, name)
    source = sum(len(json.dumps(g)) for _, _, g in areas)
    svg = _svg(shapes(areas), labels=True)
    assert svg.count(" data-code=") == count
    assert len(svg.encode("utf-8")) < 60_000
    assert source > 200_000  # the GeoJSON it came from


def test_a_buurt_with_a_hole_keeps_its_hole(shared_data):
    # Verspreide huizen Beckum surrounds Beckum kern.
    chart = shapes(_buurten(shared_data, HENGELO))
    by_code = {s.code: s for s in chart.shapes}
    around, inside = by_code["BU01640909"], by_code["BU01640900"]
    assert around.path.count("M") == 2
    hole = Polygon(_rings(around.path)[1])
    assert _drawn(inside.path).symmetric_difference(hole).area < 0.01 * hole.area
    assert not _drawn(around.path).buffer(-0.1).intersects(hole.buffer(-0.1))
    assert not hole.contains(shapely.Point(around.label))


def test_precision_0_writes_whole_numbers_only(shared_data):
    chart = shapes(_buurten(shared_data, HEERLEN), width=300, precision=0)
    assert all(re.fullmatch(r"[-MlZ 0-9]+", s.path) for s in chart.shapes)
    assert all(float(v).is_integer() for s in chart.shapes for v in s.label)


# --- Small made-up maps -------------------------------------------------------------------------


def _square(x, y, size=0.01):
    return mapping(box(x, y, x + size, y + size))


def test_the_demo_municipality_is_drawn_as_six_buurten_in_three_rows():
    buurten = [a for a in demo_areas() if a.kind == "buurt"]
    chart = shapes([(a.code, a.name, a.geometry) for a in buurten], width=200)
    assert [s.code for s in chart.shapes] == [a.code for a in buurten]
    # Six rectangles (0.03° × 0.01° at 53.3° N: about 2 km × 1.1 km each), four corners each.
    assert all(len(_rings(s.path)) == 1 and len(_rings(s.path)[0]) == 4 for s in chart.shapes)
    assert chart.height == pytest.approx(2 + 198 * 3 * 1.113 / (2 * 2.0), rel=0.02)
    assert len(ET.fromstring(_svg(chart)).findall(f"{SVG}g/{SVG}path")) == 6


def test_a_polygon_with_a_hole_is_two_subpaths_and_the_hole_stays_empty():
    outer = box(5.90, 50.90, 5.92, 50.92)
    ring = Polygon(outer.exterior.coords, [box(5.905, 50.905, 5.915, 50.915).exterior.coords])
    chart = shapes([("BU1", "Ring", mapping(ring)), ("BU2", "Far", _square(5.95, 50.95))])
    path = chart.shapes[0].path
    assert path.count("M") == 2 and path.count("Z") == 2
    drawn = _drawn(path)
    assert drawn.area == pytest.approx(Polygon(_rings(path)[0]).area * 0.75, rel=0.02)
    assert not drawn.contains(drawn.centroid)  # the middle is the hole
    assert drawn.contains(shapely.Point(chart.shapes[0].label))
    assert 'fill-rule="evenodd"' in _svg(chart)


def test_each_part_of_a_multipolygon_is_a_subpath_and_specks_are_left_out():
    parts = MultiPolygon([box(5.90, 50.90, 5.91, 50.91), box(5.93, 50.90, 5.94, 50.91),
                          box(5.95, 50.95, 5.950001, 50.950001)])  # a speck of 7 cm²
    chart = shapes([("BU1", "Two islands", mapping(parts))])
    assert chart.shapes[0].path.count("M") == 2


def test_a_buurt_smaller_than_the_rounding_still_gets_a_path():
    chart = shapes([("BU1", "Big", _square(5.9, 50.9, 0.1)),
                    ("BU2", "Tiny", _square(5.95, 50.95, 0.000001))], width=100)
    assert chart.shapes[1].path.startswith("M")
    assert chart.shapes[1].path.endswith("Z")


def test_an_invalid_bow_tie_is_repaired_rather_than_refused():
    bow_tie = {"type": "Polygon",
               "coordinates": [[[5.90, 50.90], [5.91, 50.91], [5.91, 50.90], [5.90, 50.91],
                                [5.90, 50.90]]]}
    chart = shapes([("BU1", "Bow tie", bow_tie)])
    assert chart.shapes[0].path.count("M") == 2


@pytest.mark.parametrize(
    ("areas", "message"),
    [([], "no areas"),
     ([("BU1", "a", _square(5.9, 50.9)), ("BU1", "b", _square(6.0, 50.9))], "only once"),
     ([("BU1", "a", {"type": "Point", "coordinates": [5.9, 50.9]})], "not an area"),
     ([("BU1", "a", {"type": "Polygon", "coordinates": []})], "empty"),
     ([("BU1", "a", mapping(box(190_000, 320_000, 191_000, 321_000)))], "not WGS84")],
)
def test_what_cannot_be_drawn_is_refused(areas, message):
    with pytest.raises(ValueError, match=message):
        shapes(areas)


# --- Escaping and accessibility ------------------------------------------------------------------


def test_names_titles_and_values_are_escaped():
    name = 'Bed & <Breakfast> "t Hof\x07'
    chart = shapes([("BU1", name, _square(5.9, 50.9)), ("BU2", "B", _square(5.91, 50.9))])
    svg = render_svg(chart, classes({"BU1": 1, "BU2": None}), BLUES,
                     title="Cijfers & <script>", description="a < b & c",
                     value_texts={"BU1": "5 & more", "BU2": "fewer than 10"},
                     labels=True, stroke='#fff" onload="x')
    assert "<script>" not in svg and "\x07" not in svg
    root = ET.fromstring(svg)
    assert root.find(f"{SVG}title").text == "Cijfers & <script>"
    assert root.find(f"{SVG}desc").text == "a < b & c"
    first, second = root.findall(f"{SVG}g/{SVG}path")
    assert first.find(f"{SVG}title").text == 'Bed & <Breakfast> "t Hof: 5 & more'
    assert second.find(f"{SVG}title").text == "B: fewer than 10"
    assert root.find(f"{SVG}g").get("stroke") == '#fff" onload="x'  # one attribute value
    assert [t.text for t in root.iter(f"{SVG}text")] == ['Bed & <Breakfast> "t Hof', "B"]


def test_an_area_without_a_figure_is_hatched_not_coloured_as_the_lowest_class():
    chart = shapes([(f"BU{i}", f"b{i}", _square(5.9 + 0.01 * i, 50.9)) for i in range(3)])
    root = ET.fromstring(render_svg(chart, classes({"BU0": 1, "BU1": 2, "BU2": None}), BLUES,
                                    title="t", description="d", value_texts={},
                                    id_prefix="map-2"))
    fills = [(p.get("class"), p.get("fill")) for p in root.iter(f"{SVG}path")
             if p.get("data-code")]
    assert fills == [("c0", BLUES[0]), ("c1", BLUES[1]), ("nodata", "url(#map-2-nodata)")]
    assert root.find(f"{SVG}defs/{SVG}pattern").get("id") == "map-2-nodata"
    assert root.find(f"{SVG}title").get("id") == "map-2-title"
    assert root.find(f"{SVG}g/{SVG}path/{SVG}title").text == "b0"  # no value text: the name


def test_fewer_colours_than_classes_or_an_unsafe_id_prefix_are_refused():
    chart = shapes([("BU1", "a", _square(5.9, 50.9))])
    with pytest.raises(ValueError, match="colours"):
        render_svg(chart, classes({"BU1": 1.0}), [], title="t", description="d", value_texts={})
    with pytest.raises(ValueError, match="id_prefix"):
        render_svg(chart, classes({"BU1": 1.0}), BLUES, title="t", description="d",
                   value_texts={}, id_prefix='x" onload="y')


# --- Classes ------------------------------------------------------------------------------------


def _of(classification: Classification):
    return dict(classification.class_of)


def test_quantile_classes_hold_about_as_many_areas_each():
    values = {f"BU{i:02}": float(i * i) for i in range(20)}  # skewed: 0 … 361
    result = classes(values, count=5)
    assert result.count == 5
    assert [list(_of(result).values()).count(c) for c in range(5)] == [4, 4, 4, 4, 4]
    assert result.ranges[0] == (0.0, 9.0) and result.ranges[-1] == (256.0, 361.0)
    assert result.breaks == tuple(high for _, high in result.ranges)


def test_no_figure_stays_no_figure_and_takes_no_part_in_the_breaks():
    result = classes({"a": None, "b": 1.0, "c": float("nan"), "d": 3.0})
    assert _of(result) == {"a": None, "b": 0, "c": None, "d": 1}
    assert result.ranges == ((1.0, 1.0), (3.0, 3.0))


@pytest.mark.parametrize(
    ("values", "ranges", "class_of"),
    [
        ({}, (), {}),
        ({"a": None, "b": None}, (), {"a": None, "b": None}),
        ({"a": 7, "b": 7, "c": 7}, ((7, 7),), {"a": 0, "b": 0, "c": 0}),
        ({"a": 0, "b": 5, "c": 5, "d": 10}, ((0, 0), (5, 5), (10, 10)),
         {"a": 0, "b": 1, "c": 1, "d": 2}),
        # A tie of 8 out of 12 would cover two of three quantile classes: it takes one,
        # and the other four areas are shared out over the two classes left.
        ({**{f"t{i}": 1 for i in range(8)}, "a": 2, "b": 3, "c": 4, "d": 5},
         ((1, 1), (2, 3), (4, 5)),
         {**{f"t{i}": 0 for i in range(8)}, "a": 1, "b": 1, "c": 2, "d": 2}),
        ({**{f"t{i}": 10 for i in range(6)}, "a": 1, "b": 2, "c": 30, "d": 40},
         ((1, 2), (10, 10), (30, 40)),
         {**{f"t{i}": 1 for i in range(6)}, "a": 0, "b": 0, "c": 2, "d": 2}),
    ],
)
def test_ties_few_distinct_and_equal_figures(values, ranges, class_of):
    result = classes(values, count=3 if len(set(values.values()) - {None}) > 3 else 5)
    assert result.ranges == ranges
    assert _of(result) == class_of


def test_equal_figures_never_straddle_a_class_boundary():
    values = {f"BU{i:03}": float(i // 7 * 5) for i in range(100)}  # multiples of 5, tied
    result = classes(values, count=5)
    by_value: dict[float, set[int | None]] = {}
    for code, value in values.items():
        by_value.setdefault(value, set()).add(result.class_of[code])
    assert all(len(c) == 1 for c in by_value.values())
    assert result.count == 5
    lows, highs = zip(*result.ranges, strict=True)
    assert all(h < lo for h, lo in zip(highs, lows[1:], strict=False))


def test_the_classes_do_not_depend_on_the_order_of_the_figures():
    values = {f"BU{i:02}": float((i * 37) % 11) for i in range(40)}
    reverse = dict(reversed(list(values.items())))
    assert classes(values).ranges == classes(reverse).ranges
    assert _of(classes(values)) == _of(classes(reverse))


def test_classify_places_a_figure_in_the_first_class_it_fits():
    result = classes({"a": 1, "b": 2, "c": 3}, count=5)
    assert [result.classify(v) for v in (0, 1, 1.5, 3, 99, None, math.nan)] == [
        0, 0, 1, 2, 2, None, None]
    assert classes({}).classify(1.0) is None


def test_a_count_below_one_or_an_infinite_figure_is_refused():
    with pytest.raises(ValueError, match="count"):
        classes({"a": 1.0}, count=0)
    with pytest.raises(ValueError, match="infinite"):
        classes({"a": math.inf})
