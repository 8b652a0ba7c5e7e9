"""kaosheng: exam-candidate information collection (考生信息采集)."""
import logging
import os

from flask import Flask, session
from flask_appbuilder import AppBuilder
from flask_talisman import Talisman
from werkzeug.middleware.proxy_fix import ProxyFix

from .extensions import csrf, db, migrate

log = logging.getLogger(__name__)


class ConfigError(RuntimeError):
    pass


def _check_config(app):
    # Sessions, CSRF tokens and form verification codes are signed with SECRET_KEY: anywhere
    # but a developer's machine the public default would let anyone forge them.
    if app.config.get("ENV") != "development" and app.config.get("SECRET_KEY") in (
        None, "", app.config.get("DEV_SECRET_KEY")):
        raise ConfigError(
            f"SECRET_KEY must be set when KAOSHENG_ENV={app.config.get('ENV')!r} "
            "(only 'development' runs with the built-in key)")
    from .filestore import BACKENDS

    if app.config.get("FILE_STORE") not in BACKENDS:
        raise ConfigError(f"FILE_STORE must be one of {', '.join(BACKENDS)}, not "
                          f"{app.config.get('FILE_STORE')!r}")


def create_app(overrides=None):
    app = Flask(__name__)
    app.config.from_object("config")
    if overrides:
        app.config.update(overrides)
    _check_config(app)
    if app.config.get("PROXY_FIX_HOPS"):
        # Behind nginx the peer is the proxy: without this every client shares one login
        # rate-limit bucket and the audit trail records the proxy's address.
        hops = app.config["PROXY_FIX_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        os.makedirs(os.path.dirname(app.config["SQLALCHEMY_DATABASE_URI"][10:]), exist_ok=True)

    # Models must be imported before Alembic or FAB inspect the metadata.
    from . import models  # noqa: F401

    db.init_app(app)
    csrf.init_app(app)
    _init_headers(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(app.root_path), "migrations"))
    with app.app_context():
        appbuilder = AppBuilder()
        appbuilder.init_app(app, db.session)
        from . import audit
        from .menu import register_views

        audit.install(db.session)
        from .candidates import versioning

        versioning.install(db.session)
        register_views(appbuilder)
        from .selfservice import register as register_selfservice

        register_selfservice(app)
        from .candidates.picker import register as register_pickers

        register_pickers(app)

    @app.before_request
    def _idle_timeout():
        # A permanent session with SESSION_REFRESH_EACH_REQUEST expires after
        # PERMANENT_SESSION_LIFETIME of inactivity.
        session.permanent = True

    from .cli import register_cli
    from . import refusals
    from .errors import register_error_pages

    register_cli(app)
    register_error_pages(app)
    refusals.register(app)
    from . import monitoring

    monitoring.register(app)
    return app


def _init_headers(app):
    """Anti-framing, CSP (with the nonce FAB's templates put on their inline scripts),
    nosniff, referrer and permissions policies; HTTPS and HSTS only in production."""
    production = app.config.get("ENV") == "production"
    # One Talisman per app: it keeps its settings on the instance, so a shared one would take
    # the settings of whichever app was created last.
    app.extensions["talisman"] = Talisman(
        app,
        force_https=production if app.config.get("FORCE_HTTPS") is None
        else app.config["FORCE_HTTPS"],
        strict_transport_security=production,
        session_cookie_secure=bool(app.config.get("SESSION_COOKIE_SECURE")) or production,
        session_cookie_samesite=app.config.get("SESSION_COOKIE_SAMESITE", "Lax"),
        frame_options="DENY",
        content_security_policy=app.config["CONTENT_SECURITY_POLICY"],
        content_security_policy_nonce_in=["script-src"],
        referrer_policy="same-origin",
        # The photo capture page uses the camera of this site; nothing else is granted.
        permissions_policy={"camera": "(self)", "microphone": "()", "geolocation": "()",
                            "browsing-topics": "()"},
    )
