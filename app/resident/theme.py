"""A municipality's look and contact details on the pages: its stylesheet of design tokens,
its logo, and the texts built from its settings (app/services/theme.py checks them).

Routes (public, cacheable, from our own host):

``/theme.css``              Wijkloket's own colours (pages without a municipality: staff)
``/theme/<slug>.css``       a municipality's colours as NL Design System tokens
``/theme/<slug>/logo``      its logo, when it has one

The pages link them with ``?v=<version>``: a new theme gets a new address, so the browser
may keep each version for a year.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from babel.dates import format_interval, get_day_names
from babel.units import format_unit
from flask import Blueprint, Response, abort, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import undefer

from app.extensions import db
from app.i18n import _, get_locale
from app.models import Tenant
from app.services.theme import opening_time, theme_css, theme_version

_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{1,62}")

bp = Blueprint("theme", __name__)

_YEAR = 365 * 24 * 3600
#: A logo opened on its own (not as an image): nothing in it may run or load.
_LOGO_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox"


def _cacheable(response: Response, version: str) -> Response:
    """Kept for a year when asked for by its version, else revalidated after five minutes."""
    response.set_etag(version)
    response.cache_control.public = True
    if request.args.get("v") == version:
        response.cache_control.max_age = _YEAR
        response.cache_control.immutable = True
    else:
        response.cache_control.max_age = 300
    response.make_conditional(request)
    return response


def _stylesheet(theme: dict[str, Any] | None) -> Response:
    response = Response(theme_css(theme), mimetype="text/css")
    return _cacheable(response, theme_version(theme))


@bp.route("/theme.css")
def default_stylesheet() -> Response:
    return _stylesheet(None)


@bp.route("/theme/<slug>.css")
def stylesheet(slug: str) -> Response:
    tenant = db.session.scalar(select(Tenant).where(Tenant.slug == slug))
    if tenant is None:
        abort(404)
    return _stylesheet(tenant.theme)


@bp.route("/theme/<slug>/logo")
def logo(slug: str) -> Response:
    tenant = db.session.scalar(
        select(Tenant).where(Tenant.slug == slug).options(undefer(Tenant.logo)))
    info = (tenant.theme or {}).get("logo") if tenant is not None else None
    if tenant is None or not info or not tenant.logo:
        abort(404)
    response = Response(tenant.logo, mimetype=info["type"])
    response.headers["Content-Security-Policy"] = _LOGO_CSP
    return _cacheable(response, info["version"])


# --- For the templates -----------------------------------------------------------------------


def tenant_of_request() -> Tenant | None:
    """The municipality whose pages the request is about (``/<slug>/…``), if there is one: an
    error page then keeps its look and its privacy link."""
    slug = (request.view_args or {}).get("tenant") or request.path.split("/")[1]
    if not isinstance(slug, str) or not _SLUG.fullmatch(slug):
        return None
    return db.session.scalar(select(Tenant).where(Tenant.slug == slug))


@dataclass(frozen=True)
class Look:
    """What the page header and the stylesheet links need."""

    name: str
    stylesheet_url: str
    logo_url: str | None


@bp.app_template_global()
def look_of(tenant: Tenant | None) -> Look:
    """The look of a page for ``tenant`` (None: Wijkloket's own)."""
    if tenant is None:
        return Look(name="", logo_url=None,
                    stylesheet_url=url_for("theme.default_stylesheet", v=theme_version(None)))
    theme = tenant.theme or {}
    logo_info = theme.get("logo")
    return Look(
        name=theme.get("name") or tenant.name,
        stylesheet_url=url_for("theme.stylesheet", slug=tenant.slug, v=theme_version(theme)),
        logo_url=url_for("theme.logo", slug=tenant.slug, v=logo_info["version"])
        if logo_info else None,
    )


@dataclass(frozen=True)
class Contact:
    """A municipality's contact details for residents, in the page's language; None or empty
    where the tenant file says nothing (the templates then say something general)."""

    phone: str | None
    phone_uri: str | None
    opening_hours: list[str]
    retention: str | None
    privacy_email: str | None


@bp.app_template_global()
def contact_of(tenant: Tenant | None) -> Contact:
    contact = (tenant.contact if tenant is not None else None) or {}
    months = contact.get("retention_months")
    return Contact(
        phone=contact.get("phone"),
        phone_uri=contact.get("phone_uri"),
        opening_hours=[_opening_hours(entry) for entry in contact.get("opening_hours", [])],
        retention=duration_in_months(months) if months else None,
        privacy_email=contact.get("privacy_email"),
    )


def _opening_hours(entry: dict[str, Any]) -> str:
    """"Monday to Thursday: 08:30–17:00", in the page's language."""
    locale = get_locale()
    names = get_day_names("wide", context="stand-alone", locale=locale)
    first, last = names[entry["first"]], names[entry["last"]]
    days = first if entry["first"] == entry["last"] else _("%(first)s to %(last)s",
                                                           first=first, last=last)
    skeleton = "hm" if "h" in locale.time_formats["short"].pattern else "Hm"
    hours = format_interval(opening_time(entry["open"]), opening_time(entry["close"]),
                            skeleton, locale=locale)
    text = _("%(days)s: %(hours)s", days=days, hours=hours)
    return text[:1].upper() + text[1:]


def duration_in_months(months: int) -> str:
    """"24 months" as "2 jaar", "18 maanden", … in the page's language (CLDR's units, so
    plural forms come from Babel). Whole years are said in years."""
    locale = get_locale()
    if months % 12 == 0:
        value, unit = months // 12, "duration-year"
    else:
        value, unit = months, "duration-month"
    patterns = locale._data["unit_patterns"].get(unit, {})
    form = locale.plural_form(value)
    # Babel's data lacks the long form of some units in some languages (Turkish years,
    # Arabic months): the first length that has this plural form.
    for length in ("long", "short", "narrow"):
        if form in patterns.get(length, {}) or "other" in patterns.get(length, {}):
            return format_unit(value, unit, length=length, locale=locale)
    return format_unit(value, unit, locale=locale)
