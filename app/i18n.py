"""The one place that imports the translation functions.

``_`` at request time, ``_l`` at import time (forms, vocabularies), ``ngettext`` for counts.
Message ids are English; the Dutch catalogue is primary.
"""

from __future__ import annotations

from functools import cache

from babel import Locale
from flask import current_app, has_request_context, request, session
from flask_babel import force_locale, get_locale, gettext, lazy_gettext, ngettext

_ = gettext
_l = lazy_gettext

__all__ = ["_", "_l", "ngettext", "force_locale", "get_locale", "language_direction",
           "language_name", "select_locale"]


def select_locale() -> str:
    """The language of this request: ``?lang=`` (remembered), the session, then the browser."""
    if not has_request_context():  # the worker, the CLI: the primary language
        return str(current_app.config["BABEL_DEFAULT_LOCALE"])
    languages = current_app.config["LANGUAGES"]
    asked = request.args.get("lang")
    if asked is not None and asked in languages:
        session["lang"] = asked
        return asked
    remembered = session.get("lang")
    if remembered in languages:
        return str(remembered)
    best = request.accept_languages.best_match(languages)
    return best or current_app.config["BABEL_DEFAULT_LOCALE"]


@cache
def language_name(code: str) -> str:
    """A language's own name, as the language switcher shows it ("Nederlands", "polski" as
    "Polski"), from Babel's CLDR data; an unknown code raises ``babel.UnknownLocaleError``."""
    name = Locale.parse(code).get_display_name(code)
    if not name:
        raise LookupError(f"Babel has no name for the language {code!r}.")
    return name[0].upper() + name[1:]


@cache
def language_direction(code: str) -> str:
    """``rtl`` for a language written right to left, else ``ltr`` (Babel's CLDR data)."""
    return str(Locale.parse(code).text_direction)
