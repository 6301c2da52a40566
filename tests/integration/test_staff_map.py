"""The staff map: buurten by team from our own static files, and only the team's requests."""

from __future__ import annotations

from tests.conftest import login
from tests.integration.helpers import form_data, submit_form


def test_the_map_shows_buurten_by_team_and_only_the_own_teams_requests(app, client, demo):
    assert submit_form(client, "/demo/hulpvraag", form_data(postcode="9999 AA")).status_code == 302
    noord, zuid = app.test_client(), app.test_client()
    login(noord, "noord@demo.wijkloket.example")
    login(zuid, "zuid@demo.wijkloket.example")

    data = noord.get("/staff/map.json").get_json()
    teams = {f["properties"]["code"]: f["properties"]["team"] for f in data["buurten"]["features"]}
    assert teams == {"BU99990101": "Wijkteam Noord", "BU99990102": "Wijkteam Noord",
                     "BU99990201": "Wijkteam Noord", "BU99990202": "Wijkteam Noord",
                     "BU99990301": "Wijkteam Zuid", "BU99990302": "Wijkteam Zuid"}
    assert [r["reference"] for r in data["requests"]] == ["WL-" + r["reference"][3:]
                                                           for r in data["requests"]]
    assert len(data["requests"]) == 1
    assert zuid.get("/staff/map.json").get_json()["requests"] == []

    page = noord.get("/staff/map")
    html = page.get_data(as_text=True)
    assert "/static/vendor/leaflet/leaflet.js" in html
    assert "Molenhoek" in html  # the no-JavaScript table lists every buurt
    assert "https://" not in page.headers["Content-Security-Policy"]
    script = noord.get("/static/vendor/leaflet/leaflet.js")
    assert script.status_code == 200
    script.close()


def test_a_configured_tile_server_is_allowed_by_the_csp(app, demo):
    from tests.conftest import make_app

    tiled = make_app(app.config["SQLALCHEMY_DATABASE_URI"],
                     MAP_TILE_URL="https://tiles.example.nl/{z}/{x}/{y}.png")
    response = tiled.test_client().get("/login")
    assert "img-src 'self' data: https://tiles.example.nl;" in response.headers[
        "Content-Security-Policy"]
