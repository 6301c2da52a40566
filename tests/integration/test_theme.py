"""Each municipality's look and contact details: the theme stylesheet and logo from our own
routes, the header, and the phone number, opening hours, retention and privacy officer on
the resident pages (with a sensible text where a setting is missing)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import undefer

from app.extensions import db
from app.models import Tenant
from app.services.tenants import TENANT_DIR
from app.services.theme import theme_tokens
from tests.integration.helpers import check_page, form_data, submit_form


def html_of(response: Any) -> str:
    return response.get_data(as_text=True)


def _stylesheet_url(html: str, slug: str) -> str:
    match = re.search(rf'<link rel="stylesheet" href="(/theme/{slug}\.css\?v=[0-9a-f]+)">', html)
    assert match, "no theme stylesheet linked"
    return match.group(1)


# --- The stylesheet and the logo ----------------------------------------------------------------


def test_the_theme_stylesheet_holds_the_municipality_s_tokens(client, demo):
    response = client.get("/theme/demo.css")
    css = html_of(response)
    assert response.status_code == 200
    assert response.mimetype == "text/css"
    assert "--utrecht-button-primary-action-background-color: #00665e;" in css
    assert "--utrecht-link-color: #00665e;" in css
    assert "--utrecht-page-header-background-color: #0b3d38;" in css
    assert "--utrecht-page-header-color: #ffffff;" in css


def test_the_page_links_the_stylesheet_by_version_and_that_address_is_kept_a_year(client, demo):
    url = _stylesheet_url(html_of(client.get("/demo/")), "demo")
    response = client.get(url)
    assert response.status_code == 200
    assert response.cache_control.public
    assert response.cache_control.max_age == 365 * 24 * 3600
    assert response.cache_control.immutable
    again = client.get(url, headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    # Without the version (an old page, a proxy): kept briefly, then asked again.
    assert client.get("/theme/demo.css").cache_control.max_age == 300


def test_a_new_theme_gets_a_new_stylesheet_address(client, demo):
    before = _stylesheet_url(html_of(client.get("/demo/")), "demo")
    demo.theme = {**demo.theme, "colours": {**demo.theme["colours"], "link": "#0b5c4d"}}
    db.session.commit()
    after = _stylesheet_url(html_of(client.get("/demo/")), "demo")
    assert after != before
    assert "--utrecht-link-color: #0b5c4d;" in html_of(client.get(after))


def test_pages_without_a_municipality_use_our_own_colours(client, demo):
    html = html_of(client.get("/login"))
    match = re.search(r'<link rel="stylesheet" href="(/theme\.css\?v=[0-9a-f]+)">', html)
    assert match
    css = html_of(client.get(match.group(1)))
    assert "--utrecht-button-primary-action-background-color: #154273;" in css


def test_an_unknown_municipality_has_no_stylesheet_or_logo(client, demo):
    assert client.get("/theme/nergensdorp.css").status_code == 404
    assert client.get("/theme/nergensdorp/logo").status_code == 404


def test_the_logo_is_served_from_our_own_route_and_cannot_run_anything(client, demo):
    html = html_of(client.get("/demo/"))
    match = re.search(r'<img class="brand-logo" src="(/theme/demo/logo\?v=[0-9a-f]+)" alt=""', html)
    assert match
    response = client.get(match.group(1))
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert response.data == (TENANT_DIR / "logos" / "demodorp.svg").read_bytes()
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.cache_control.immutable


def test_the_header_shows_the_logo_and_the_municipality_s_name(client, demo):
    html = html_of(client.get("/demo/?lang=en"))
    check_page(html)
    assert '<span class="brand-name">Gemeente Demodorp</span>' in html
    assert "<title>Ask your question – Gemeente Demodorp – Wijkloket</title>" in html


def test_a_real_municipality_shows_its_name_and_no_logo(app, client):
    result = app.test_cli_runner().invoke(args=["tenant", "load", "hengelo"])
    assert result.exit_code == 0, result.output
    html = html_of(client.get("/hengelo/"))
    assert '<span class="brand-name">Gemeente Hengelo</span>' in html
    assert "brand-logo" not in html
    assert client.get("/theme/hengelo/logo").status_code == 404
    css = html_of(client.get("/theme/hengelo.css"))
    assert "--utrecht-button-primary-action-background-color: #29434e;" in css


def test_every_stylesheet_comes_from_our_own_host_and_the_csp_holds(client, demo):
    response = client.get("/demo/hulpvraag")
    html = html_of(response)
    links = re.findall(r'<link rel="stylesheet" href="([^"]+)"', html)
    assert links[:3] == ["/static/css/tokens.css",
                         "/static/vendor/utrecht/component-library.css", "/static/css/app.css"]
    assert links[3].startswith("/theme/demo.css?v=")  # the theme last: its colours win
    assert all(link.startswith("/") and not link.startswith("//") for link in links)
    assert " style=" not in html and "<style" not in html  # no inline styles
    csp = response.headers["Content-Security-Policy"]
    assert "style-src 'self'" in csp and "default-src 'self'" in csp
    for link in links[:3]:
        with client.get(link) as static:  # a file response: closed after use
            assert static.status_code == 200, f"{link}: run make install"


def test_our_css_and_the_vendored_css_load_nothing_from_elsewhere():
    static = Path(__file__).resolve().parents[2] / "app" / "static"
    for path in ("vendor/utrecht/component-library.css", "css/tokens.css", "css/app.css"):
        css = (static / path).read_text(encoding="utf-8")
        assert "@import" not in css
        assert not re.search(r"url\(\s*(?![\"']?data:)", css), path  # only data: images


def _stylesheet(path: str) -> str:
    return (Path(__file__).resolve().parents[2] / "app" / "static" / path).read_text("utf-8")


def test_every_colour_a_theme_sets_has_our_default_and_a_component_that_reads_it():
    ours = set(re.findall(r"(--utrecht-[\w-]+)\s*:", _stylesheet("css/tokens.css")))
    read = set(re.findall(r"var\(\s*(--utrecht-[\w-]+)",
                          _stylesheet("vendor/utrecht/component-library.css")
                          + _stylesheet("css/app.css")))
    for name in theme_tokens(None):
        assert name in ours, f"{name}: tokens.css has no default"
        assert name in read, f"{name}: no component reads it"


def test_app_css_reads_only_tokens_that_tokens_css_sets_and_sets_none_itself():
    tokens, app_css = _stylesheet("css/tokens.css"), _stylesheet("css/app.css")
    ours = set(re.findall(r"(--(?:utrecht|wl)-[\w-]+)\s*:", tokens))
    assert not re.findall(r"(--(?:utrecht|wl)-[\w-]+)\s*:", app_css)
    for name in set(re.findall(r"var\(\s*(--(?:utrecht|wl)-[\w-]+)", app_css + tokens)):
        assert name in ours, f"{name} is read but tokens.css does not set it"


# --- Contact details on the resident pages ------------------------------------------------------


@pytest.mark.parametrize(("language", "period"), [("en", "2 years"), ("nl", "2 jaar"),
                                                  ("pl", "2 lata"), ("tr", "2 yıl")])
def test_the_privacy_statement_says_how_long_in_the_page_s_language(client, demo, language,
                                                                    period):
    html = html_of(client.get(f"/demo/privacy?lang={language}"))
    check_page(html)
    assert period in html


def test_the_privacy_statement_names_the_privacy_officer_and_the_phone(client, demo):
    html = html_of(client.get("/demo/privacy?lang=en"))
    assert "When your question is closed, we keep it for 2 years more." in html
    assert 'href="mailto:privacy@demodorp.example"' in html
    assert re.search(r'The phone number of the municipality is <a [^>]*href="tel:140999"', html)


def test_a_retention_in_months_is_said_in_months(client, demo):
    demo.contact = {**demo.contact, "retention_months": 18}
    db.session.commit()
    assert "we keep it for 18 months more" in html_of(client.get("/demo/privacy?lang=en"))
    assert "18 maanden" in html_of(client.get("/demo/privacy?lang=nl"))


def test_without_contact_settings_the_privacy_statement_says_something_general(client, demo):
    demo.contact = None
    db.session.commit()
    html = html_of(client.get("/demo/privacy?lang=en"))
    check_page(html)
    assert "After that, we follow the archive rules of the municipality" in html
    assert "Ask the municipality of Demodorp how to reach them." in html
    assert "tel:" not in html


def test_the_confirmation_gives_the_phone_number_and_the_opening_hours(client, demo):
    response = submit_form(client, "/demo/hulpvraag?lang=en", form_data())
    assert response.status_code == 302
    html = html_of(client.get(response.headers["Location"]))
    check_page(html)
    assert "Would you rather call?" in html
    assert re.search(r'Call <a [^>]*href="tel:140999"[^>]*>14 0999</a>', html)
    assert "Monday to Thursday: 8:30\u202fAM\u2009–\u20095:00\u202fPM" in html
    assert "Friday: 8:30\u202fAM\u2009–\u200912:30\u202fPM" in html


@pytest.mark.parametrize(("language", "first", "last", "hours"), [
    ("nl", "Maandag", "donderdag", "08:30–17:00"),
    ("pl", "Poniedziałek", "czwartek", "08:30–17:00"),
    ("uk", "Понеділок", "четвер", "08:30–17:00"),
    ("ar", "الاثنين", "الخميس", "8:30 ص – 5:00 م"),
])
def test_opening_hours_are_written_the_page_s_way(client, demo, language, first, last, hours):
    from app.i18n import force_locale
    from app.resident.theme import contact_of

    with client.application.test_request_context(), force_locale(language):
        lines = contact_of(demo).opening_hours
    assert len(lines) == 2
    assert first in lines[0] and last in lines[0]
    assert lines[0].replace("\u202f", " ").replace("\u2009", " ").endswith(hours)


def test_the_received_page_gives_the_phone_number(client, demo):
    response = submit_form(client, "/demo/hulpvraag?lang=en", form_data(website="http://spam"))
    html = html_of(response)
    assert response.status_code == 200
    check_page(html)
    assert re.search(r'Then call <a [^>]*href="tel:140999"[^>]*>14 0999</a> and ask for the '
                     r"neighbourhood team\.", html)
    assert "Friday:" in html


def test_the_received_page_without_a_phone_number_says_to_call_the_municipality(client, demo):
    demo.contact = {}
    db.session.commit()
    html = html_of(submit_form(client, "/demo/hulpvraag?lang=en", form_data(website="spam")))
    assert "Then call the municipality of Demodorp and ask for the neighbourhood team." in html


# --- Loading the settings from the tenant file --------------------------------------------------


def _load(app, path: Path) -> Any:
    return app.test_cli_runner().invoke(args=["tenant", "load", str(path)])


def test_the_demo_tenant_file_stores_its_theme_contact_and_logo(app, demo):
    tenant = db.session.scalar(
        select(Tenant).where(Tenant.slug == "demo").options(undefer(Tenant.logo)))
    assert tenant.theme["name"] == "Gemeente Demodorp"
    assert tenant.theme["colours"]["primary"] == "#00665e"
    assert tenant.theme["logo"]["type"] == "image/svg+xml"
    assert tenant.logo == (TENANT_DIR / "logos" / "demodorp.svg").read_bytes()
    assert tenant.contact["retention_months"] == 24
    assert tenant.contact["phone_uri"] == "tel:140999"


def test_a_tenant_file_with_too_little_contrast_is_refused_naming_the_file_and_the_key(
        app, demo, tmp_path):
    text = (TENANT_DIR / "demo.yaml").read_text(encoding="utf-8")
    path = tmp_path / "demo.yaml"
    path.write_text(text.replace('primary: "#00665e"', 'primary: "#8fd1c9"'), encoding="utf-8")
    (tmp_path / "logos").symlink_to(TENANT_DIR / "logos")
    result = _load(app, path)
    assert result.exit_code != 0
    assert f"{path}: theme.colours.primary_text (#ffffff) on theme.colours.primary (#8fd1c9)" \
        in result.output
    assert "WCAG AA needs at least 4.5:1" in result.output
    # Nothing changed.
    assert db.session.scalar(select(Tenant.theme).where(Tenant.slug == "demo"))["colours"][
        "primary"] == "#00665e"


def test_a_tenant_file_without_theme_or_contact_clears_them(app, demo, tmp_path):
    lines = (TENANT_DIR / "demo.yaml").read_text(encoding="utf-8").splitlines()
    start = lines.index("theme:")
    end = lines.index("teams:")
    path = tmp_path / "demo.yaml"
    path.write_text("\n".join(lines[:start] + lines[end:]), encoding="utf-8")
    result = _load(app, path)
    assert result.exit_code == 0, result.output
    tenant = db.session.scalar(select(Tenant).where(Tenant.slug == "demo"))
    db.session.refresh(tenant)
    assert tenant.theme == {} and tenant.contact == {}
    assert db.session.scalar(select(Tenant.logo).where(Tenant.slug == "demo")) is None


def test_a_page_not_found_keeps_the_municipality_s_look_and_privacy_link(app, client):
    assert app.test_cli_runner().invoke(args=["tenant", "load", "hengelo"]).exit_code == 0
    response = client.get("/hengelo/bestaat/niet?lang=en")
    html = html_of(response)
    assert response.status_code == 404
    check_page(html)
    assert '<span class="brand-name">Gemeente Hengelo</span>' in html
    assert 'href="/hengelo/privacy"' in html
    assert _stylesheet_url(html, "hengelo")
    nowhere = html_of(client.get("/nergensdorp/iets"))
    assert "/theme.css?v=" in nowhere
