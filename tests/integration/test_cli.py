"""The command-line set-up: tenants, tokens, the demo, the tenant file check."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from app.extensions import db
from app.models import ApiToken, Coverage, Tenant, User


def test_demo_seed_is_idempotent(app):
    runner = app.test_cli_runner()
    for _ in range(2):
        result = runner.invoke(args=["demo", "seed"])
        assert result.exit_code == 0, result.output
    assert "noord@demo.wijkloket.example" in result.output
    assert "beleid@demo.wijkloket.example" in result.output
    assert db.session.scalar(select(func.count(Tenant.id))) == 1
    assert db.session.scalar(select(func.count(User.id))) == 11
    assert db.session.scalar(select(func.count(Coverage.id))) > 0


def test_tenant_create_and_token_create(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["tenant", "create", "heerlen", "--name", "Heerlen",
                                 "--gemeentecode", "GM0917"])
    assert result.exit_code == 0, result.output
    tenant = db.session.scalar(select(Tenant).where(Tenant.slug == "heerlen"))
    assert (tenant.name, tenant.gemeentecode) == ("Heerlen", "GM0917")
    result = runner.invoke(args=["token", "create", "--tenant", "heerlen", "--name", "telefoon"])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1].strip()
    stored = db.session.scalar(select(ApiToken))
    assert token not in stored.token_hash  # only the hash is stored
    assert len(token) >= 32


def test_token_create_for_an_unknown_tenant_fails(app):
    result = app.test_cli_runner().invoke(args=["token", "create", "--tenant", "nope",
                                                "--name", "x"])
    assert result.exit_code != 0


def test_a_tenant_file_with_a_coverage_gap_is_refused_unless_forced(app, demo, tmp_path: Path):
    from app.services.tenants import TENANT_DIR

    text = (TENANT_DIR / "demo.yaml").read_text(encoding="utf-8")
    # Drop the coverage of wijk Zuid: its buurten lose their wijkteam.
    gappy = "\n".join(line for line in text.splitlines() if "areas: [WK999903]" not in line)
    path = tmp_path / "demo.yaml"
    path.write_text(gappy, encoding="utf-8")
    (tmp_path / "logos").symlink_to(TENANT_DIR / "logos")  # the logo beside the file
    before = db.session.scalar(select(func.count(Coverage.id)))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["tenant", "load", str(path)])
    assert result.exit_code != 0
    assert "gap: BU99990301 / wijkteam" in result.output
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Coverage.id))) == before
    result = runner.invoke(args=["tenant", "load", str(path), "--force"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(func.count(Coverage.id))) < before


def test_a_tenant_files_closing_days_are_stored_and_count_for_its_working_days(
        app, demo, tmp_path: Path):
    import datetime as dt

    from app.services.calendars import calendar_for
    from app.services.tenants import TENANT_DIR

    tenant = db.session.scalar(select(Tenant).where(Tenant.slug == "demo"))
    assert tenant.closing_days == ["2027-05-07", "2028-05-26"]
    calendar = calendar_for(tenant)
    assert calendar.add_working_days(dt.date(2027, 5, 4), 1) == dt.date(2027, 5, 10)
    text = (TENANT_DIR / "demo.yaml").read_text(encoding="utf-8")
    (tmp_path / "logos").symlink_to(TENANT_DIR / "logos")
    path = tmp_path / "demo.yaml"
    path.write_text(text.replace('closing_days: ["2027-05-07", "2028-05-26"]',
                                 'closing_days: ["7 mei 2027"]'), encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["tenant", "load", str(path)])
    assert result.exit_code != 0
    assert "closing_days: '7 mei 2027' is not a date (YYYY-MM-DD)" in result.output
    db.session.expire_all()
    assert db.session.get(Tenant, tenant.id).closing_days == ["2027-05-07", "2028-05-26"]


def test_a_tenant_files_small_numbers_are_stored_and_may_only_be_stricter(
        app, demo, tmp_path: Path):
    from app.services.small_numbers import rules_for
    from app.services.tenants import TENANT_DIR
    from disclosure import Rules

    tenant = db.session.scalar(select(Tenant).where(Tenant.slug == "demo"))
    assert rules_for(tenant) == Rules(min_count=10, rounding=5)
    text = (TENANT_DIR / "demo.yaml").read_text(encoding="utf-8")
    (tmp_path / "logos").symlink_to(TENANT_DIR / "logos")
    path = tmp_path / "demo.yaml"
    runner = app.test_cli_runner()
    path.write_text(text.replace("small_numbers: {min_count: 10, rounding: 5}",
                                 "small_numbers: {min_count: 15}"), encoding="utf-8")
    result = runner.invoke(args=["tenant", "load", str(path)])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert rules_for(db.session.get(Tenant, tenant.id)) == Rules(min_count=15, rounding=5)
    for bad, says in (("{min_count: 3}", "min_count cannot be under 10"),
                      ("{rounding: 2}", "rounding cannot be under 5"),
                      ("{min_count: ten}", "min_count must be a whole number"),
                      ("{hide: all}", "small_numbers takes min_count and rounding")):
        path.write_text(text.replace("small_numbers: {min_count: 10, rounding: 5}",
                                     f"small_numbers: {bad}"), encoding="utf-8")
        result = runner.invoke(args=["tenant", "load", str(path)])
        assert result.exit_code != 0 and says in result.output, (bad, result.output)
    db.session.expire_all()
    assert rules_for(db.session.get(Tenant, tenant.id)).min_count == 15
