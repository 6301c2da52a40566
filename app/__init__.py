"""Wijkloket: the Flask application. ``create_app`` only wires things together."""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, g, render_template, request
from flask_babel import format_date, format_datetime
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from app.config import INSTANCE_DIR, load_config
from app.extensions import babel, csrf, db, limiter, login_manager, migrate
from app.i18n import _, get_locale, language_direction, language_name, select_locale
from app.lifecycle import TASK_OPEN
from app.services import capacity
from app.services.errors import DomainError, InvalidInput
from referral_rules.vocabulary import URGENCY_CRISIS, URGENCY_URGENT


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the application; ``config`` overrides the environment (tests)."""
    app = Flask(__name__, instance_path=str(INSTANCE_DIR))
    app.config.from_mapping(load_config(config))
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        INSTANCE_DIR.mkdir(exist_ok=True)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")

    db.init_app(app)
    migrate.init_app(app, db, render_as_batch=True, directory=str(app.root_path + "/../migrations"))
    babel.init_app(app, locale_selector=select_locale)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None

    from app import auth, security, session_lifetime
    from app.admin import bp as admin_bp
    from app.api import bp as api_bp
    from app.beleid import bp as beleid_bp
    from app.partner import bp as partner_bp
    from app.resident import bp as resident_bp
    from app.resident.theme import bp as theme_bp
    from app.staff import bp as staff_bp

    app.register_blueprint(auth.bp)
    app.register_blueprint(resident_bp)
    app.register_blueprint(theme_bp)
    app.register_blueprint(staff_bp, url_prefix="/staff")
    app.register_blueprint(partner_bp, url_prefix="/partner")
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(beleid_bp, url_prefix="/beleid")
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    csrf.exempt(api_bp)

    from app import cli
    from app.services import request_figures  # noqa: F401 - keeps the figures' rows after a flush

    cli.register(app)
    _register_template_helpers(app)
    _register_error_handlers(app)
    _register_security_headers(app)
    security.init_app(app)
    session_lifetime.init_app(app)
    return app


def _register_template_helpers(app: Flask) -> None:
    from app import roles, vocabulary

    @app.context_processor
    def inject() -> dict[str, Any]:
        locale = str(get_locale())
        return {
            "vocab": vocabulary,
            "roles": roles,
            "label": vocabulary.label,
            "current_language": locale,
            "text_direction": get_locale().text_direction,
            "languages": app.config["LANGUAGES"],
        }

    # The codes templates compare with, from their one definition.
    app.jinja_env.globals.update(
        URGENCY_CRISIS=URGENCY_CRISIS, URGENCY_URGENT=URGENCY_URGENT, TASK_OPEN=TASK_OPEN,
        language_name=language_name, language_direction=language_direction)
    app.jinja_env.filters["date_medium"] = (
        lambda value: format_date(value, "medium") if value else ""
    )
    # Stored datetimes are naive UTC; Babel shows them in Dutch time.
    app.jinja_env.filters["datetime_short"] = (
        lambda value: format_datetime(value, "short") if value else ""
    )
    # How long a resident roughly waits for a referral's partner (app/services/capacity.py).
    app.jinja_env.filters["waiting_text"] = _waiting_text
    app.jinja_env.add_extension("jinja2.ext.i18n")


def _waiting_text(referral: Any) -> str:
    return capacity.waiting_text(referral) or ""


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> Any:
        return render_template(
            "error.html",
            title=_("This page has expired"),
            message=_("For your safety this form was no longer valid. Go back, reload the "
                      "page and send it again. Nothing was sent yet."),
        ), 400

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(error: RequestEntityTooLarge) -> Any:
        if _wants_json():
            return {"error": "request_too_large", "message": "The request body is too large."}, 413
        return render_template(
            "error.html",
            title=_("Too much data"),
            message=_("What you sent is too large. Make your text shorter and try again."),
        ), 413

    @app.errorhandler(DomainError)
    def domain_error(error: DomainError) -> Any:
        if _wants_json():
            body: dict[str, Any] = {"error": _snake(error.__class__.__name__),
                                    "message": str(error)}
            if isinstance(error, InvalidInput):
                body["fields"] = {error.field: [str(error)]}
            return body, error.status_code
        return render_template("error.html", title=_("That did not work"), message=str(error)), \
            error.status_code

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    @app.errorhandler(PoolTimeoutError)
    def database_unavailable(error: Exception) -> Any:
        """The database is unreachable (restart, failover, full pool): 503, try again later.

        A transaction cut off is rolled back whole by the database, so nothing is stored half;
        only a cut-off commit may have gone through, hence "may not have been saved". An intake
        form sent again carries the same submission token and is stored once.
        """
        # Only the driver's first line: the full message would put SQL parameters (personal
        # data from the form) into the log.
        cause = getattr(error, "orig", None) or error
        first_line = (str(cause).strip().splitlines() or [""])[0]
        app.logger.warning("database unavailable: %s %s: %s: %s", request.method, request.path,
                           cause.__class__.__name__, first_line)
        retry_after = {"Retry-After": "30"}
        if _wants_json():
            return {"error": "service_unavailable",
                    "message": "The service is temporarily unavailable. Try again later."}, \
                503, retry_after
        if request.method == "POST":
            message = _("Because of a technical problem, what you sent may not have been "
                        "saved. Go back and send it again in a few minutes.")
        else:
            message = _("Because of a technical problem this page cannot be shown right now. "
                        "Try again in a few minutes.")
        g.no_store = True
        # The page header asks who is logged in, which needs the database when the user was
        # not loaded yet: render the page as to a visitor instead of failing a second time
        # (Flask-Login keeps the request's user in g._login_user).
        g.setdefault("_login_user", login_manager.anonymous_user())
        return render_template(
            "error.html", title=_("Temporarily unavailable"), message=message
        ), 503, retry_after

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Any:
        if _wants_json():
            return {"error": (error.name or "error").lower().replace(" ", "_"),
                    "message": error.description}, error.code or 500
        titles = {
            404: _("Page not found"),
            403: _("No access"),
            405: _("This is not possible here"),
            429: _("Too many attempts"),
        }
        messages = {
            404: _("This page does not exist, or you have no access to it."),
            403: _("You have no access to this page."),
            429: _("You tried too often. Wait a while and try again. If it is urgent, call "
                   "112 or the numbers on this page."),
        }
        code = error.code or 500
        from app.resident.theme import tenant_of_request

        return render_template(
            "error.html",
            title=titles.get(code, _("Something went wrong")),
            message=messages.get(code, _("Something went wrong. Try again later.")),
            tenant=tenant_of_request(),
        ), code


def _register_security_headers(app: Flask) -> None:
    tiles = urlsplit(app.config.get("MAP_TILE_URL") or "")
    tile_origin = f" {tiles.scheme}://{tiles.netloc}" if tiles.scheme and tiles.netloc else ""
    csp = (
        f"default-src 'self'; img-src 'self' data:{tile_origin}; style-src 'self'; "
        "script-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
        "frame-ancestors 'none'"
    )

    @app.after_request
    def headers(response: Any) -> Any:
        response.headers.setdefault("Content-Security-Policy", csp)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        private = request.path.startswith(("/staff", "/partner", "/admin", "/beleid"))
        if getattr(g, "no_store", False) or private:
            response.headers["Cache-Control"] = "no-store"
        return response
