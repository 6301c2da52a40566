"""A municipality's look and contact details, from its tenant file.

The ``theme`` and ``contact`` sections of ``tenants/<slug>.yaml`` are checked here when the
file is loaded, and stored on the tenant as plain JSON (``Tenant.theme``, ``Tenant.contact``).
The theme becomes CSS custom properties that override our base design tokens
(``app/static/css/tokens.css``, read by NL Design System's component classes; ``theme_css``),
served by ``/theme/<slug>.css``.

A tenant file may say::

    theme:
      name: Gemeente Demodorp        # shown in the page header (default: the tenant's name)
      logo: logos/demodorp.svg       # SVG or PNG, beside the tenant file; at most 100 kB
      colours:                       # #rgb or #rrggbb; each missing one takes our default
        primary: "#0b5c4d"           # buttons
        primary_text: "#ffffff"      # the text on buttons
        link: "#0b5c4d"              # links, and ticked boxes and chosen options
        header_background: "#0b5c4d" # page header and footer
        header_text: "#ffffff"       # their text
    contact:
      phone: "14 0999"               # for residents who would rather call
      opening_hours:                 # when that number is answered
        - {days: mon-thu, open: "08:30", close: "17:00"}
        - {days: fri, open: "08:30", close: "12:30"}
      retention_months: 24           # how long a request is kept after it is closed
      privacy_email: fg@demodorp.example   # the privacy officer (FG)

Every text colour must reach WCAG 2.1 AA contrast (4.5:1) on its background; a pair that
does not is refused, naming the file and the key. No Flask here: plain values in and out.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import phonenumbers
from email_validator import EmailNotValidError, validate_email

#: WCAG 2.1 success criterion 1.4.3 (AA): normal text against its background.
AA_TEXT_CONTRAST = 4.5

WHITE = "#ffffff"

#: Wijkloket's own colours: for a tenant without a theme, and for any colour a theme leaves
#: out. Dark blue on white and white on dark blue: 10.2:1.
DEFAULT_COLOURS: dict[str, str] = {
    "primary": "#154273",
    "primary_text": WHITE,
    "link": "#154273",
    "header_background": "#154273",
    "header_text": WHITE,
}

#: (text colour, background colour) pairs that must be readable. ``None``: the page itself
#: (white).
TEXT_PAIRS: tuple[tuple[str, str | None], ...] = (
    ("primary_text", "primary"),
    ("link", None),
    ("header_text", "header_background"),
)

LOGO_TYPES = {".svg": "image/svg+xml", ".png": "image/png"}
LOGO_MAX_BYTES = 100_000
#: What an SVG logo may not hold: it is shown as an image, but opened on its own it would run
#: in our site's origin.
_UNSAFE_SVG = re.compile(
    r"<\s*script|<\s*foreignObject|<!ENTITY|\bon[a-z]+\s*=|javascript:|"
    r"(?:xlink:)?href\s*=\s*[\"']\s*(?!#)",
    re.IGNORECASE,
)

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
RETENTION_MAX_MONTHS = 1200

_HEX = re.compile(r"#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})")
_TIME = re.compile(r"([01]\d|2[0-3]):[0-5]\d")
#: A municipality's own short number: 14 and its area code (14 030, 14 0599), dialled as is.
_MUNICIPAL = re.compile(r"14[ -]?0\d{2,3}")


class ThemeConfigError(ValueError):
    """The theme or contact section of a tenant file is wrong; the message names the file and
    the key."""


@dataclass(frozen=True)
class Logo:
    data: bytes
    media_type: str

    @property
    def version(self) -> str:
        return hashlib.sha256(self.data).hexdigest()[:16]


@dataclass(frozen=True)
class ThemeSettings:
    """What a tenant file's ``theme`` says, checked: ``theme`` is stored as JSON on the
    tenant, ``logo`` (if any) in its own column."""

    theme: dict[str, Any]
    logo: Logo | None


# --- Colours -------------------------------------------------------------------------------


def parse_colour(value: object) -> str | None:
    """``#rgb`` or ``#rrggbb`` as lower-case ``#rrggbb``; None when it is not a colour."""
    if not isinstance(value, str) or not _HEX.fullmatch(value.strip()):
        return None
    digits = value.strip()[1:].lower()
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    return "#" + digits


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def relative_luminance(colour: str) -> float:
    """WCAG 2.1 relative luminance of an sRGB ``#rrggbb`` colour: 0 (black) to 1 (white)."""
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in _rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(first: str, second: str) -> float:
    """WCAG 2.1 contrast ratio of two ``#rrggbb`` colours: 1 (same) to 21 (black on white)."""
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)),
                             reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def shade(colour: str, away_from: str, amount: float = 0.15) -> str:
    """``colour`` moved ``amount`` of the way to black, or to white when ``away_from`` is the
    darker one: a hover colour with at least the contrast the pair already has."""
    target = 255 if relative_luminance(away_from) < relative_luminance(colour) else 0
    return "#" + "".join(f"{round(v + (target - v) * amount):02x}" for v in _rgb(colour))


def effective_colours(theme: Mapping[str, Any] | None) -> dict[str, str]:
    """The stored theme's colours, with our defaults for the ones it leaves out."""
    given = (theme or {}).get("colours") or {}
    return {key: given.get(key) or default for key, default in DEFAULT_COLOURS.items()}


def contrast_problems(colours: Mapping[str, str]) -> list[str]:
    """Every text colour that is too faint on its background, in words (empty: all good)."""
    problems = []
    for text_key, background_key in TEXT_PAIRS:
        text = colours[text_key]
        background = colours[background_key] if background_key else WHITE
        ratio = contrast_ratio(text, background)
        if ratio < AA_TEXT_CONTRAST:
            on = (f"theme.colours.{background_key} ({background})" if background_key
                  else f"the white page ({WHITE})")
            problems.append(
                f"theme.colours.{text_key} ({text}) on {on} has a contrast of "
                f"{ratio:.2f}:1; WCAG AA needs at least {AA_TEXT_CONTRAST}:1 for text"
            )
    return problems


# --- Reading a tenant file's sections -------------------------------------------------------


def _mapping(value: object, where: str, allowed: set[str]) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ThemeConfigError(f"{where}: expected a mapping")
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise ThemeConfigError(f"{where}: unknown key(s) {unknown}; known: {sorted(allowed)}")
    return value


def _text(value: object, where: str, max_length: int = 200) -> str:
    if not isinstance(value, str) or not value.strip() or len(value.strip()) > max_length:
        raise ThemeConfigError(f"{where}: expected a text of 1 to {max_length} characters")
    return value.strip()


def parse_theme(section: object, path: Path) -> ThemeSettings:
    """Check a tenant file's ``theme`` section (``path`` is the file, for messages and for
    finding the logo). Raises ThemeConfigError naming the file and the key."""
    data = _mapping(section, f"{path}: theme", {"name", "logo", "colours"})
    theme: dict[str, Any] = {}
    if data.get("name") is not None:
        theme["name"] = _text(data["name"], f"{path}: theme.name")
    colours_in = _mapping(data.get("colours"), f"{path}: theme.colours", set(DEFAULT_COLOURS))
    colours: dict[str, str] = {}
    for key, value in colours_in.items():
        colour = parse_colour(value)
        if colour is None:
            raise ThemeConfigError(f"{path}: theme.colours.{key}: {value!r} is not a colour; "
                                   "write it as #rrggbb (in quotes)")
        colours[key] = colour
    if colours:
        theme["colours"] = colours
    problems = contrast_problems(effective_colours(theme))
    if problems:
        raise ThemeConfigError(f"{path}: " + f"\n{path}: ".join(problems))
    logo = None
    if data.get("logo") is not None:
        logo = read_logo(path.parent / _text(data["logo"], f"{path}: theme.logo"), path)
        theme["logo"] = {"type": logo.media_type, "version": logo.version}
    return ThemeSettings(theme=theme, logo=logo)


def read_logo(logo_path: Path, path: Path) -> Logo:
    """A logo file, checked: SVG (without scripts or links out) or PNG, at most 100 kB."""
    where = f"{path}: theme.logo"
    media_type = LOGO_TYPES.get(logo_path.suffix.lower())
    if media_type is None:
        raise ThemeConfigError(f"{where}: {logo_path.name} must be an .svg or .png file")
    try:
        data = logo_path.read_bytes()
    except OSError as exc:
        raise ThemeConfigError(f"{where}: cannot read {logo_path}: {exc.strerror}") from exc
    if len(data) > LOGO_MAX_BYTES:
        raise ThemeConfigError(f"{where}: {logo_path.name} is {len(data):,} bytes; "
                               f"at most {LOGO_MAX_BYTES:,}")
    if media_type == "image/png" and not data.startswith(b"\x89PNG\r\n\x1a\n"):
        raise ThemeConfigError(f"{where}: {logo_path.name} is not a PNG image")
    if media_type == "image/svg+xml":
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ThemeConfigError(f"{where}: {logo_path.name} is not UTF-8 text") from exc
        if "<svg" not in text:
            raise ThemeConfigError(f"{where}: {logo_path.name} is not an SVG image")
        unsafe = _UNSAFE_SVG.search(text)
        if unsafe:
            raise ThemeConfigError(f"{where}: {logo_path.name} holds {unsafe.group(0)!r}: a "
                                   "logo may not have scripts, event handlers or links")
    return Logo(data=data, media_type=media_type)


def parse_contact(section: object, path: Path) -> dict[str, Any]:
    """Check a tenant file's ``contact`` section; returns what is stored on the tenant.
    Raises ThemeConfigError naming the file and the key."""
    allowed = {"phone", "opening_hours", "retention_months", "privacy_email"}
    data = _mapping(section, f"{path}: contact", allowed)
    contact: dict[str, Any] = {}
    if data.get("phone") is not None:
        contact.update(_phone(data["phone"], f"{path}: contact.phone"))
    if data.get("opening_hours") is not None:
        contact["opening_hours"] = _opening_hours(data["opening_hours"],
                                                  f"{path}: contact.opening_hours")
    if data.get("retention_months") is not None:
        months = data["retention_months"]
        if (not isinstance(months, int) or isinstance(months, bool)
                or not 1 <= months <= RETENTION_MAX_MONTHS):
            raise ThemeConfigError(f"{path}: contact.retention_months: {months!r} must be a "
                                   f"whole number of months from 1 to {RETENTION_MAX_MONTHS}")
        contact["retention_months"] = months
    if data.get("privacy_email") is not None:
        where = f"{path}: contact.privacy_email"
        try:
            address = validate_email(_text(data["privacy_email"], where, 254),
                                     check_deliverability=False)
        except EmailNotValidError as exc:
            raise ThemeConfigError(f"{where}: {exc}") from exc
        contact["privacy_email"] = address.normalized
    return contact


def _phone(value: object, where: str) -> dict[str, str]:
    """A phone number residents can call: any valid Dutch (or international) number, or a
    municipality's short number 14 + area code (14 030)."""
    text = _text(str(value) if isinstance(value, int) else value, where, 40)
    if _MUNICIPAL.fullmatch(text):
        return {"phone": text, "phone_uri": "tel:" + re.sub(r"\D", "", text)}
    try:
        number = phonenumbers.parse(text, "NL")
    except phonenumbers.NumberParseException as exc:
        raise ThemeConfigError(f"{where}: {text!r} is not a phone number ({exc})") from exc
    if not phonenumbers.is_valid_number(number):
        raise ThemeConfigError(f"{where}: {text!r} is not a valid phone number")
    return {"phone": text,
            "phone_uri": phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.RFC3966)}


def _opening_hours(value: object, where: str) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not value:
        raise ThemeConfigError(f"{where}: expected a list of {{days, open, close}}")
    entries = []
    for number, item in enumerate(value, start=1):
        here = f"{where}[{number}]"
        entry = _mapping(item, here, {"days", "open", "close"})
        days = str(entry.get("days", "")).strip().lower()
        first, _dash, last = days.partition("-")
        if first not in DAYS or (last and last not in DAYS) or (
                last and DAYS.index(last) <= DAYS.index(first)):
            raise ThemeConfigError(f"{here}.days: {days!r}; write a day (mon … sun) or a range "
                                   "such as mon-fri")
        times = []
        for key in ("open", "close"):
            time = entry.get(key)
            if isinstance(time, int) and not isinstance(time, bool):
                # YAML 1.1 reads an unquoted 08:30 as a number of minutes (sexagesimal).
                time = f"{time // 60:02d}:{time % 60:02d}"
            if not isinstance(time, str) or not _TIME.fullmatch(time.strip()):
                raise ThemeConfigError(f"{here}.{key}: {time!r}; write a time as \"08:30\"")
            times.append(time.strip())
        if times[0] >= times[1]:
            raise ThemeConfigError(f"{here}: opens at {times[0]}, which is not before it closes "
                                   f"at {times[1]}")
        entries.append({"first": DAYS.index(first), "last": DAYS.index(last or first),
                        "open": times[0], "close": times[1]})
    return entries


def opening_time(value: str) -> dt.time:
    """A stored opening or closing time (``HH:MM``) as a time."""
    hours, minutes = value.split(":")
    return dt.time(int(hours), int(minutes))


# --- The theme as CSS ------------------------------------------------------------------------


def theme_tokens(theme: Mapping[str, Any] | None) -> dict[str, str]:
    """The design tokens (CSS custom properties) a theme sets, name → value.

    Only colours the resident reads against were checked for contrast, so every token below
    uses a checked pair: button text on the button, links and ticked controls on the white
    page, header text on the header (and the footer, which looks the same). Hover colours are
    shaded away from their text colour, so their contrast is never lower.
    """
    c = effective_colours(theme)
    primary, primary_text, link = c["primary"], c["primary_text"], c["link"]
    primary_hover = shade(primary, away_from=primary_text)
    link_hover = shade(link, away_from=WHITE)
    tokens: dict[str, str] = {}
    for state, background in (("", primary), ("hover-", primary_hover),
                              ("focus-", primary_hover), ("active-", primary_hover)):
        prefix = f"--utrecht-button-primary-action-{state}"
        tokens[f"{prefix}background-color"] = background
        tokens[f"{prefix}border-color"] = background
        tokens[f"{prefix}color"] = primary_text
    for state, colour in (("", link), ("hover-", link_hover), ("focus-", link_hover),
                          ("active-", link_hover)):
        prefix = f"--utrecht-button-secondary-action-{state}"
        tokens[f"{prefix}background-color"] = WHITE
        tokens[f"{prefix}border-color"] = colour
        tokens[f"{prefix}color"] = colour
    tokens.update({
        "--utrecht-link-color": link,
        "--utrecht-link-visited-color": link,
        "--utrecht-link-hover-color": link_hover,
        "--utrecht-link-focus-color": link_hover,
        "--utrecht-link-active-color": link_hover,
        "--utrecht-checkbox-checked-background-color": link,
        "--utrecht-checkbox-checked-border-color": link,
        "--utrecht-radio-button-checked-background-color": link,
        "--utrecht-radio-button-checked-border-color": link,
        "--utrecht-radio-button-checked-hover-background-color": link_hover,
        "--utrecht-radio-button-checked-focus-border-color": link_hover,
        "--utrecht-page-header-background-color": c["header_background"],
        "--utrecht-page-header-color": c["header_text"],
        "--utrecht-page-footer-background-color": c["header_background"],
        "--utrecht-page-footer-background-image": "none",
        "--utrecht-page-footer-color": c["header_text"],
    })
    return tokens


def theme_css(theme: Mapping[str, Any] | None) -> str:
    """The stylesheet of a theme: its tokens on the themed root element (more specific than
    the base tokens' ``.utrecht-theme`` in tokens.css, so it wins whatever the order)."""
    return _css_and_version(_colour_key(theme))[0]


def theme_version(theme: Mapping[str, Any] | None) -> str:
    """Changes whenever the theme's stylesheet changes (for cache-busting URLs)."""
    return _css_and_version(_colour_key(theme))[1]


def _colour_key(theme: Mapping[str, Any] | None) -> tuple[tuple[str, str], ...]:
    """All a stylesheet depends on: the theme's colours (with the defaults filled in)."""
    return tuple(sorted(effective_colours(theme).items()))


@lru_cache(maxsize=256)
def _css_and_version(colours: tuple[tuple[str, str], ...]) -> tuple[str, str]:
    """Made once per set of colours: every page asks for the version in its stylesheet link."""
    tokens = theme_tokens({"colours": dict(colours)})
    css = "html.utrecht-theme {\n" + "\n".join(
        f"  {name}: {value};" for name, value in tokens.items()) + "\n}\n"
    return css, hashlib.sha256(css.encode()).hexdigest()[:16]
