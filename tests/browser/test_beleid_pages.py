"""The municipality's workspace (/beleid) is as accessible as every resident page: axe finds
nothing at phone and at desktop width, in every language, on every page a policy advisor opens
(the figures with their charts, map and tables, the punctuality, the outcomes per partner and
a partner's statement, the path to work) and on the list of late items a team lead opens.

The pages show figures of the last quarter that is over, made for this module: enough
requests, referrals, Wmo terms and steps on the path to work that the tables show numbers,
not only "fewer than 10". Each page is also checked for what it says: a chart has the numbers
of the table beside it, the map the numbers of the areas table, a caption its table's rows.
The period is chosen with a plain GET form, which works without JavaScript; a period that is
not right shows the error summary and keeps what was typed.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from tests.browser.helpers import Site, check_every_width

BELEID = "beleid@demo.wijkloket.example"
LEAD = "lead-noord@demo.wijkloket.example"
NOORD, CENTRUM, ZUID = "WK999901", "WK999902", "WK999903"
#: The buurten of Noord on the demo map (geo/demo.py).
NOORD_BUURTEN = {"Molenhoek", "Vlinderbuurt"}
#: A number as the pages write it in any language: digits, separators, a per cent sign.
NUMBER = re.compile(r"[%\u066a]?\d[\d.,\s\u066b\u066c]*[%\u066a]?")


@dataclass(frozen=True)
class Workspace:
    """The figures made for these tests: all of them in the quarter from ``first`` to
    ``last``, the last one that is over."""

    first: dt.date
    last: dt.date
    schuldhulp_id: int

    @property
    def period(self) -> dict[str, str]:
        return {"start": self.first.isoformat(), "end": self.last.isoformat()}


@pytest.fixture(scope="module")
def workspace(site: Site) -> Workspace:
    """In the last quarter that is over, in Demodorp (every referral due a week after it
    was sent, every request owned by Wijkteam Noord unless said otherwise):

    - Noord (web, 40 years old): 25 requests referred to Schuldhulp, answered on time and
      completed "helped", 15 residents saying they were helped; 3 more answered more than
      three times late; 12 answered on time and completed "not reached", the residents
      saying they were not helped; 12 people of the first on the path to work, from day
      activities to volunteering;
    - Centrum (phone, 70): 12 requests referred to Stichting Welzijn, which declined them
      late ("Geen plek"), these people on the path from sheltered to paid work; 12 referred
      to Schuldhulp, which declined 6 on time ("Past niet") and gave 6 back;
    - 12 Wmo meldingen of Noord, 2 of them investigated after the six weeks;
    - Zuid (walk-in, 30): 12 requests owned by Wijkteam Zuid, referred to Wijkteam Noord,
      which accepted them on time.

    So Noord's team lead has 17 late items: 3 + 12 referrals and 2 Wmo terms.
    """
    from sqlalchemy import select

    from app.calendar import today
    from app.models import Partner, ProgressionStep, Team, User
    from app.services.figures import quick_periods
    from app.services.legal import to_utc
    from tests import factories

    first, last = quick_periods(today())["last_quarter"]

    def day(number: int) -> dt.datetime:
        """Noon (Dutch time) of the quarter's day ``number`` (0: its first day)."""
        return to_utc(dt.datetime.combine(first + dt.timedelta(days=number), dt.time(12)))

    def date(number: int) -> dt.date:
        return first + dt.timedelta(days=number)

    with site.database() as session:
        teams = {team.key: team for team in session.scalars(select(Team))}
        partners = {partner.key: partner for partner in session.scalars(select(Partner))}
        author = session.scalar(select(User).where(User.team_id == teams["noord"].id))

        def requests(count: int, wijk: str, *, team: str = "noord", domain: str = "wijkteam",
                     to: Team | Partner | None = None, answered: int = 12,
                     state: str = "completed", steps: tuple[tuple[str, int], ...] = (),
                     **fields: Any) -> None:
            """``count`` requests in ``wijk``, each referred to ``to`` (None: no referral)
            on day 11, due on day 18 and answered on day ``answered``, with ``steps`` on the
            path to work; ``fields`` of the request and of the referral (``outcome``,
            ``state_reason``)."""
            referral = {key: fields.pop(key) for key in ("outcome", "state_reason")
                        if key in fields}
            for _number in range(count):
                request = factories.support_request(
                    teams[team], domains=(domain,), created_at=day(10), wijk_code=wijk,
                    buurt_code=f"BU{wijk[2:]}01", **fields)
                if to is not None:
                    ended = day(answered) if state in {"completed", "declined",
                                                       "returned"} else None
                    factories.referral(
                        request, domain, to, state=state, due=date(18), sent_at=day(11),
                        answered_at=day(answered),
                        accepted_at=day(answered) if state != "declined" else None,
                        ended_at=ended, **referral)
                for step, number in steps:
                    session.add(ProgressionStep(
                        tenant_id=request.tenant_id, request_id=request.id, step=step,
                        happened_on=date(number), recorded_by_id=author.id))

        schuldhulp, welzijn = partners["schuldhulp"], partners["welzijn"]
        noord = {"age": 40, "status": "closed", "closed_at": day(60), "domain": "schulden",
                 "to": schuldhulp}
        helped = {**noord, "outcome": "geholpen", "feedback": "ja", "feedback_at": day(61)}
        requests(12, NOORD, **helped, steps=(("dagbesteding", 5), ("vrijwilligerswerk", 35)))
        requests(3, NOORD, **helped)
        requests(10, NOORD, **{**helped, "feedback": None, "feedback_at": None})
        requests(3, NOORD, **{**noord, "outcome": "geholpen"}, answered=70)
        requests(12, NOORD, **noord, outcome="niet_bereikt", feedback="nee",
                 feedback_at=day(61))
        centrum = {"age": 70, "channel": "telefoon", "life_areas": ["contact"]}
        requests(12, CENTRUM, **centrum, domain="welzijn", to=welzijn, state="declined",
                 state_reason="Geen plek", answered=25,
                 steps=(("beschut_werk", 3), ("betaald_werk", 60)))
        for state in ("declined", "returned"):
            requests(6, CENTRUM, **centrum, domain="schulden", to=schuldhulp, state=state,
                     state_reason="Past niet")
        for number in range(12):
            factories.support_request(
                teams["noord"], domains=("wmo",), created_at=day(5), wijk_code=NOORD,
                buurt_code="BU99990102", age=80, life_areas=["huishouden"],
                wmo_investigation_done_on=date(55 if number < 2 else 20))
        requests(12, ZUID, team="zuid", to=teams["noord"], state="accepted", age=30,
                 channel="balie", life_areas=["werk"])
        session.commit()
        return Workspace(first, last, schuldhulp.id)


def url(path: str, language: str, **query: str) -> str:
    """``/beleid/<path>`` in ``language``."""
    return f"/beleid/{path}?{urlencode({'lang': language, **query})}"


def query_of(page: Any) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def send_form(page: Any) -> Any:
    """Send the page's form of choices; the response of the page it leads to."""
    with page.expect_navigation() as navigation:
        page.locator("main form.filters button[type=submit]").click()
    return navigation.value


# --- Reading the page ------------------------------------------------------------------------

_TABLES = """() => [...document.querySelectorAll('main table')].map(table => {
  const cells = row => [...row.children].map(cell => cell.textContent.trim());
  const scroll = table.closest('.table-scroll');
  const names = (scroll?.getAttribute('aria-labelledby') || '').split(' ').filter(Boolean);
  return {
    section: table.closest('section')?.getAttribute('aria-labelledby') || null,
    scroll: scroll ? {role: scroll.getAttribute('role'), tabindex: scroll.tabIndex,
                      name: names.map(id => document.getElementById(id).textContent.trim())}
                   : null,
    caption: table.caption ? table.caption.textContent.trim() : null,
    head: [...table.tHead.rows].map(cells),
    rows: [...table.tBodies[0].rows].map(cells),
    foot: table.tFoot ? [...table.tFoot.rows].map(cells) : [],
  };
})"""

_CHARTS = """() => [...document.querySelectorAll('main svg.chart')].map(svg => ({
  section: svg.closest('section').getAttribute('aria-labelledby'),
  name: document.getElementById(svg.getAttribute('aria-labelledby'))?.textContent.trim(),
  labels: [...svg.querySelectorAll('text.chart-label')].map(t => t.textContent.trim()),
  values: [...svg.querySelectorAll('text.chart-value')].map(t => t.textContent.trim()),
  bars: [...svg.querySelectorAll('rect.chart-bar')].map(r => Number(r.getAttribute('width'))),
}))"""

_MAP = """() => {
  const svg = document.querySelector('main figure.area-map > svg');
  if (!svg) return null;
  return {
    name: svg.getAttribute('aria-labelledby').split(' ')
             .map(id => document.getElementById(id).textContent.trim()).join(' '),
    areas: [...svg.querySelectorAll('path[data-code]')].map(path => ({
      title: path.querySelector('title').textContent.trim(),
      hatched: path.getAttribute('class') === 'nodata'})),
    legend: [...document.querySelectorAll('main .area-map-legend li')].map(li =>
                                                                           li.textContent.trim()),
  };
}"""


def tables(page: Any) -> list[dict[str, Any]]:
    return page.evaluate(_TABLES)


def tables_by_section(page: Any) -> dict[str, dict[str, Any]]:
    return {table["section"]: table for table in tables(page)}


def is_number(text: str) -> bool:
    """A cell that shows its number (a count, a share, a number of days), not words such
    as "fewer than 10" (which starts with a digit in Turkish: "10'dan az") or "hidden"."""
    return NUMBER.fullmatch(text) is not None


def has_numbers(table: dict[str, Any]) -> bool:
    """Some cell of the table (its totals too) shows its number."""
    return any(is_number(cell) for row in (*table["rows"], *table["foot"]) for cell in row[1:])


def assert_every_table_is_named(page: Any) -> list[dict[str, Any]]:
    """Each table has a caption, column headers and row headers; the box that scrolls it
    sideways on a phone can be reached with the keyboard and is named by the table's
    heading (which the caption repeats)."""
    found = tables(page)
    assert found, page.url
    for table in found:
        assert table["caption"], table
        scroll = table["scroll"]
        assert scroll and scroll["tabindex"] == 0 and scroll["role"] in {"group", "region"}
        assert scroll["name"] and all(name in table["caption"] for name in scroll["name"])
        assert table["head"] and all(table["head"][0]), table
    headers = page.locator("main table thead th:not([scope=col])")
    assert headers.count() == 0, "a column header without scope=col"
    assert page.locator("main table tbody tr > :first-child:not(th[scope=row])").count() == 0
    return found


def assert_charts_have_their_tables_numbers(page: Any) -> None:
    """Every bar chart is named, and beside it the table holds the same rows and numbers: a
    label per row, the first column's text as the bar's number, a bar only for a number."""
    charts = page.evaluate(_CHARTS)
    assert charts, page.url
    by_section = tables_by_section(page)
    for chart in charts:
        table = by_section[chart["section"]]
        assert chart["name"] and table["caption"] in chart["name"], chart
        assert chart["labels"] == [row[0] for row in table["rows"]], chart["section"]
        assert chart["values"] == [row[1] for row in table["rows"]], chart["section"]
        assert len(chart["bars"]) == sum(is_number(row[1]) for row in table["rows"])
    assert any(max(chart["bars"], default=0) > 0 for chart in charts)


def assert_map_has_the_areas_numbers(page: Any, names: set[str]) -> None:
    """The map beside the areas table draws the areas ``names``, each titled with its text
    in the table; an area whose number is not shown is hatched, never coloured by it; the
    legend says what the colours mean."""
    drawn = page.evaluate(_MAP)
    assert drawn is not None, f"{page.url}: no map"
    assert drawn["name"], drawn
    rows = {row[0]: row[1] for row in tables_by_section(page)["areas-heading"]["rows"]}
    areas = {}
    for area in drawn["areas"]:
        name, _colon, text = area["title"].partition(": ")
        areas[name] = text
        assert text == rows[name], area
        assert area["hatched"] is not is_number(text), area
    assert set(areas) == names, areas
    assert any(is_number(text) for text in areas.values()), areas
    assert len(drawn["legend"]) >= 2, drawn


def assert_kept_in_the_quick_periods(page: Any, **kept: str) -> None:
    """The links to this and last quarter and year keep the other choices."""
    links = page.locator("main ul.inline-list a")
    assert links.count() == 4
    for index in range(4):
        query = parse_qs(urlsplit(links.nth(index).get_attribute("href")).query)
        for name, value in kept.items():
            assert query.get(name) == [value], (name, query)


def assert_period_shown(page: Any, workspace: Workspace) -> None:
    assert page.locator("#start").input_value() == workspace.first.isoformat()
    assert page.locator("#end").input_value() == workspace.last.isoformat()
    assert page.locator(".error-summary").count() == 0


# --- The pages -------------------------------------------------------------------------------

Scenario = Callable[[Any, Site, Workspace, str], None]


def figures(page: Any, site: Site, workspace: Workspace, language: str) -> None:
    site.log_in(page, BELEID)
    page.goto(url("", language, **workspace.period))
    assert_period_shown(page, workspace)
    found = tables_by_section(page)
    assert has_numbers(found["areas-heading"]) and has_numbers(found["channels-heading"])
    assert_every_table_is_named(page)
    assert_charts_have_their_tables_numbers(page)
    assert_map_has_the_areas_numbers(page, {"Noord", "Centrum", "Zuid"})
    assert page.locator('nav.main-nav a[aria-current="page"]').count() == 1


def figures_of_a_chosen_period(page: Any, site: Site, workspace: Workspace,
                               language: str) -> None:
    """This quarter at first; the last one chosen in the form and sent."""
    site.log_in(page, BELEID)
    page.goto(url("", language))
    page.locator("#start").fill(workspace.first.isoformat())
    page.locator("#end").fill(workspace.last.isoformat())
    response = send_form(page)
    assert response.status == 200
    query = query_of(page)
    assert query["start"] == [workspace.first.isoformat()], page.url
    assert query["end"] == [workspace.last.isoformat()], page.url
    assert_period_shown(page, workspace)
    assert has_numbers(tables_by_section(page)["areas-heading"])
    assert_charts_have_their_tables_numbers(page)


def figures_of_a_district(page: Any, site: Site, workspace: Workspace, language: str) -> None:
    """Only Noord: the areas table and the map show its buurten, and the choice is kept in
    the form and in the quick links."""
    site.log_in(page, BELEID)
    page.goto(url("", language, **workspace.period))
    page.locator("#wijk").select_option(NOORD)
    send_form(page)
    assert query_of(page)["wijk"] == [NOORD]
    assert page.locator("#wijk").input_value() == NOORD
    assert_period_shown(page, workspace)
    areas = tables_by_section(page)["areas-heading"]
    assert NOORD_BUURTEN <= {row[0] for row in areas["rows"]}, areas["rows"]
    assert not {"Noord", "Centrum", "Zuid"} & {row[0] for row in areas["rows"]}
    assert_map_has_the_areas_numbers(page, NOORD_BUURTEN)
    assert_charts_have_their_tables_numbers(page)
    assert_kept_in_the_quick_periods(page, wijk=NOORD)


def bad_period(path: str, user: str = BELEID) -> Scenario:
    """On ``path``, the last day typed before the first and sent: the error summary, which
    has the focus and leads to the field, the typed days kept, no figures."""
    def go(page: Any, site: Site, workspace: Workspace, language: str) -> None:
        site.log_in(page, user)
        page.goto(url(path, language))
        start, end = workspace.last.isoformat(), workspace.first.isoformat()
        page.locator("#start").fill(start)
        page.locator("#end").fill(end)
        response = send_form(page)
        # The workspace answers a choice that is not right with its page and 200 (the
        # public statistics page answers 400); the integration tests hold it to that.
        assert response.status == 200
        summary = page.locator(".error-summary")
        assert summary.is_visible()
        assert page.evaluate("document.activeElement.classList.contains('error-summary')")
        assert summary.locator('a[href="#end"]').count() == 1
        assert page.locator("#end").get_attribute("aria-invalid") == "true"
        assert "end-error" in (page.locator("#end").get_attribute("aria-describedby") or "")
        assert page.locator("#start").input_value() == start
        assert page.locator("#end").input_value() == end
        assert page.locator("main table").count() == 0
    return go


def punctuality(page: Any, site: Site, workspace: Workspace, language: str) -> None:
    site.log_in(page, BELEID)
    page.goto(url("punctuality", language, **workspace.period))
    assert_period_shown(page, workspace)
    found = {table["section"]: table for table in assert_every_table_is_named(page)}
    assert set(found) == {"teams-heading", "partners-heading", "domains-heading",
                          "legal_terms-heading"}
    partners = {row[0] for row in found["partners-heading"]["rows"]}
    assert partners == {"Schuldhulp Demodorp", "Stichting Welzijn Demodorp"}
    for table in found.values():
        assert has_numbers(table), (table["section"], table["rows"], table["foot"])
        assert len(table["foot"]) == 1  # the column totals
    # A policy advisor sees aggregates only: no way to the list of late items.
    assert page.locator('a[href^="/beleid/punctuality/late"]').count() == 0


def late_items(page: Any, site: Site, workspace: Workspace, language: str) -> None:
    """A team lead follows the link from the punctuality page to the late items of the
    team: the caption counts the rows, each a reference that opens the request."""
    site.log_in(page, LEAD)
    page.goto(url("punctuality", language, **workspace.period))
    with page.expect_navigation():
        page.locator('main a[href^="/beleid/punctuality/late"]').click()
    assert_period_shown(page, workspace)
    assert "Wijkteam Noord" in page.locator("main h1").inner_text()
    [table] = assert_every_table_is_named(page)
    # The 3 very late and 12 late referrals of Noord's requests, and the 2 late Wmo terms.
    assert len(table["rows"]) == 17, table["rows"]
    assert str(len(table["rows"])) in table["caption"], table["caption"]
    links = page.locator("main table tbody th a").evaluate_all(
        "links => links.map(a => [a.textContent.trim(), a.getAttribute('href')])")
    assert len(links) == 17
    for reference, href in links:
        assert href.startswith("/staff/") and href.endswith(f"/{reference}"), href
    # The menu shows where the list belongs: under the punctuality.
    assert page.locator('nav.main-nav a[aria-current="true"]').get_attribute("href") \
        == "/beleid/punctuality"


def outcomes(page: Any, site: Site, workspace: Workspace, language: str) -> None:
    """The last quarter that is over, without choosing: a section per partner organisation,
    reached from the list of them, each with its tables and its statement."""
    site.log_in(page, BELEID)
    page.goto(url("outcomes", language))
    assert_period_shown(page, workspace)
    found = assert_every_table_is_named(page)
    links = page.locator("main nav[aria-labelledby=partners-heading] a").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))")
    sections = page.locator("main section.outcomes-partner").evaluate_all(
        "sections => sections.map(s => '#' + s.getAttribute('aria-labelledby'))")
    assert links == sections and len(links) >= 2, (links, sections)
    assert any(has_numbers(table) for table in found
               if table["caption"].endswith("– Schuldhulp Demodorp"))
    own = f"partner-{workspace.schuldhulp_id}"
    statement = page.locator(f'section[aria-labelledby="{own}"] a[href*="/statement"]')
    assert statement.count() == 1


def statement(page: Any, site: Site, workspace: Workspace, language: str) -> None:
    """Schuldhulp's statement of the last quarter, opened from the outcomes page."""
    outcomes(page, site, workspace, language)
    own = f"partner-{workspace.schuldhulp_id}"
    with page.expect_navigation():
        page.locator(f'section[aria-labelledby="{own}"] a[href*="/statement"]').click()
    assert f"/beleid/outcomes/{workspace.schuldhulp_id}/statement" in page.url
    assert "Schuldhulp Demodorp" in page.locator("main dl.summary").inner_text()
    assert page.locator("#quarter").input_value() == query_of(page)["quarter"][0]
    found = assert_every_table_is_named(page)
    assert any(has_numbers(table) for table in found), [t["rows"] for t in found]
    assert page.locator("main a[href*='statement.csv']").count() == 1


def statement_of_a_running_quarter(page: Any, site: Site, workspace: Workspace,
                                   language: str) -> None:
    """A quarter that is not over: its message and the quarter chooser, nothing else."""
    from app.calendar import Period, today

    site.log_in(page, BELEID)
    running = Period.of(today()).code
    page.goto(url(f"outcomes/{workspace.schuldhulp_id}/statement", language, quarter=running))
    summary = page.locator(".error-summary")
    assert summary.is_visible() and running in summary.inner_text()
    assert page.locator("#quarter option").count() >= 1
    assert page.locator("main table").count() == 0


def progression(page: Any, site: Site, workspace: Workspace, language: str) -> None:
    site.log_in(page, BELEID)
    page.goto(url("progression", language, **workspace.period))
    assert_period_shown(page, workspace)
    found = assert_every_table_is_named(page)
    assert any(has_numbers(table) for table in found), [t["rows"] for t in found]
    # A move from a step to the same step has no figure, and says so to a screen reader.
    assert page.locator("main td .visually-hidden").count() >= 1


def contracts(page: Any, site: Site, workspace: Workspace, language: str) -> None:
    """Every contract with its state, room and referrals; the link to transfer them."""
    site.log_in(page, BELEID)
    page.goto(url("contracts", language))
    assert_every_table_is_named(page)


def transfer(page: Any, site: Site, workspace: Workspace, language: str) -> None:
    """The transfer of a partner's referrals to a successor: the form before the preview."""
    site.log_in(page, BELEID)
    page.goto(url("contracts/transfer", language))
    assert page.locator("main form").count() >= 1


def partner_services(page: Any, site: Site, workspace: Workspace, language: str) -> None:
    """A partner's services, each with the form that says whether it has room."""
    site.log_in(page, "schuldhulp@demo.wijkloket.example")
    page.goto(f"/partner/services?{urlencode({'lang': language})}")
    assert page.locator("main form").count() >= 1


#: name (also the screenshot's) → how the page is reached.
PAGES: dict[str, Scenario] = {
    "30-beleid-figures": figures,
    "31-beleid-figures-chosen-period": figures_of_a_chosen_period,
    "32-beleid-figures-bad-period": bad_period(""),
    "33-beleid-figures-of-a-district": figures_of_a_district,
    "34-beleid-punctuality": punctuality,
    "35-beleid-punctuality-bad-period": bad_period("punctuality"),
    "36-beleid-late-items": late_items,
    "37-beleid-late-items-bad-period": bad_period("punctuality/late", LEAD),
    "38-beleid-outcomes": outcomes,
    "39-beleid-outcomes-bad-period": bad_period("outcomes"),
    "40-beleid-statement": statement,
    "41-beleid-statement-running-quarter": statement_of_a_running_quarter,
    "42-beleid-progression": progression,
    "43-beleid-progression-bad-period": bad_period("progression"),
    "44-beleid-contracts": contracts,
    "45-beleid-contract-transfer": transfer,
    "46-partner-services": partner_services,
}


@pytest.mark.parametrize("name", list(PAGES))
def test_a_workspace_page_has_no_accessibility_violations(page, site, workspace, language,
                                                          name):
    PAGES[name](page, site, workspace, language)
    check_every_width(page, language, name)


# --- Without JavaScript ----------------------------------------------------------------------


@pytest.mark.parametrize(("path", "user"), [
    ("", BELEID), ("punctuality", BELEID), ("punctuality/late", LEAD), ("outcomes", BELEID),
    ("progression", BELEID),
])
def test_a_period_is_chosen_without_javascript(page_without_script, site, workspace, path,
                                               user):
    page = page_without_script
    site.log_in(page, user)
    page.goto(f"/beleid/{path}")
    page.locator("#start").fill(workspace.first.isoformat())
    page.locator("#end").fill(workspace.last.isoformat())
    assert send_form(page).status == 200
    assert query_of(page)["start"] == [workspace.first.isoformat()]
    assert_period_shown(page, workspace)
    assert page.locator("main table").count() >= 1
