"""The one place that imports the translation functions.

``_`` at request time, ``_l`` at import time (forms, vocabularies), ``ngettext`` for counts.
Message ids are English; the Dutch catalogue is primary.
"""

from __future__ import annotations

from flask import current_app, has_request_context, request, session
from flask_babel import force_locale, get_locale, gettext, lazy_gettext, ngettext

_ = gettext
_l = lazy_gettext

__all__ = ["_", "_l", "ngettext", "force_locale", "get_locale", "select_locale"]


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
