"""``flask geo …`` on the real maps of Heerlen, Hengelo, Utrecht and Rotterdam."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Area, Tenant

MUNICIPALITIES = [("heerlen", "GM0917", 57), ("hengelo", "GM0164", 62),
                  ("utrecht", "GM0344", 111), ("rotterdam", "GM0599", 92)]

HEERLEN_FILE = """
slug: heerlen
name: Heerlen
gemeentecode: GM0917
ruleset: demo
teams:
  - {key: centraal, name: Centrale toegang, kind: central_intake}
  - {key: hoensbroek, name: Sociaal buurtteam Hoensbroek, kind: wijkteam}
  - {key: jeugd, name: JenS, kind: jeugdteam}
partners:
  - {key: schuldhulp, name: Schuldhulp Heerlen}
coverage:
  # Deliberately incomplete: only the Hoensbroek wijken have a wijkteam.
  - {domains: [wijkteam, wmo], areas: [WK091710, WK091711, WK091712, WK091713, WK091714], team: hoensbroek}
  - {domains: [wijkteam, wmo], default: true, team: centraal}
  - {domains: [jeugd], areas: [GM0917], default: true, team: jeugd}
  - {domains: [schulden], areas: [GM0917], default: true, partner: schuldhulp}
"""


def _run(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def _tenant(app, slug, gemeentecode):
    result = _run(app, "tenant", "create", slug, "--name", slug.title(),
                  "--gemeentecode", gemeentecode)
    assert result.exit_code == 0, result.output


def _areas(slug: str, kind: str = "buurt") -> int:
    tenant = db.session.scalar(select(Tenant).where(Tenant.slug == slug))
    return db.session.scalar(select(func.count(Area.id)).where(
        Area.tenant_id == tenant.id, Area.kind == kind))


@pytest.mark.parametrize(("slug", "gemeentecode", "buurten"), MUNICIPALITIES)
def test_the_real_map_of_each_municipality_imports(app, shared_data, slug, gemeentecode,
                                                   buurten):
    _tenant(app, slug, gemeentecode)
    path = shared_data / "geo" / "buurten_4gemeenten.geojson"
    result = _run(app, "geo", "import-areas", str(path), "--tenant", slug, "--year", "2024")
    assert result.exit_code == 0, result.output
    assert f"{buurten} buurten" in result.output
    assert _areas(slug) == buurten
    # Idempotent: the same year again replaces, it does not add.
    assert _run(app, "geo", "import-areas", str(path), "--tenant", slug, "--year",
                "2024").exit_code == 0
    db.session.expire_all()
    assert _areas(slug) == buurten


def test_a_new_year_keeps_the_old_one_and_a_failed_import_changes_nothing(app, shared_data,
                                                                          tmp_path):
    _tenant(app, "heerlen", "GM0917")
    path = shared_data / "geo" / "buurten_heerlen_GM0917.geojson"
    assert _run(app, "geo", "import-areas", str(path), "--tenant", "heerlen").exit_code == 0
    assert _run(app, "geo", "import-areas", str(path), "--tenant", "heerlen",
                "--year", "2025").exit_code == 0
    db.session.expire_all()
    assert _areas("heerlen") == 2 * 57
    broken = tmp_path / "broken.geojson"
    broken.write_text('{"type": "FeatureCollection", "features": [{"type": "Feature", '
                      '"properties": {"buurtcode": "BU09171000"}, "geometry": null}]}')
    result = _run(app, "geo", "import-areas", str(broken), "--tenant", "heerlen",
                  "--year", "2025")
    assert result.exit_code != 0
    assert "no geometry" in result.output
    db.session.expire_all()
    assert _areas("heerlen") == 2 * 57


def test_coverage_finds_the_gaps_of_an_incomplete_coverage_file(app, shared_data, tmp_path):
    _tenant(app, "heerlen", "GM0917")
    assert _run(app, "geo", "import-areas", str(shared_data / "geo" /
                "buurten_heerlen_GM0917.geojson"), "--tenant", "heerlen").exit_code == 0
    tenant_file = tmp_path / "heerlen.yaml"
    tenant_file.write_text(HEERLEN_FILE)
    refused = _run(app, "tenant", "load", str(tenant_file))
    assert refused.exit_code != 0
    assert "coverage has gaps or overlaps" in refused.output
    assert "gap: BU09171000 / welzijn" in refused.output
    assert _run(app, "tenant", "load", str(tenant_file), "--force").exit_code == 0

    result = _run(app, "geo", "coverage", "--tenant", "heerlen")
    assert result.exit_code == 1
    assert "gap      BU09171000  wijkteam" not in result.output  # Hoensbroek has its wijkteam
    assert "gap      BU09172100  wijkteam: nobody" in result.output  # Passart has none
    report = json.loads(_run(app, "geo", "coverage", "--tenant", "heerlen", "--json").output)
    assert report["ok"] is False
    gaps = {(gap["buurt"], gap["domain"]) for gap in report["gaps"]}
    assert ("BU09172100", "wijkteam") in gaps
    assert not any(buurt.startswith("BU091710") and domain in ("wijkteam", "wmo", "jeugd",
                                                               "schulden")
                   for buurt, domain in gaps)
    assert ("BU09171000", "welzijn") in gaps  # nobody does welzijn at all


def test_locate_a_postcode_and_a_batch_of_points(app, shared_data, tmp_path):
    _tenant(app, "heerlen", "GM0917")
    assert _run(app, "geo", "import-areas", str(shared_data / "geo" /
                "buurten_heerlen_GM0917.geojson"), "--tenant", "heerlen").exit_code == 0
    result = _run(app, "geo", "import-postcodes",
                  str(shared_data / "geo" / "postcodes_pc4_4gemeenten.csv"))
    assert result.exit_code == 0, result.output
    assert "147 postcodes" in result.output
    found = json.loads(_run(app, "geo", "locate", "--tenant", "heerlen", "--postcode", "6431 ab",
                            "--number", "12a", "--json").output)
    assert found["buurt_name"] == "Mariarade-Zuid"
    assert found["precision"] == "pc4"  # only the PC4 centroid is known: approximate
    points = tmp_path / "clients.csv"
    points.write_text("lon,lat\n5.95,50.92\n4.0,52.0\n5.98,50.88\n")
    lines = _run(app, "geo", "locate", "--tenant", "heerlen", "--csv", str(points)).output
    rows = [json.loads(line) for line in lines.splitlines()]
    assert [row["buurt_name"] for row in rows] == ["Passart", None, "Bekkerveld"]


def test_a_bad_postcode_file_is_refused(app, tmp_path):
    path = tmp_path / "pc.csv"
    path.write_text("postcode,lat,lon\nABCD,50,5\n")
    result = _run(app, "geo", "import-postcodes", str(path))
    assert result.exit_code != 0
    assert "expected columns postcode, lat, lon" in result.output
