"""The team lead downloads the queue as a CSV file: the filter's requests, all pages, safe
to open in a spreadsheet, and the download is an audit event."""

from __future__ import annotations

import csv
import io

from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, User
from app.services.export import csv_lines, safe_cell
from app.staff import queue as queue_views
from tests.conftest import logged_in
from tests.integration.test_queue import NOORD_LEAD, NOORD_STAFF, ZUID_STAFF, _team, make_request


def _rows(response) -> list[list[str]]:
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


def test_formulas_and_separators_stay_text():
    assert safe_cell("=HYPERLINK(\"http://x\")") == "'=HYPERLINK(\"http://x\")"
    for start in "=+-@\t\r":
        assert safe_cell(start + "1") == "'" + start + "1"
    assert safe_cell("Jan de Vries") == "Jan de Vries" and safe_cell(None) == "" and safe_cell(3) == "3"
    text = "".join(csv_lines(["a", "b"], [["x;y", 'say "hi"\nbye'], ["-2+3", "ok"]]))
    rows = list(csv.reader(io.StringIO(text[1:]), delimiter=";"))
    assert rows == [["a", "b"], ["x;y", 'say "hi"\nbye'], ["'-2+3", "ok"]]


def test_the_download_holds_every_page_of_the_filter_and_only_the_own_team(app, demo,
                                                                           monkeypatch):
    noord, zuid = _team("noord"), _team("zuid")
    lead = db.session.scalar(select(User).where(User.email == NOORD_LEAD))
    lead.name = "=cmd|' /C calc'!A0 <script>alert(1)</script>"  # a hostile name, as a cell
    crisis = [make_request(noord, priority="crisis", buurt_code="BU99990101",
                           coordinator_id=lead.id) for _ in range(3)]
    normal = [make_request(noord, days_ago=number + 2) for number in range(4)]
    other_team = make_request(zuid, priority="crisis")
    db.session.commit()
    monkeypatch.setattr(queue_views, "EXPORT_PAGE", 2)  # four pages for seven requests
    client = logged_in(app, NOORD_LEAD)

    response = client.get("/staff/export.csv?priority=crisis")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    header, *rows = _rows(response)
    assert header[0] == "Kenmerk" or header[0] == "Reference"
    assert sorted(row[0] for row in rows) == sorted(r.reference for r in crisis)
    assert {row[5] for row in rows} == {"'" + lead.name}  # a formula is text, nothing else
    assert other_team.reference not in response.get_data(as_text=True)

    everything = _rows(client.get("/staff/export.csv"))[1:]
    assert sorted(row[0] for row in everything) == sorted(
        r.reference for r in crisis + normal)
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "queue.exported")
                               .order_by(AuditEvent.id)).all()
    assert [(e.actor_id, e.details["rows"], e.details["filter"]) for e in event] == [
        (lead.id, 3, {"priority": ["crisis"]}), (lead.id, 7, {})]


def test_staff_cannot_download_and_a_too_long_list_asks_for_a_narrower_filter(app, demo,
                                                                              monkeypatch):
    noord = _team("noord")
    for _ in range(4):
        make_request(noord)
    db.session.commit()
    assert logged_in(app, NOORD_STAFF).get("/staff/export.csv").status_code == 403
    assert logged_in(app, ZUID_STAFF).get("/staff/export.csv").status_code == 403
    monkeypatch.setattr(queue_views, "EXPORT_MAX", 3)
    client = logged_in(app, NOORD_LEAD)
    response = client.get("/staff/export.csv?sort=newest")
    assert response.status_code == 302 and "sort=newest" in response.location
    page = client.get(response.location).get_data(as_text=True)
    assert "too many to download" in page or "te veel" in page
    assert not db.session.scalar(select(AuditEvent).where(AuditEvent.action == "queue.exported"))


def test_the_queue_page_links_the_download_for_the_team_lead_only(app, demo):
    make_request(_team("noord"), priority="crisis")
    db.session.commit()
    lead_page = logged_in(app, NOORD_LEAD).get("/staff/?priority=crisis").get_data(as_text=True)
    assert "/staff/export.csv?priority=crisis" in lead_page
    staff_page = logged_in(app, NOORD_STAFF).get("/staff/").get_data(as_text=True)
    assert "/staff/export.csv" not in staff_page
