"""A municipality's theme and contact settings: colour contrast (WCAG 2.1), what a tenant file
may say, and the design tokens a theme becomes."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.services.theme import (
    AA_TEXT_CONTRAST,
    DEFAULT_COLOURS,
    ThemeConfigError,
    contrast_ratio,
    parse_colour,
    parse_contact,
    parse_theme,
    relative_luminance,
    shade,
    theme_css,
    theme_tokens,
    theme_version,
)

FILE = Path("/srv/tenants/example.yaml")


# --- Contrast ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("first", "second", "ratio"), [
    ("#000000", "#ffffff", 21.0),
    ("#ffffff", "#ffffff", 1.0),
    ("#767676", "#ffffff", 4.54),  # the lightest grey that passes AA on white
    ("#777777", "#ffffff", 4.48),  # one step lighter: fails
    ("#154273", "#ffffff", 10.2),
    ("#ff0000", "#ffffff", 4.0),
    ("#ffcc00", "#000000", 13.89),
])
def test_the_contrast_ratio_follows_wcag(first, second, ratio):
    assert contrast_ratio(first, second) == pytest.approx(ratio, abs=0.01)
    assert contrast_ratio(second, first) == pytest.approx(ratio, abs=0.01)  # either order


def test_relative_luminance_runs_from_black_to_white():
    assert relative_luminance("#000000") == 0
    assert relative_luminance("#ffffff") == pytest.approx(1)
    assert 0 < relative_luminance("#808080") < 1


@pytest.mark.parametrize(("given", "stored"), [
    ("#ABC", "#aabbcc"), ("#00665E", "#00665e"), (" #123456 ", "#123456"),
    ("red", None), ("#12345", None), ("#1234567", None), (None, None), (123456, None),
])
def test_a_colour_is_written_as_hex(given, stored):
    assert parse_colour(given) == stored


@pytest.mark.parametrize(("colour", "text"), [
    ("#00665e", "#ffffff"), ("#ffcc00", "#000000"), ("#767676", "#ffffff"), ("#f5f5f5", "#000000"),
])
def test_a_hover_shade_never_has_less_contrast_than_the_colour_itself(colour, text):
    hover = shade(colour, away_from=text)
    assert hover != colour
    assert contrast_ratio(hover, text) >= contrast_ratio(colour, text)


# --- The theme section --------------------------------------------------------------------------


def test_a_theme_with_good_colours_is_stored_in_lower_case_hex():
    settings = parse_theme({"name": "Gemeente Voorbeeld",
                            "colours": {"primary": "#0B5C4D", "link": "#0b5c4d"}}, FILE)
    assert settings.theme == {"name": "Gemeente Voorbeeld",
                              "colours": {"primary": "#0b5c4d", "link": "#0b5c4d"}}
    assert settings.logo is None


def test_no_theme_is_an_empty_theme():
    assert parse_theme(None, FILE).theme == {}


def test_our_default_colours_pass_aa():
    parse_theme({"colours": dict(DEFAULT_COLOURS)}, FILE)


@pytest.mark.parametrize(("colours", "key"), [
    ({"primary": "#ffcc00"}, "theme.colours.primary_text (#ffffff) on theme.colours.primary"),
    ({"primary_text": "#777777"}, "theme.colours.primary_text (#777777)"),
    ({"link": "#ff0000"}, "theme.colours.link (#ff0000) on the white page"),
    ({"header_background": "#5a8fd6"}, "theme.colours.header_text (#ffffff) on "
                                        "theme.colours.header_background (#5a8fd6)"),
    ({"header_text": "#eeeeee", "header_background": "#ffffff"}, "theme.colours.header_text"),
])
def test_a_colour_pair_below_aa_is_refused_naming_the_file_and_the_key(colours, key):
    with pytest.raises(ThemeConfigError) as refused:
        parse_theme({"colours": colours}, FILE)
    message = str(refused.value)
    assert message.startswith(f"{FILE}: ")
    assert key in message
    assert f"at least {AA_TEXT_CONTRAST}:1" in message


def test_a_light_button_passes_with_dark_text():
    settings = parse_theme({"colours": {"primary": "#ffcc00", "primary_text": "#000"}}, FILE)
    assert settings.theme["colours"]["primary_text"] == "#000000"


@pytest.mark.parametrize(("section", "message"), [
    ({"colours": {"primary": "green"}}, "theme.colours.primary: 'green' is not a colour"),
    ({"colours": {"button": "#000000"}}, "theme.colours: unknown key(s) ['button']"),
    ({"colour": {}}, "theme: unknown key(s) ['colour']"),
    ({"name": ""}, "theme.name: expected a text"),
    ("blue", "theme: expected a mapping"),
    ({"logo": "logo.gif"}, "theme.logo: logo.gif must be an .svg or .png file"),
    ({"logo": "missing.svg"}, "theme.logo: cannot read"),
])
def test_a_wrong_theme_is_refused_with_a_clear_message(section, message, tmp_path):
    with pytest.raises(ThemeConfigError, match=None) as refused:
        parse_theme(section, tmp_path / "example.yaml")
    assert message in str(refused.value)
    assert str(tmp_path / "example.yaml") in str(refused.value)


def test_a_logo_beside_the_tenant_file_is_read_with_its_type_and_version(tmp_path):
    (tmp_path / "logos").mkdir()
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><rect width="1" height="1"/></svg>'
    (tmp_path / "logos" / "logo.svg").write_bytes(svg)
    settings = parse_theme({"logo": "logos/logo.svg"}, tmp_path / "example.yaml")
    assert settings.logo is not None and settings.logo.data == svg
    assert settings.theme["logo"] == {"type": "image/svg+xml", "version": settings.logo.version}


@pytest.mark.parametrize("svg", [
    '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>',
    '<svg xmlns="http://www.w3.org/2000/svg"><image href="https://tracker.example/x.png"/></svg>',
    '<svg xmlns="http://www.w3.org/2000/svg"><a xlink:href="javascript:alert(1)">x</a></svg>',
    '<svg xmlns="http://www.w3.org/2000/svg"><foreignObject></foreignObject></svg>',
    '<html>not an svg</html>',
])
def test_an_svg_logo_with_scripts_or_links_out_is_refused(svg, tmp_path):
    (tmp_path / "logo.svg").write_text(svg, encoding="utf-8")
    with pytest.raises(ThemeConfigError, match="theme.logo"):
        parse_theme({"logo": "logo.svg"}, tmp_path / "example.yaml")


def test_a_png_logo_must_be_a_png_and_small(tmp_path):
    (tmp_path / "fake.png").write_bytes(b"GIF89a")
    with pytest.raises(ThemeConfigError, match="is not a PNG image"):
        parse_theme({"logo": "fake.png"}, tmp_path / "example.yaml")
    (tmp_path / "big.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200_000))
    with pytest.raises(ThemeConfigError, match="at most 100,000"):
        parse_theme({"logo": "big.png"}, tmp_path / "example.yaml")


# --- The contact section ------------------------------------------------------------------------


def test_contact_settings_are_checked_and_stored():
    contact = parse_contact({
        "phone": "14 030",
        "opening_hours": [{"days": "mon-thu", "open": "08:30", "close": "17:00"},
                          {"days": "FRI", "open": "08:30", "close": "12:30"}],
        "retention_months": 24,
        "privacy_email": "fg@gemeente.example",
    }, FILE)
    assert contact == {
        "phone": "14 030", "phone_uri": "tel:14030",
        "opening_hours": [{"first": 0, "last": 3, "open": "08:30", "close": "17:00"},
                          {"first": 4, "last": 4, "open": "08:30", "close": "12:30"}],
        "retention_months": 24, "privacy_email": "fg@gemeente.example",
    }


def test_an_ordinary_phone_number_gets_an_international_link():
    assert parse_contact({"phone": "030 286 0000"}, FILE)["phone_uri"] == "tel:+31-30-286-0000"


def test_unquoted_times_read_by_yaml_as_minutes_are_understood():
    # YAML 1.1 reads 08:30 without quotes as 510 (minutes in base 60).
    contact = parse_contact({"opening_hours": [{"days": "mon", "open": 510, "close": 1020}]}, FILE)
    assert contact["opening_hours"][0] == {"first": 0, "last": 0, "open": "08:30", "close": "17:00"}


def test_no_contact_section_is_empty():
    assert parse_contact(None, FILE) == {}


@pytest.mark.parametrize(("section", "message"), [
    ({"phone": "12"}, "contact.phone: '12' is not a valid phone number"),
    ({"phone": "call us"}, "contact.phone: 'call us' is not a phone number"),
    ({"retention_months": 0}, "contact.retention_months: 0 must be a whole number"),
    ({"retention_months": "two years"}, "contact.retention_months"),
    ({"retention_months": True}, "contact.retention_months"),
    ({"privacy_email": "fg at gemeente"}, "contact.privacy_email"),
    ({"opening_hours": []}, "contact.opening_hours: expected a list"),
    ({"opening_hours": [{"days": "fri-mon", "open": "09:00", "close": "17:00"}]},
     "contact.opening_hours[1].days: 'fri-mon'"),
    ({"opening_hours": [{"days": "mon", "open": "9", "close": "17:00"}]},
     "contact.opening_hours[1].open"),
    ({"opening_hours": [{"days": "mon", "open": "17:00", "close": "09:00"}]},
     "contact.opening_hours[1]: opens at 17:00, which is not before it closes at 09:00"),
    ({"fax": "020 123 4567"}, "contact: unknown key(s) ['fax']"),
])
def test_wrong_contact_settings_are_refused_naming_the_key(section, message):
    with pytest.raises(ThemeConfigError) as refused:
        parse_contact(section, FILE)
    assert str(refused.value).startswith(f"{FILE}: ")
    assert message in str(refused.value)


# --- The theme as design tokens -----------------------------------------------------------------


def test_a_theme_becomes_the_utrecht_design_tokens():
    tokens = theme_tokens({"colours": {"primary": "#00665e", "primary_text": "#ffffff",
                                       "link": "#0b5c4d", "header_background": "#0b3d38",
                                       "header_text": "#ffffff"}})
    assert tokens["--utrecht-button-primary-action-background-color"] == "#00665e"
    assert tokens["--utrecht-button-primary-action-color"] == "#ffffff"
    assert tokens["--utrecht-button-primary-action-hover-background-color"] == shade(
        "#00665e", away_from="#ffffff")
    assert tokens["--utrecht-link-color"] == "#0b5c4d"
    assert tokens["--utrecht-button-secondary-action-color"] == "#0b5c4d"
    assert tokens["--utrecht-checkbox-checked-background-color"] == "#0b5c4d"
    assert tokens["--utrecht-page-header-background-color"] == "#0b3d38"
    assert tokens["--utrecht-page-header-color"] == "#ffffff"
    assert tokens["--utrecht-page-footer-background-color"] == "#0b3d38"


def test_a_theme_without_colours_uses_ours():
    tokens = theme_tokens(None)
    assert tokens["--utrecht-button-primary-action-background-color"] == DEFAULT_COLOURS["primary"]
    assert tokens["--utrecht-page-header-color"] == DEFAULT_COLOURS["header_text"]
    assert theme_tokens({"colours": {"link": "#0b5c4d"}})["--utrecht-button-primary-action-"
                                                            "background-color"] == "#154273"


def test_every_token_a_resident_reads_keeps_aa_contrast():
    """Text on its background, for every state, with a theme that just passes."""
    tokens = theme_tokens({"colours": {"primary": "#767676", "link": "#767676"}})
    for state in ("", "hover-", "focus-", "active-"):
        prefix = f"--utrecht-button-primary-action-{state}"
        assert contrast_ratio(tokens[f"{prefix}color"],
                              tokens[f"{prefix}background-color"]) >= AA_TEXT_CONTRAST
        prefix = f"--utrecht-button-secondary-action-{state}"
        assert contrast_ratio(tokens[f"{prefix}color"],
                              tokens[f"{prefix}background-color"]) >= AA_TEXT_CONTRAST
    for name in ("--utrecht-link-color", "--utrecht-link-hover-color"):
        assert contrast_ratio(tokens[name], "#ffffff") >= AA_TEXT_CONTRAST


def test_the_stylesheet_sets_the_tokens_on_the_themed_root_and_nothing_else():
    css = theme_css({"colours": {"primary": "#00665e"}})
    assert css.startswith("html.utrecht-theme {\n")
    assert "  --utrecht-button-primary-action-background-color: #00665e;\n" in css
    assert css.rstrip().endswith("}")
    assert "url(" not in css and "@import" not in css  # nothing loaded from anywhere


def test_the_version_changes_with_the_colours_only():
    one = theme_version({"colours": {"primary": "#00665e"}})
    assert one == theme_version({"colours": {"primary": "#00665e"}, "name": "Other name"})
    assert one != theme_version({"colours": {"primary": "#0b5c4d"}})
