"""The map beside the figures page's table of areas: the municipality's wijken (or the
buurten of the chosen wijk) coloured by the protected counts of that table.

The geometry is drawn by the pure library :mod:`geo.choropleth`; this module reads the areas,
keeps their drawing per tenant and map, and turns the published table into classes, colours
and words. Only published figures reach the map: a suppressed count ("fewer than 10",
"hidden") gets the hatch of "not shown" and its words, never a class worked out from its
real number. The table beside the map stays the accessible source of every number.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup
from sqlalchemy import Text, cast, func, select

from app.extensions import db
from app.i18n import _
from app.models import Area
from app.services import small_numbers
from app.services.figures import Figure, Figures, Table
from disclosure import Rules, Status
from geo.choropleth import Classification, ShapeMap, classes, render_svg, shapes

#: Light to dark blue, one colour per class. Each has at least 3:1 contrast with the page
#: (``--wl-page``, white; WCAG 1.4.11), so every area stands out from the page and from the
#: white borders between areas; neighbouring colours differ by about 1.45:1 in luminance.
#: Colour is never the only cue: the legend, every area's title and the table say the number.
CLASS_COLOURS = ("#5b8fd0", "#3a6fb8", "#28529a", "#1c3a7a", "#0f2250")
#: The page's background (``--wl-page`` in tokens.css): the borders between areas and the
#: ground of the "not shown" hatch.
PAGE_COLOUR = "#ffffff"
#: The id prefix of the map's SVG (its title, description and hatch).
MAP_ID = "area-map"
#: The drawing's width in viewBox units; the page scales it to its column.
MAP_WIDTH = 480
#: How many drawings one process keeps (a tenant's wijken and each wijk's buurten).
CACHE_SIZE = 128


@dataclass(frozen=True)
class LegendEntry:
    """One line of the legend: a class colour and its bounds, or (``colour`` None) the hatch
    of the areas whose number is not shown."""

    colour: str | None
    text: str


@dataclass(frozen=True)
class AreaMap:
    """What the figures template shows beside the areas table: the SVG and its legend."""

    svg: Markup
    legend_title: str
    legend: tuple[LegendEntry, ...]
    areas: int


# --- The drawings, kept per tenant and map ---------------------------------------------------

#: A map's version: its year and, per area, its id, code, name and the length of its
#: stored geometry. It changes when the areas are imported again (new ids on PostgreSQL; on
#: SQLite the ids may come back, the names or geometries rarely stay exactly as long).
_Version = tuple[int, tuple[tuple[int, str, str, int], ...]]
_cache_lock = threading.Lock()
_cache: OrderedDict[tuple[int, str, str | None], tuple[_Version, ShapeMap | None]] = (
    OrderedDict())
_log = logging.getLogger(__name__)


def area_shapes(tenant_id: int, kind: str, parent_code: str | None = None) -> ShapeMap | None:
    """The drawing of the tenant's areas of ``kind`` ("wijk" or "buurt") on its newest map
    of that kind, only those inside ``parent_code`` when given; None when there are none
    or when they cannot be drawn (a geometry that is not an area: logged).

    One small query reads the map's version (no geometry); the geometry is read and
    projected only when that version is not the one kept from an earlier page.
    """
    conditions = [Area.tenant_id == tenant_id, Area.kind == kind]
    year = db.session.scalar(select(func.max(Area.year)).where(*conditions))
    if year is None:
        return None
    conditions.append(Area.year == year)
    if parent_code is not None:
        conditions.append(Area.parent_code == parent_code)
    rows = db.session.execute(
        select(Area.id, Area.code, Area.name, func.length(cast(Area.geometry, Text)))
        .where(*conditions).order_by(Area.code)).all()
    if not rows:
        return None
    version: _Version = (int(year), tuple((int(row[0]), row[1], row[2], int(row[3] or 0))
                                          for row in rows))
    key = (tenant_id, kind, parent_code)
    with _cache_lock:
        kept = _cache.get(key)
        if kept is not None and kept[0] == version:
            _cache.move_to_end(key)
            return kept[1]
    areas = db.session.execute(
        select(Area.code, Area.name, Area.geometry).where(*conditions).order_by(Area.code)
    ).all()
    drawing: ShapeMap | None
    try:
        drawing = shapes([(code, name, geometry) for code, name, geometry in areas],
                         width=MAP_WIDTH)
    except ValueError as exc:
        # A map that cannot be drawn (an area stored as a point, coordinates in another
        # system) leaves the page without its map; the table beside it has every number.
        _log.warning("no map of tenant %s's %s areas: %s", tenant_id, kind, exc)
        drawing = None
    with _cache_lock:
        _cache[key] = (version, drawing)
        _cache.move_to_end(key)
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return drawing


def forget_shapes() -> None:
    """Drop every kept drawing (tests; a process that imported new areas itself)."""
    with _cache_lock:
        _cache.clear()


# --- The map of a table ----------------------------------------------------------------------


def class_colours(count: int) -> tuple[str, ...]:
    """``count`` colours of :data:`CLASS_COLOURS`, spread from light to dark (one class: the
    middle one), so that few classes still differ as much as they can."""
    if count <= 0:
        return ()
    if count == 1:
        return (CLASS_COLOURS[len(CLASS_COLOURS) // 2],)
    last = len(CLASS_COLOURS) - 1
    return tuple(CLASS_COLOURS[round(i * last / (count - 1))] for i in range(count))


def published_values(table: Table) -> dict[str, float | None]:
    """Per area code, the figure the table publishes; None for a suppressed one (its real
    number never leaves the library that protected it)."""
    return {row.code: (float(row.cells[0].value)
                       if row.cells[0].shown and row.cells[0].value is not None else None)
            for row in table.rows}


def area_map(chart: ShapeMap, table: Table, rules: Rules, *, description: str) -> AreaMap:
    """The map of ``table`` (one published count per area code) drawn on ``chart``.

    An area of the chart the table has no row for gets no class and its name only as its
    title. Raises ``ValueError`` as :func:`geo.choropleth.render_svg` does.
    """
    cells = {row.code: row.cells[0] for row in table.rows}
    drawn = [shape.code for shape in chart.shapes]
    values = published_values(table)
    classification = classes({code: values.get(code) for code in drawn},
                             count=len(CLASS_COLOURS))
    colours = class_colours(classification.count)
    texts = {code: small_numbers.cell_text(cells[code], rules) for code in drawn
             if code in cells}
    svg = render_svg(chart, classification, colours,
                     title=_("Map: %(title)s", title=table.title), description=description,
                     value_texts=texts, no_data_colour=PAGE_COLOUR, stroke=PAGE_COLOUR,
                     id_prefix=MAP_ID)
    not_shown = any(classification.class_of.get(code) is None for code in drawn)
    return AreaMap(svg=Markup(svg),  # noqa: S704 - render_svg escapes every text it writes
                   legend_title=_("Number of requests per colour"),
                   legend=_legend(classification, colours, rules, not_shown=not_shown),
                   areas=len(drawn))


def _legend(classification: Classification, colours: Sequence[str], rules: Rules, *,
            not_shown: bool) -> tuple[LegendEntry, ...]:
    def number(value: float) -> str:
        return small_numbers.cell_text(Figure(Status.SHOWN, int(value)), rules)

    entries = [LegendEntry(colour, number(low) if low == high
                           else _("%(low)s to %(high)s", low=number(low), high=number(high)))
               for colour, (low, high) in zip(colours, classification.ranges, strict=True)]
    if not_shown:
        entries.append(LegendEntry(None, _("Not shown: fewer than %(minimum)s, or hidden",
                                           minimum=rules.min_count)))
    return tuple(entries)


def figures_map(tenant_id: int, result: Figures) -> AreaMap | None:
    """The map beside the areas table of ``result``: the tenant's wijken, or with a wijk
    chosen its buurten. None with a buurt chosen (the table then has that one buurt) or
    when the tenant has no map of those areas."""
    table = result.table("areas")
    wanted = result.filter
    if table is None or wanted.buurt:
        return None
    chart = (area_shapes(tenant_id, "buurt", wanted.wijk) if wanted.wijk
             else area_shapes(tenant_id, "wijk"))
    if chart is None:
        return None
    description = _(
        "Requests received in the period, per area: the darker, the more. A hatched area "
        "shows no number: fewer than %(minimum)s, or hidden. The table beside the map has "
        "every number, also of requests without a known area.",
        minimum=result.rules.min_count)
    return area_map(chart, table, result.rules, description=description)


__all__ = ["CLASS_COLOURS", "AreaMap", "LegendEntry", "area_map", "area_shapes",
           "class_colours", "figures_map", "forget_shapes", "published_values"]
