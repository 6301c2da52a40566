"""The map beside the figures page's table of areas (/beleid): one path per wijk, or per
buurt of the chosen wijk; colours from the published counts only; never another
municipality's areas; and the drawing kept between pages."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from unittest import mock

import pytest
from shapely.geometry import box

from app.beleid import maps
from app.extensions import db
from app.services import figures
from app.services.figures import FigureFilter
from app.services.tenants import replace_areas
from app.services.theme import contrast_ratio
from disclosure import Status
from geo.areas import Area as GeoArea
from geo.choropleth import classes
from tests import factories
from tests.conftest import logged_in

BELEID = "beleid@demo.wijkloket.example"
ENGLISH = {"Accept-Language": "en"}
PERIOD = {"start": "2026-04-01", "end": "2026-06-30"}
MAY = dt.datetime(2026, 5, 4, 9, 0)
SVG = "{http://www.w3.org/2000/svg}"
WIJKEN = {"WK999901": "Noord", "WK999902": "Centrum", "WK999903": "Zuid"}
TOKENS = Path(__file__).resolve().parents[2] / "app" / "static" / "css" / "tokens.css"


@pytest.fixture(autouse=True)
def _no_kept_drawings():
    maps.forget_shapes()
    yield
    maps.forget_shapes()


def _requests(demo, counts: dict[tuple[str, str], int]) -> None:
    """``counts`` requests received in May 2026 per (wijk, buurt), owned by Noord's team."""
    from sqlalchemy import select

    from app.models import Team

    noord = db.session.scalar(select(Team).where(Team.tenant_id == demo.id, Team.key == "noord"))
    for (wijk, buurt), count in counts.items():
        for _k in range(count):
            factories.support_request(noord, created_at=MAY, wijk_code=wijk, buurt_code=buurt)
    db.session.commit()


@pytest.fixture
def known(demo):
    """Noord 25 (Molenhoek 15, Vlinderbuurt 10), Centrum 20, Zuid 3: Zuid is fewer than 10."""
    _requests(demo, {("WK999901", "BU99990101"): 15, ("WK999901", "BU99990102"): 10,
                     ("WK999902", "BU99990201"): 20, ("WK999903", "BU99990301"): 3})
    return demo


def _page(client, **query) -> str:
    response = client.get("/beleid/", query_string={**PERIOD, **query}, headers=ENGLISH)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _map(page: str) -> ET.Element:
    found = re.findall(r'<svg xmlns="http://www.w3.org/2000/svg" viewBox="[^"]*" role="img"'
                       r'.*?</svg>', page, re.DOTALL)
    assert len(found) == 1, "one map on the page"
    return ET.fromstring(found[0])


def _areas(root: ET.Element) -> dict[str, ET.Element]:
    return {path.get("data-code"): path for path in root.iter(f"{SVG}path")
            if path.get("data-code")}


def _table(tenant, **choices) -> figures.Table:
    result = figures.figures(tenant, FigureFilter(start=dt.date(2026, 4, 1),
                                                  end=dt.date(2026, 6, 30), **choices))
    table = result.table("areas")
    assert table is not None
    return table


def _published_texts(table: figures.Table) -> dict[str, tuple[str, str]]:
    """Per row code, the row's label and its first cell as the page writes it (English)."""
    def text(cell: figures.Figure) -> str:
        if cell.status is Status.SMALL:
            return "fewer than 10"
        return str(cell.value) if cell.shown else "hidden"

    return {row.code: (row.label, text(row.cells[0])) for row in table.rows}


def _titles(areas: dict[str, ET.Element]) -> dict[str, str]:
    return {code: path.find(f"{SVG}title").text for code, path in areas.items()}


# --- On the page -----------------------------------------------------------------------------


def test_the_figures_page_maps_every_wijk_with_its_name_and_published_number(app, known):
    root = _map(_page(logged_in(app, BELEID)))
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "area-map-title area-map-desc"
    assert root.find(f"{SVG}title").text == "Map: Requests received by district"
    assert "hatched" in root.find(f"{SVG}desc").text
    areas = _areas(root)
    assert sorted(areas) == sorted(WIJKEN)  # one path per wijk, no "unknown"
    assert _titles(areas) == {code: f"{name}: {text}" for code, (name, text)
                              in _published_texts(_table(known)).items() if code in WIJKEN}


def test_the_map_sits_beside_the_areas_table_with_a_legend_of_the_class_bounds(app, known):
    page = _page(logged_in(app, BELEID))
    section = page[page.index('id="areas-heading"'):page.index('id="channels-heading"')]
    assert 'class="figure-pair figure-pair--map"' in section
    assert section.index('class="area-map"') < section.index("<table")
    assert "Number of requests per colour" in section
    legend = re.findall(r'<ul class="area-map-legend">(.*?)</ul>', section, re.DOTALL)[0]
    entries = [re.sub(r"<[^>]+>|\s+", " ", item).strip()
               for item in re.findall(r"<li>(.*?)</li>", legend, re.DOTALL)]
    shown = sorted(int(row.cells[0].value) for row in _table(known).rows
                   if row.code in WIJKEN and row.cells[0].shown)
    assert entries == [*(str(value) for value in shown),
                       "Not shown: fewer than 10, or hidden"]
    assert page.count('id="area-map-legend-nodata"') == 1


def test_a_suppressed_area_is_hatched_and_never_gets_a_class(app, known):
    areas = _areas(_map(_page(logged_in(app, BELEID))))
    table = _table(known)
    published = {row.code: row.cells[0] for row in table.rows}
    assert published["WK999903"].status is Status.SMALL  # Zuid: 3 requests
    expected = classes({code: (float(published[code].value) if published[code].shown else None)
                        for code in WIJKEN})
    for code, path in areas.items():
        if published[code].shown:
            assert path.get("class") == f"c{expected.class_of[code]}"
            assert path.get("fill") in maps.CLASS_COLOURS
        else:
            assert (path.get("class"), path.get("fill")) == ("nodata", "url(#area-map-nodata)")


def test_the_map_does_not_change_with_the_real_number_under_a_suppressed_one(app, demo):
    """Zuid with 1 or with 9 requests: both "fewer than 10", so the same map, byte for byte."""
    client = logged_in(app, BELEID)
    _requests(demo, {("WK999901", "BU99990101"): 30, ("WK999902", "BU99990201"): 20,
                     ("WK999903", "BU99990301"): 1})
    before = _map(_page(client))
    _requests(demo, {("WK999903", "BU99990301"): 8})
    after = _map(_page(client))
    assert ET.tostring(before) == ET.tostring(after)
    assert _areas(after)["WK999903"].get("class") == "nodata"


def test_a_chosen_wijk_shows_its_buurten(app, known):
    root = _map(_page(logged_in(app, BELEID), wijk="WK999901"))
    assert root.find(f"{SVG}title").text == "Map: Requests received by neighbourhood"
    areas = _areas(root)
    assert sorted(areas) == ["BU99990101", "BU99990102"]
    texts = _published_texts(_table(known, wijk="WK999901"))
    # Molenhoek's 15 is hidden: with the empty "no neighbourhood known" it would give it away.
    assert texts["BU99990101"] == ("Molenhoek", "hidden")
    assert _titles(areas) == {code: f"{name}: {text}" for code, (name, text) in texts.items()
                              if code != "unknown"}
    assert areas["BU99990101"].get("class") == "nodata"
    assert areas["BU99990102"].get("class") == "c0"


def test_a_chosen_buurt_shows_no_map_only_its_row(app, known):
    page = _page(logged_in(app, BELEID), wijk="WK999901", buurt="BU99990101")
    assert 'class="choropleth"' not in page
    assert "figure-pair--map" not in page


def test_another_municipalitys_areas_never_appear_even_with_the_same_codes(app, known):
    other = factories.tenant()
    # The same codes as Demodorp's, other names and another place: only a key per tenant
    # keeps the two drawings apart.
    replace_areas(other, [GeoArea(code, f"Elders {name}", "wijk", "GM9998",
                                  box(5.0 + i * 0.01, 52.0, 5.01 + i * 0.01, 52.01))
                          for i, (code, name) in enumerate(WIJKEN.items())]
                  + [GeoArea("WK999899", "Alleen elders", "wijk", "GM9998",
                             box(5.1, 52.0, 5.11, 52.01))], 2026)
    factories.user(other, role="beleid", email="beleid@elders.example")
    db.session.commit()
    theirs = _areas(_map(_page(logged_in(app, "beleid@elders.example"))))
    assert sorted(theirs) == sorted([*WIJKEN, "WK999899"])
    ours_page = _page(logged_in(app, BELEID))
    ours = _areas(_map(ours_page))
    assert sorted(ours) == sorted(WIJKEN)
    assert "Elders" not in ours_page
    assert [p.find(f"{SVG}title").text.split(":")[0] for p in ours.values()] == [
        WIJKEN[code] for code in ours]


def test_the_map_of_a_municipality_without_areas_is_left_out(app, demo):
    other = factories.tenant()
    factories.user(other, role="beleid", email="beleid@zonderkaart.example")
    db.session.commit()
    page = _page(logged_in(app, "beleid@zonderkaart.example"))
    assert 'class="choropleth"' not in page


def test_areas_that_cannot_be_drawn_leave_the_page_without_a_map_but_with_its_table(
        app, known, caplog):
    """An area stored as a point (data loaded by hand) is no area to colour: the page shows
    its figures, the table of areas among them, and logs why the map is missing."""
    from sqlalchemy import update

    from app.models import Area

    db.session.execute(update(Area).where(Area.tenant_id == known.id, Area.code == "WK999903")
                       .values(geometry={"type": "Point", "coordinates": [6.0, 53.3]}))
    db.session.commit()
    with caplog.at_level("WARNING", logger="app.beleid.maps"):
        page = _page(logged_in(app, BELEID))
    assert 'class="choropleth"' not in page
    assert "Requests received by district" in page and "Zuid" in page
    assert "WK999903: a Point is not an area" in caplog.text


# --- Kept between pages ----------------------------------------------------------------------


def test_the_drawing_is_made_once_and_again_after_the_areas_change(app, known):
    client = logged_in(app, BELEID)
    with mock.patch.object(maps, "shapes", wraps=maps.shapes) as drawn:
        _page(client)
        _page(client)
        _page(client, wijk="WK999901")
        _page(client, wijk="WK999901")
        assert drawn.call_count == 2  # the wijken once, Noord's buurten once
        renamed = [GeoArea(code, f"{name} (nieuw)", "wijk", "GM9999",
                           box(6.00, 53.30 + i * 0.01, 6.06, 53.31 + i * 0.01))
                   for i, (code, name) in enumerate(WIJKEN.items())]
        replace_areas(known, renamed, 2026)
        db.session.commit()
        areas = _areas(_map(_page(client)))
        assert drawn.call_count == 3
    assert areas["WK999901"].find(f"{SVG}title").text.startswith("Noord (nieuw): ")


def test_the_newest_map_year_is_drawn(app, known):
    replace_areas(known, [GeoArea("WK999909", "Nieuwbouw", "wijk", "GM9999",
                                  box(6.0, 53.30, 6.06, 53.33))], 2030)
    db.session.commit()
    chart = maps.area_shapes(known.id, "wijk")
    assert chart is not None
    assert [shape.code for shape in chart.shapes] == ["WK999909"]


# --- Colours ---------------------------------------------------------------------------------


def test_every_class_colour_stands_out_from_the_page_background():
    page = re.search(r"--wl-page:\s*(#[0-9a-fA-F]{3,6})", TOKENS.read_text()).group(1)
    assert page.lower() in {"#fff", "#ffffff"} and maps.PAGE_COLOUR == "#ffffff"
    for colour in maps.CLASS_COLOURS:
        assert contrast_ratio(colour, maps.PAGE_COLOUR) >= 3.0, colour
    luminance_order = [contrast_ratio(c, maps.PAGE_COLOUR) for c in maps.CLASS_COLOURS]
    assert luminance_order == sorted(luminance_order)  # light to dark


@pytest.mark.parametrize(("count", "expected"), [
    (0, ()), (1, ("#28529a",)), (2, ("#5b8fd0", "#0f2250")),
    (3, ("#5b8fd0", "#28529a", "#0f2250")), (5, maps.CLASS_COLOURS)])
def test_few_classes_take_colours_spread_from_light_to_dark(count, expected):
    assert maps.class_colours(count) == expected
